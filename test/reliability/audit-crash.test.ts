import { describe, expect, it } from 'vitest';
import { clientPost, registerOver, usePrivateStack } from './harness.js';

const LOAD_MS = 5_000;

/**
 * Product rule (operations): an audit event is committed before the response that reports its
 * action, so a crash loses none. Gatehouse is killed with SIGKILL under client_credentials load;
 * every 200 the load received has its token_issued row. Requests cut off by the kill may have
 * committed their event without delivering the response, so rows may exceed the 200s by at most
 * the number of requests in flight at the kill (each worker stops at its first unanswered
 * request; a refused connection committed nothing).
 */
describe('audit events across kill -9', () => {
  const stack = usePrivateStack();

  it('keeps an audit row for every token response delivered before the crash', async () => {
    const client = await registerOver(stack.gh.url, {});
    let delivered = 0;
    let cutOff = 0;
    const other: number[] = [];
    let killed = false;
    const worker = async () => {
      while (!killed) {
        const r = await clientPost(`${stack.gh.url}/oauth/token`, client, { grant_type: 'client_credentials' });
        if (r.status === 200) delivered++;
        else if (r.status !== 0) other.push(r.status);
        else {
          // The process is gone. A refused connection never reached it, so it committed nothing.
          if (!/ECONNREFUSED/.test(r.error ?? '')) cutOff++;
          return;
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    await new Promise((r) => setTimeout(r, LOAD_MS));
    await stack.gh.stop('SIGKILL');
    killed = true;
    await load;

    expect(other).toEqual([]);
    expect(delivered).toBeGreaterThan(50);
    const { rows } = await stack.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE client_id = $1 AND event = 'token_issued'",
      [client.client_id],
    );
    expect(rows[0]!.n).toBeGreaterThanOrEqual(delivered);
    expect(rows[0]!.n).toBeLessThanOrEqual(delivered + cutOff);
  });
});
