import { beforeAll, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { postAs, seedUser, type SeededUser, redeemCode } from '../../helpers/oauth.js';
import { QueryCounter, type RecordedQuery } from '../../helpers/query-counter.js';
import { msUntil } from '../../helpers/wait.js';
import { sha256Hex } from '../../../src/crypto/hash.js';
import type { Rotation } from '../../../src/repositories/refresh-tokens.js';
import type { Queryable } from '../../../src/storage/database.js';

/**
 * Issue 10: a refresh_token rotation on the happy path costs one Postgres statement — the token
 * read and the rotation together (refreshTokensRepository.findAndRotate) — and no explicit
 * transaction. Counted with a real database, so a regression fails here, not in a bench. Both
 * rotation statements are then checked where it matters: against a rotation or revocation that
 * commits while they wait for the family row's lock.
 */
const BACKGROUND = ['audit/audit-log.ts', 'oauth/deny-list.ts', 'oauth/signing-keys.ts'];
const isBackground = (q: RecordedQuery) => q.callers.some((c) => BACKGROUND.includes(c));

describeBackends('refresh_token rotation', (backend) => {
  let counter: QueryCounter;
  const t = useTestApp(backend, { db: (db) => (counter = new QueryCounter(db)).db });
  let client: RegisteredClient;
  let user: SeededUser;

  beforeAll(async () => {
    client = await registerClient(t.app, { scope: 'openid profile email' });
    user = await seedUser(t.db);
  }, 60_000);

  const refresh = (token: string, scope?: string) =>
    postAs(t.app, client, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token, scope });

  const grant = () => redeemCode(t, client, user.id);

  /** The statements one refresh sends, timer work left out. */
  async function statementsOf(request: () => Promise<{ statusCode: number; body: string }>, status = 200) {
    counter.reset();
    const res = await request();
    expect(res.statusCode, res.body).toBe(status);
    return counter.queries.filter((q) => !isBackground(q));
  }

  it('happy path: 1 statement (read and rotate in one), no transaction', async () => {
    let token = (await grant()).refresh_token;
    for (let i = 0; i < 5; i++) {
      let next = '';
      const queries = await statementsOf(async () => {
        const res = await refresh(token);
        next = res.json().refresh_token;
        return res;
      });
      expect(queries.map((q) => q.sql.slice(0, 24))).toEqual(['WITH token AS ( SELECT r']);
      expect(queries[0]!.callers[0]).toBe('repositories/refresh-tokens.ts');
      token = next;
    }
  });

  // Product rule: the event is committed before the response (here: in the rotation's own
  // statement), so a refresh waits for one commit, not for a second INSERT after it.
  it('happy path: the refresh event commits with the rotation statement, no audit INSERT of its own', async () => {
    const { refresh_token } = await grant();
    await t.app.auditLog.flush();
    const events = async () =>
      (
        await t.db.query<{ event: string; client_id: string; ip: string; details: object }>(
          "SELECT event, client_id, ip, details FROM audit_events WHERE event = 'refresh' AND client_id = $1 ORDER BY id",
          [client.client_id],
        )
      ).rows;
    const before = (await events()).length;
    counter.reset();
    expect((await refresh(refresh_token)).statusCode).toBe(200);
    expect(counter.queries.filter((q) => q.callers.includes('audit/audit-log.ts'))).toEqual([]);
    // No flush, no wait: the row is there when the response is.
    const after = await events();
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toEqual({
      event: 'refresh',
      client_id: client.client_id,
      ip: '10.9.0.1',
      details: { grant_type: 'refresh_token' },
    });
    expect(t.app.auditLog.pending).toBe(0);
    // A refusal rotates nothing and records no refresh.
    expect((await refresh(refresh_token)).statusCode).toBe(400);
    await t.app.auditLog.flush();
    expect(await events()).toHaveLength(before + 1);
  });

  it('the stored chain is intact: one live head, each token replaced by the next', async () => {
    const first = await grant();
    const fid = decodeJwt(first.access_token).fid as string;
    const tokens = [first.refresh_token];
    for (let i = 0; i < 3; i++) tokens.push((await refresh(tokens.at(-1)!)).json().refresh_token);
    const { rows } = await t.db.query<{
      token_hash: string;
      replaced_by: string | null;
      rotated: boolean;
      scope: string;
      user_id: string;
    }>(
      'SELECT token_hash, replaced_by, rotated_at IS NOT NULL AS rotated, scope, user_id FROM refresh_tokens WHERE family_id = $1',
      [fid],
    );
    const byHash = new Map(rows.map((r) => [r.token_hash, r]));
    expect(rows).toHaveLength(4);
    tokens.forEach((tok, i) => {
      const row = byHash.get(sha256Hex(tok))!;
      expect(row).toMatchObject({
        rotated: i < 3,
        replaced_by: i < 3 ? sha256Hex(tokens[i + 1]!) : null,
        scope: 'openid profile email',
        user_id: user.id,
      });
    });
  });

  it("the family's access expiry covers every access token issued, and is written once per lifetime of headroom", async () => {
    const first = await grant();
    const fid = decodeJwt(first.access_token).fid as string;
    const family = async () =>
      (
        await t.db.query<{ access_expires_at: Date; version: string }>(
          'SELECT access_expires_at, xmin::text AS version FROM token_families WHERE id = $1',
          [fid],
        )
      ).rows[0]!;
    const lifetimeMs = t.config.security.access_token_expiry_minutes * 60_000;
    let token = first.refresh_token;
    const versions = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = (await refresh(token)).json();
      token = res.refresh_token;
      const exp = decodeJwt(res.access_token).exp! * 1000;
      const row = await family();
      // a revocation now denies the family until at least this access token's expiry
      expect(row.access_expires_at.getTime()).toBeGreaterThanOrEqual(exp);
      expect(row.access_expires_at.getTime()).toBeLessThanOrEqual(exp + lifetimeMs);
      versions.add(row.version);
    }
    // the first rotation raised it with a lifetime of headroom; the next three left the row alone
    expect(versions.size).toBe(1);
  });

  it("refusals of an unknown or another client's token cost one statement and write nothing", async () => {
    expect(await statementsOf(() => refresh('not-a-token'), 400)).toHaveLength(1);
    const { refresh_token } = await grant();
    const other = await registerClient(t.app);
    expect(
      await statementsOf(
        () => postAs(t.app, other, '/oauth/token', { grant_type: 'refresh_token', refresh_token }),
        400,
      ),
    ).toHaveLength(1);
    expect((await refresh(refresh_token)).statusCode).toBe(200);
  });

  it('a scope parameter is checked under the family lock before anything is written', async () => {
    const { refresh_token } = await grant();
    const wider = await statementsOf(() => refresh(refresh_token, 'openid reports'), 400);
    expect(wider.map((q) => q.sql.slice(0, 24))).toEqual([
      'BEGIN (transaction)',
      'SELECT f.id FROM token_f',
      'SELECT r.token_hash, r.f',
    ]);
    const narrower = await statementsOf(() => refresh(refresh_token, 'openid'));
    expect(narrower.map((q) => q.sql.slice(0, 24))).toEqual([
      'BEGIN (transaction)',
      'SELECT f.id FROM token_f',
      'SELECT r.token_hash, r.f',
      'WITH family AS ( UPDATE ',
    ]);
  });

  it('reuse goes through the family lock and revokes the family', async () => {
    const first = await grant();
    const second = (await refresh(first.refresh_token)).json();
    const queries = await statementsOf(() => refresh(first.refresh_token), 400);
    expect(queries.map((q) => q.sql.slice(0, 24))).toEqual([
      'WITH token AS ( SELECT r',
      'BEGIN (transaction)',
      'SELECT f.id FROM token_f',
      'SELECT r.token_hash, r.f',
      'UPDATE token_families SE',
    ]);
    expect((await refresh(second.refresh_token)).statusCode).toBe(400);
  });

  // --- the compare-and-set against a change that commits while it waits for the family lock

  function rotationOf(token: string, familyId: string): Rotation {
    return {
      token_hash: sha256Hex(token),
      family_id: familyId,
      client_id: client.client_id,
      new_hash: sha256Hex(`next-${token}`),
      scope: 'openid profile email',
      expires_at: new Date(Date.now() + 86_400_000),
      access_expires_at: new Date(Date.now() + 600_000),
    };
  }

  /** findAndRotate's extra inputs: the caller's clock, the family's expiry headroom, the event. */
  const withClock = (r: Rotation, now = new Date()) => ({
    ...r,
    extend_access_to: r.access_expires_at,
    now,
    audit: { occurred_at: now.toISOString(), event: 'refresh' as const, client_id: r.client_id, details_json: '{}' },
  });

  /** Both rotation statements: the one-statement path's and the locked path's. */
  const statements = {
    findAndRotate: async (r: Rotation) =>
      (await t.app.repos.refreshTokens.findAndRotate(withClock(r), t.storage.db))?.rotated ?? false,
    rotate: (r: Rotation) => t.app.repos.refreshTokens.rotate(r, t.storage.db),
  };

  /**
   * Holds the family row's lock in a transaction, starts the rotation on another connection,
   * waits until it is blocked on that lock (real Postgres) and only then lets `change` commit.
   */
  async function rotateWhileLocked(
    run: (r: Rotation) => Promise<boolean>,
    r: Rotation,
    change: (tx: Queryable) => Promise<void>,
  ) {
    let pending!: Promise<boolean>;
    await t.storage.db.transaction(async (tx) => {
      await t.app.repos.refreshTokens.lockFamilyOf(r.token_hash, tx);
      pending = run(r);
      if (backend.name === 'real') {
        await msUntil(Date.now(), async () => {
          const { rows } = await t.storage.db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          return rows[0]!.n === 1;
        });
      }
      await change(tx);
    });
    return pending;
  }

  for (const [name, run] of Object.entries(statements)) {
    it(`${name}: a rotation committed while it waited for the family lock wins; it changes nothing`, async () => {
      const { refresh_token, access_token } = await grant();
      const fid = decodeJwt(access_token).fid as string;
      const won = await rotateWhileLocked(run, rotationOf(refresh_token, fid), (tx) =>
        t.app.repos.refreshTokens.markRotated(sha256Hex(refresh_token), 'someone-else', tx),
      );
      expect(won).toBe(false);
      const { rows } = await t.db.query<{ replaced_by: string; n: number }>(
        'SELECT max(replaced_by) AS replaced_by, count(*)::int AS n FROM refresh_tokens WHERE family_id = $1',
        [fid],
      );
      expect(rows[0]).toEqual({ replaced_by: 'someone-else', n: 1 });
    });

    it(`${name}: a revocation committed while it waited for the family lock wins; it changes nothing`, async () => {
      const { refresh_token, access_token } = await grant();
      const fid = decodeJwt(access_token).fid as string;
      const won = await rotateWhileLocked(run, rotationOf(refresh_token, fid), async (tx) => {
        await t.app.repos.tokenFamilies.revoke(fid, 'test', tx);
      });
      expect(won).toBe(false);
      const { rows } = await t.db.query<{ rotated: number; n: number }>(
        'SELECT count(*) FILTER (WHERE rotated_at IS NOT NULL)::int AS rotated, count(*)::int AS n FROM refresh_tokens WHERE family_id = $1',
        [fid],
      );
      expect(rows[0]).toEqual({ rotated: 0, n: 1 });
      expect((await refresh(refresh_token)).statusCode).toBe(400);
    });

    it(`${name}: wins once, and only for its own client`, async () => {
      const { refresh_token, access_token } = await grant();
      const r = rotationOf(refresh_token, decodeJwt(access_token).fid as string);
      expect(await run({ ...r, client_id: 'another-client' })).toBe(false);
      expect(await run(r)).toBe(true);
      expect(await run({ ...r, new_hash: sha256Hex('third') })).toBe(false);
    });
  }

  it("findAndRotate does not rotate a token that expired by the caller's clock", async () => {
    const { refresh_token, access_token } = await grant();
    const r = rotationOf(refresh_token, decodeJwt(access_token).fid as string);
    const late = await t.app.repos.refreshTokens.findAndRotate(withClock(r, new Date(Date.now() + 60 * 86_400_000)));
    expect(late?.rotated).toBe(false);
    const fresh = await t.app.repos.refreshTokens.findAndRotate(withClock(r));
    expect(fresh).toMatchObject({ rotated: true, token: { user: { id: user.id, username: user.username } } });
  });
});
