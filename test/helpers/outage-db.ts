import type { Database, Queryable } from '../../src/storage/database.js';
import { DatabaseUnavailableError } from '../../src/storage/unavailable.js';

export interface OutageDatabase {
  db: Database;
  /** From now on every statement fails as if Postgres were unreachable. */
  goDown(): void;
  /**
   * Resolves with the time Postgres "came back": right after the next statement that failed,
   * so the app's first chance to notice is whatever it does after a failure.
   */
  comeBackAfterNextFailure(): Promise<number>;
}

/**
 * A real Database that can be switched to answer like an unreachable Postgres (the error the pg
 * driver's connection failures become), for tests of what happens during and after an outage.
 */
export function outageDatabase(inner: Database): OutageDatabase {
  let down = false;
  let onFailure: (() => void) | undefined;
  const fail = (): never => {
    const notify = onFailure;
    if (notify) {
      onFailure = undefined;
      down = false;
      notify();
    }
    throw new DatabaseUnavailableError(new Error('simulated outage: connection refused'));
  };
  const guard = (q: Queryable): Queryable => ({
    query: (sql, params, options) => (down ? Promise.reject(failure(fail)) : q.query(sql, params, options)),
    exec: (sql) => (down ? Promise.reject(failure(fail)) : q.exec(sql)),
  });
  const db: Database = {
    kind: inner.kind,
    ...guard(inner),
    transaction: (fn) => (down ? Promise.reject(failure(fail)) : inner.transaction((tx) => fn(guard(tx)))),
    ping: () => (down ? Promise.reject(failure(fail)) : inner.ping()),
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
  return {
    db,
    goDown: () => {
      down = true;
    },
    comeBackAfterNextFailure: () =>
      new Promise((resolve) => {
        onFailure = () => resolve(Date.now());
      }),
  };
}

/** The error fail() throws (always a DatabaseUnavailableError), as a value to reject with. */
function failure(fail: () => never): Error {
  try {
    return fail();
  } catch (err) {
    return err as Error;
  }
}
