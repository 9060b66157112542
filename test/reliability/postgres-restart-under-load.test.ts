import { describe, expect, it } from 'vitest';
import { mintCode, seedUser } from '../helpers/oauth.js';
import { clientPost, isSpecError, registerOver, type HttpResult, usePrivateStack } from './harness.js';

const REDIRECT = 'https://app.example.com/callback';

/**
 * Fault 1: Postgres restarted in the middle of sustained mixed load (code exchange, refresh,
 * client_credentials). During the outage: 503 in the error shape, never a hang or a stack; the
 * pool recovers on its own; and every 2xx token response refers to committed state.
 */
describe('Postgres restarted during load', () => {
  const stack = usePrivateStack();

  it('answers 503 while it is down and only ever returns tokens that were committed', async () => {
    const client = await registerOver(stack.gh.url, {});
    const token = (form: Record<string, string>) => clientPost(`${stack.gh.url}/oauth/token`, client, form);
    const user = await seedUser(stack.db);
    // Codes are minted up front: the test's own connection cannot write during the outage.
    const codes = await Promise.all(
      Array.from({ length: 400 }, () =>
        mintCode(stack.db, { clientId: client.client_id, userId: user.id, redirectUri: REDIRECT }),
      ),
    );

    const failures: HttpResult[] = [];
    const issuedRefresh: string[] = []; // every refresh token a 2xx handed out
    const spent = new Set<string>(); // refresh tokens we presented and got a 2xx for (legitimately rotated)
    // Presented when Postgres died: the rotation may have committed with its reply lost, which
    // makes the token legitimately rotated too; either outcome is consistent.
    const uncertain = new Set<string>();
    const accessTokens: string[] = [];
    let stop = false;

    const chainWorker = async () => {
      while (!stop && codes.length > 0) {
        const code = codes.pop()!;
        const first = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
        if (first.status !== 200) {
          failures.push(first);
          continue;
        }
        issuedRefresh.push(first.body.refresh_token);
        accessTokens.push(first.body.access_token);
        let current = first.body.refresh_token as string;
        for (let i = 0; i < 4 && !stop; i++) {
          const next = await token({ grant_type: 'refresh_token', refresh_token: current });
          if (next.status !== 200) {
            failures.push(next);
            uncertain.add(current);
            break;
          }
          spent.add(current);
          current = next.body.refresh_token;
          issuedRefresh.push(current);
          accessTokens.push(next.body.access_token);
        }
      }
    };
    const clientWorker = async () => {
      while (!stop) {
        const r = await token({ grant_type: 'client_credentials' });
        if (r.status === 200) accessTokens.push(r.body.access_token);
        else failures.push(r);
      }
    };
    const workers = [...Array.from({ length: 6 }, chainWorker), ...Array.from({ length: 2 }, clientWorker)];

    await new Promise((r) => setTimeout(r, 3000));
    await stack.pg.kill();
    await new Promise((r) => setTimeout(r, 8000));
    await stack.pg.start();
    await new Promise((r) => setTimeout(r, 8000));
    stop = true;
    await Promise.all(workers);

    // During the outage: only a 503 in the error shape, fast, and never a stack.
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.status, JSON.stringify(f.body)).toBe(503);
      expect(isSpecError(f.body)).toBe(true);
      expect(f.ms).toBeLessThan(6000);
    }

    // The pool recovered without restarting Gatehouse: a fresh exchange works.
    const code = await mintCode(stack.db, { clientId: client.client_id, userId: user.id, redirectUri: REDIRECT });
    expect((await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).status).toBe(200);

    // Every 2xx referred to committed state: each issued refresh token is either the live head
    // of its family or one we spent ourselves; each issued access token introspects active.
    const heads = issuedRefresh.filter((t) => !spent.has(t));
    for (const head of heads.slice(0, 60)) {
      const r = await token({ grant_type: 'refresh_token', refresh_token: head });
      if (uncertain.has(head)) expect([200, 400]).toContain(r.status);
      else expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    for (const at of accessTokens.slice(-60)) {
      const r = await clientPost(`${stack.gh.url}/oauth/introspect`, client, { token: at });
      expect(r.body.active).toBe(true);
    }
    // No code was consumed without the family its tokens belong to (one transaction).
    const orphans = await stack.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM authorization_codes WHERE consumed_at IS NOT NULL AND family_id IS NULL AND client_id = $1',
      [client.client_id],
    );
    expect(orphans.rows[0]!.n).toBe(0);
  }, 120_000);
});
