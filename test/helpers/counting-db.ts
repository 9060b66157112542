import { AsyncLocalStorage } from 'node:async_hooks';
import type { App } from '../../src/app.js';
import type { Database, Queryable } from '../../src/storage/database.js';

export interface CountingDatabase {
  db: Database;
  /** Pass as useTestApp's `extend`: requests injected inside `during` are counted. */
  instrument(app: App): void;
  /** Runs fn and returns how many statements the requests it made sent to the database. */
  during<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }>;
}

/**
 * A real Database with a counter. Only statements made by a request injected inside `during`
 * are counted: an onRequest hook puts the counter in the request's AsyncLocalStorage, which
 * follows its promises, so the app's background timers (deny-list sync, usage flush) are not.
 */
export function countingDatabase(inner: Database): CountingDatabase {
  const scope = new AsyncLocalStorage<{ n: number }>();
  const tick = () => {
    const s = scope.getStore();
    if (s) s.n++;
  };
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params, options) => {
      tick();
      return q.query(sql, params, options);
    },
    exec: (sql) => {
      tick();
      return q.exec(sql);
    },
  });
  const db: Database = {
    kind: inner.kind,
    ...wrap(inner),
    transaction: (fn) => {
      tick();
      return inner.transaction((tx) => fn(wrap(tx)));
    },
    ping: () => inner.ping(),
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
  let current: { n: number } | undefined;
  return {
    db,
    instrument(app) {
      app.addHook('onRequest', async () => {
        if (current) scope.enterWith(current);
      });
    },
    async during(fn) {
      const counter = { n: 0 };
      current = counter;
      try {
        return { result: await fn(), queries: counter.n };
      } finally {
        current = undefined;
      }
    },
  };
}
