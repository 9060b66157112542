import { beforeAll, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { Queryable } from '../../../src/storage/database.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { type TestApp } from '../../helpers/app.js';
import { registerClient, registerResourceServer, type RegisteredClient } from '../../helpers/admin.js';
import { introspectAs, seedUser, type SeededUser, redeemCode } from '../../helpers/oauth.js';
import { outageDatabase } from '../../helpers/outage-db.js';
import { subjectDigest } from '../../../src/oauth/deny-list.js';
import { bearer } from '../../helpers/users.js';
import { msUntil } from '../../helpers/wait.js';

/**
 * The deny list's Postgres sync is what catches a revocation whose pub/sub message was lost. It
 * must find every committed revocation, however late its transaction commits, and catch up as
 * soon as Postgres answers again after an outage.
 */
describeBackends('deny-list sync', (backend) => {
  const a = useTestApp(backend);
  let client: RegisteredClient;
  let resourceServer: RegisteredClient;
  let user: SeededUser;

  beforeAll(async () => {
    client = await registerClient(a.app, { scope: 'openid profile email reports' });
    resourceServer = await registerResourceServer(a.app);
    user = await seedUser(a.db);
  }, 60_000);

  const userTokens = (c = client) => redeemCode(a, c, user.id);
  const active = async (app: TestApp['app'], token: string) => (await introspectAs(app, resourceServer, token)).active;

  // Two transactions at once need two connections: PGlite has one.
  if (backend.name === 'real') {
    /**
     * Each statement writes a revocation the way the server does, but nobody publishes it (the
     * message was lost), inside a transaction that stays open while the other instance syncs
     * several times. `now()` is the transaction's start time: a transaction that had been
     * running for 30 s stamps its rows 30 s in the past.
     */
    type Claims = { fid: string; jti: string; exp: number; sub: string };
    it.each<[string, (tx: Queryable, claims: Claims) => Promise<unknown>]>([
      [
        'a family revocation',
        (tx, c) =>
          tx.query(
            `UPDATE token_families SET revoked_at = now() - interval '30 seconds', revoked_reason = 'test' WHERE id = $1`,
            [c.fid],
          ),
      ],
      [
        'an access-token revocation',
        (tx, c) =>
          tx.query(
            `INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) VALUES ($1, to_timestamp($2), now() - interval '30 seconds')`,
            [c.jti, c.exp],
          ),
      ],
      [
        'a subject denial (a deleted person)',
        (tx, c) =>
          tx.query(
            `INSERT INTO access_denials (kind, value, expires_at, created_at) VALUES ('subject', $1, now() + interval '11 minutes', now() - interval '30 seconds')`,
            [subjectDigest(c.sub)],
          ),
      ],
      // Last: it denies the shared client.
      [
        'a client denial',
        (tx) =>
          tx.query(
            `INSERT INTO access_denials (kind, value, expires_at, created_at) VALUES ('client', $1, now() + interval '11 minutes', now() - interval '30 seconds')`,
            [client.client_id],
          ),
      ],
    ])(
      '%s committed late by a long transaction, with its message lost, is found by the next sync of another instance',
      async (_name, revoke) => {
        const second = await a.another({ ownConnections: true });
        try {
          // A person of its own: the subject case denies every token of theirs.
          const tokens = await redeemCode(a, client, (await seedUser(a.db)).id);
          const claims = decodeJwt(tokens.access_token) as Claims;
          expect(await active(second.app, tokens.access_token)).toBe(true);

          let commit!: () => void;
          const held = new Promise<void>((r) => {
            commit = r;
          });
          let written!: () => void;
          const revoked = new Promise<void>((r) => {
            written = r;
          });
          const writing = a.storage.db.transaction(async (tx) => {
            await revoke(tx, claims);
            written();
            await held;
          });
          // The row is written (its transaction has an id) before the other instance syncs:
          // otherwise the syncs could all run before the transaction began, and a sync that
          // skips transactions still open would pass unnoticed.
          await revoked;
          // On a busy server later transactions commit meanwhile: the highest committed id
          // moves past the revoking one, so only the oldest still-open id is a safe horizon.
          await seedUser(a.db);
          // The other instance syncs while the revoking transaction is still open...
          for (let i = 0; i < 3; i++) await second.app.denyList.sync();
          expect(await active(second.app, tokens.access_token)).toBe(true);
          // ...and once it commits, its next sync finds the revocation.
          commit();
          await writing;
          await second.app.denyList.sync();
          expect(await active(second.app, tokens.access_token)).toBe(false);
        } finally {
          await second.close();
        }
      },
    );
  }

  it('re-syncs as soon as Postgres answers again after an outage, not at the next timer tick', async () => {
    const flaky = outageDatabase(a.storage.db);
    const solo = await a.another({ db: flaky.db });
    try {
      // Its own client: the cases above may have denied the shared one.
      const { access_token } = await userTokens(await registerClient(a.app));
      const userInfo = () => solo.app.inject({ method: 'GET', url: '/user/info', headers: bearer(access_token) });
      expect((await userInfo()).statusCode).toBe(200);

      flaky.goDown();
      // Down long enough that the revocation state counts as unknown.
      await msUntil(Date.now(), async () => isStale(solo), 15_000);
      // Product rule "fail closed": revocation state that cannot be read is 503, never "active".
      expect((await userInfo()).statusCode).toBe(503);
      const backAt = await flaky.comeBackAfterNextFailure();
      // The sync timer runs every 2 s; the instance must not wait for it.
      expect(await msUntil(backAt, async () => (await userInfo()).statusCode === 200)).toBeLessThan(1000);
    } finally {
      await solo.close();
    }
  }, 30_000);
});

function isStale(t: TestApp): boolean {
  try {
    t.app.denyList.assertFresh();
    return false;
  } catch {
    return true;
  }
}
