import { describe, expect, it } from 'vitest';
import { mintCode, seedUser } from '../helpers/oauth.js';
import { clientPost, registerOver, usePrivateStack } from './harness.js';

const LOAD_MS = 60_000;
const REDIRECT = 'https://app.example.com/callback';

/**
 * Mixed traffic for 60 s (code exchanges followed by refresh chains, client_credentials,
 * introspection), then a consistency check over the database: nothing lost, nothing doubled.
 */
describe('mixed load with nothing lost', () => {
  const stack = usePrivateStack();

  it('keeps every family a chain with one live head, every code used once, and one audit event per token response', async () => {
    const client = await registerOver(stack.gh.url, {});
    const token = (form: Record<string, string>) => clientPost(`${stack.gh.url}/oauth/token`, client, form);
    const user = await seedUser(stack.db);
    const deadline = Date.now() + LOAD_MS;
    let tokenResponses = 0;
    let exchanges = 0;
    const heads: string[] = [];
    const accessTokens: string[] = [];
    const unexpected: number[] = [];

    const chainWorker = async () => {
      while (Date.now() < deadline) {
        const code = await mintCode(stack.db, { clientId: client.client_id, userId: user.id, redirectUri: REDIRECT });
        const first = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
        if (first.status !== 200) {
          unexpected.push(first.status);
          continue;
        }
        tokenResponses++;
        exchanges++;
        let refresh = first.body.refresh_token as string;
        for (let i = 0; i < 5 && Date.now() < deadline; i++) {
          const next = await token({ grant_type: 'refresh_token', refresh_token: refresh });
          if (next.status !== 200) {
            unexpected.push(next.status);
            break;
          }
          tokenResponses++;
          refresh = next.body.refresh_token;
          accessTokens.push(next.body.access_token);
        }
        heads.push(refresh);
      }
    };
    const clientWorker = async () => {
      while (Date.now() < deadline) {
        const r = await token({ grant_type: 'client_credentials' });
        if (r.status !== 200) {
          unexpected.push(r.status);
          continue;
        }
        tokenResponses++;
        const intro = await clientPost(`${stack.gh.url}/oauth/introspect`, client, { token: r.body.access_token });
        if (intro.status !== 200 || intro.body.active !== true) unexpected.push(intro.status);
      }
    };
    await Promise.all([...Array.from({ length: 6 }, chainWorker), ...Array.from({ length: 4 }, clientWorker)]);
    expect(unexpected).toEqual([]);
    expect(exchanges).toBeGreaterThan(20);

    // Every returned head still works (it was never consumed without its successor committed),
    // and every returned access token introspects active.
    for (const head of heads.slice(0, 50))
      expect((await token({ grant_type: 'refresh_token', refresh_token: head })).status).toBe(200);
    tokenResponses += Math.min(heads.length, 50);
    for (const at of accessTokens.slice(-50)) {
      expect((await clientPost(`${stack.gh.url}/oauth/introspect`, client, { token: at })).body.active).toBe(true);
    }

    // Drain: SIGTERM flushes the audit queue.
    expect(await stack.gh.stop('SIGTERM')).toBe(0);
    const chains = await stack.db.query<{ family_id: string; live: number; total: number }>(
      `SELECT family_id, count(*) FILTER (WHERE rotated_at IS NULL)::int AS live, count(*)::int AS total
       FROM refresh_tokens WHERE client_id = $1 GROUP BY family_id`,
      [client.client_id],
    );
    expect(chains.rows.length).toBe(exchanges);
    for (const c of chains.rows) expect(c.live).toBe(1);
    const links = await stack.db.query<{ broken: number }>(
      `SELECT count(*)::int AS broken FROM refresh_tokens r
       WHERE r.client_id = $1 AND r.rotated_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens n WHERE n.token_hash = r.replaced_by AND n.family_id = r.family_id)`,
      [client.client_id],
    );
    expect(links.rows[0]!.broken).toBe(0);
    const codes = await stack.db.query<{ consumed: number; families: number }>(
      `SELECT count(*) FILTER (WHERE consumed_at IS NOT NULL)::int AS consumed, count(DISTINCT family_id)::int AS families
       FROM authorization_codes WHERE client_id = $1`,
      [client.client_id],
    );
    expect(codes.rows[0]).toEqual({ consumed: exchanges, families: exchanges });
    const audited = await stack.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE client_id = $1 AND event IN ('token_issued', 'refresh')",
      [client.client_id],
    );
    expect(audited.rows[0]!.n).toBe(tokenResponses);
  }, 240_000);
});
