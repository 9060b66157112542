import type { FastifyBaseLogger } from 'fastify';
import type { Cache } from '../cache/cache.js';
import type { Keyring } from '../crypto/keyring.js';
import { GoogleError } from '../google/errors.js';
import type { GoogleClient, GoogleTokenResponse } from '../google/client.js';
import type { GoogleCredential, GoogleCredentialsRepository } from '../repositories/google-credentials.js';
import type { UsersRepository } from '../repositories/users.js';
import type { Database, Queryable } from '../storage/database.js';
import type { VaultAudit } from './audit.js';
import { CredentialGone, UpstreamFailure, googleUnavailable, noSuchSubject, reauthRequired } from './errors.js';
import { GoogleRefresher } from './google-refresh.js';
import { RefreshLock } from './refresh-lock.js';
import { SingleFlight } from '../concurrency/single-flight.js';
import { canonicalSubject, findCredentialForSubject, subjectCacheKey, type SubjectRef } from './subject.js';
import { TokenCache, type HeldToken } from './token-cache.js';
import { recordReauthRequired } from '../webhooks/credential-events.js';

/** product rule "Broker request": "the held token still has ≥ 30 s to live, return it". */
export const HELD_TOKEN_MIN_MS = 30_000;

export interface TokenBroker {
  /**
   * The subject's Google access token: the held one while it lives longer than
   * google.refresh_skew_seconds, else refreshed at Google first (always, with `force`).
   * Throws ApiError: 404 not_found, 409 ambiguous_subject, 409 reauth_required,
   * 502 upstream_unavailable.
   */
  getToken(subject: SubjectRef, opts?: { force?: boolean }): Promise<HeldToken>;
  /**
   * Refreshes one credential at Google now (the proactive worker), through the same single
   * flight, lock and error rules as getToken({ force: true }).
   */
  refreshCredential(credentialId: string): Promise<HeldToken>;
  /**
   * Drops cached copies after a credential changed outside the broker (reconnect, delete): the
   * shared ones, and through pub/sub every instance's in-process ones. A plain string names a
   * person (user id, username or email).
   */
  forget(credentialId: string, ...subjects: Array<string | SubjectRef>): Promise<void>;
  /** Subscribes to invalidations from other instances (before serving from process memory). */
  start(): Promise<void>;
  readonly tokenCache: TokenCache;
}

export interface TokenBrokerDeps {
  db: Database;
  cache: Cache;
  keyring: Keyring;
  google: GoogleClient;
  credentials: GoogleCredentialsRepository;
  users: UsersRepository;
  skewSeconds: number;
  /** google.request_timeout_ms: the whole budget of one broker call's dealings with Google. */
  requestTimeoutMs: number;
  log: FastifyBaseLogger;
  audit: VaultAudit;
}

type Satisfied = (c: GoogleCredential) => boolean;

/** What came of asking Google, decided before anything is written. */
type Outcome =
  | { kind: 'refreshed'; grant: GoogleTokenResponse }
  | { kind: 'invalid_grant' }
  | { kind: 'failed'; error: GoogleError };

/** After the write: a token to hand out, or the reason there is none. */
type Settled =
  | { kind: 'token'; token: HeldToken; credentialId: string; refreshed: boolean }
  | { kind: 'reauth'; credentialId: string };

/**
 * The broker: subject → Google access token, refreshed at most once per expiry whatever the
 * concurrency. In order: the hot cache (no Postgres); one in-flight refresh per credential per
 * instance (SingleFlight); across instances a Redis lock, whose losers poll the row; without
 * Redis, a row lock (SELECT … FOR UPDATE) in Postgres.
 */
export function createTokenBroker(deps: TokenBrokerDeps): TokenBroker {
  const skewMs = deps.skewSeconds * 1000;
  const tokenCache = new TokenCache(deps.cache, deps.keyring, skewMs);
  const refresher = new GoogleRefresher(deps.google, deps.cache);
  const lock = new RefreshLock(deps.cache, deps.requestTimeoutMs + 2000);
  const flights = new SingleFlight<HeldToken>();
  const { credentials } = deps;

  const remainingMs = (c: { accessTokenExpiresAt: Date | null }) =>
    (c.accessTokenExpiresAt?.getTime() ?? 0) - Date.now();
  const isFresh = (c: GoogleCredential) => c.status === 'active' && remainingMs(c) > skewMs;

  async function heldToken(c: GoogleCredential, q?: Queryable): Promise<HeldToken> {
    const tokens = await credentials.decryptTokens(c.id, q);
    if (!tokens?.accessToken || !c.accessTokenExpiresAt) throw new CredentialGone();
    return {
      accessToken: tokens.accessToken,
      expiresAt: c.accessTokenExpiresAt,
      scope: c.scopes.join(' '),
      subject: canonicalSubject(c),
    };
  }

  /** A row that needs no refresh (or cannot have one) becomes the answer. */
  async function serveRow(c: GoogleCredential): Promise<HeldToken> {
    if (c.status === 'reauth_required') throw reauthRequired();
    const token = await heldToken(c);
    await tokenCache.write(c.id, token);
    return token;
  }

  async function askGoogle(c: GoogleCredential, deadline: number, q?: Queryable): Promise<Outcome> {
    const tokens = await credentials.decryptTokens(c.id, q);
    if (!tokens?.refreshToken) return { kind: 'invalid_grant' };
    try {
      return { kind: 'refreshed', grant: await refresher.refresh(tokens.refreshToken, deadline) };
    } catch (err) {
      if (!(err instanceof GoogleError)) throw err;
      return err.kind === 'invalid_grant' ? { kind: 'invalid_grant' } : { kind: 'failed', error: err };
    }
  }

  /** Writes what Google said, in tx. A failure writes nothing and becomes UpstreamFailure. */
  async function store(c: GoogleCredential, outcome: Outcome, tx: Queryable): Promise<Settled> {
    switch (outcome.kind) {
      case 'failed':
        throw new UpstreamFailure(c, outcome.error);
      case 'invalid_grant':
        await credentials.markReauthRequired(c.id, tx);
        await recordReauthRequired(tx, c, 'invalid_grant');
        return { kind: 'reauth', credentialId: c.id };
      case 'refreshed': {
        const g = outcome.grant;
        const owner = c.userId ? { userId: c.userId } : { connectionId: c.connectionId! };
        // Google does not rotate refresh tokens: with none in the answer, save keeps the held one.
        const saved = await credentials.save(
          owner,
          { accessToken: g.access_token, expiresIn: g.expires_in, refreshToken: g.refresh_token, scope: g.scope },
          tx,
        );
        return {
          kind: 'token',
          credentialId: saved.id,
          refreshed: true,
          token: {
            accessToken: g.access_token,
            expiresAt: saved.accessTokenExpiresAt!,
            scope: saved.scopes.join(' '),
            subject: canonicalSubject(saved),
          },
        };
      }
    }
  }

  /** After commit: caches, audit, and the answer. */
  async function publish(settled: Settled): Promise<HeldToken> {
    await tokenCache.drop(settled.credentialId);
    if (settled.kind === 'reauth') {
      deps.log.warn(
        { credentialId: settled.credentialId },
        'google refused the refresh token; credential needs reauthorisation',
      );
      deps.audit({ event: 'google_reauth_required', credential_id: settled.credentialId });
      throw reauthRequired();
    }
    await tokenCache.write(settled.credentialId, settled.token);
    deps.audit({
      event: 'google_token_refreshed',
      subject: settled.token.subject,
      credential_id: settled.credentialId,
    });
    return settled.token;
  }

  /** Holding the Redis lock: re-check the row, call Google outside any transaction, write briefly. */
  async function refreshHoldingLock(id: string, satisfied: Satisfied, deadline: number): Promise<HeldToken> {
    const current = await credentials.findById(id);
    if (!current) throw new CredentialGone();
    if (satisfied(current)) return serveRow(current);
    const outcome = await askGoogle(current, deadline);
    if (outcome.kind === 'failed') throw new UpstreamFailure(current, outcome.error);
    const settled = await deps.db.transaction(async (tx) => {
      // The row may have been deleted meanwhile: never resurrect it (save would insert).
      const locked = await credentials.findByIdForUpdate(id, tx);
      if (!locked) throw new CredentialGone();
      return store(locked, outcome, tx);
    });
    return publish(settled);
  }

  /**
   * Redis is down: the row lock decides. The holder keeps its transaction open while it asks
   * Google (bounded by the deadline); the others queue on the lock, then find the row fresh.
   */
  async function refreshUnderRowLock(id: string, satisfied: Satisfied, deadline: number): Promise<HeldToken> {
    const waitMs = Math.max(1, Math.floor(deadline - Date.now()));
    let settled: Settled | { kind: 'row'; row: GoogleCredential };
    try {
      settled = await deps.db.transaction(async (tx) => {
        // Integers only; SET takes no bind parameters.
        await tx.query(`SET LOCAL lock_timeout = ${waitMs}`);
        await tx.query(`SET LOCAL statement_timeout = ${waitMs + 2000}`);
        const current = await credentials.findByIdForUpdate(id, tx);
        if (!current) throw new CredentialGone();
        if (satisfied(current)) return { kind: 'row' as const, row: current };
        return store(current, await askGoogle(current, deadline, tx), tx);
      });
    } catch (err) {
      // 55P03 lock_not_available: another instance is still refreshing at our deadline.
      if ((err as { code?: string }).code !== '55P03') throw err;
      const row = await credentials.findById(id);
      if (!row) throw new CredentialGone();
      throw new UpstreamFailure(row);
    }
    return settled.kind === 'row' ? serveRow(settled.row) : publish(settled);
  }

  async function refreshCoordinated(id: string, satisfied: Satisfied, deadline: number): Promise<HeldToken> {
    for (;;) {
      const held = await lock.acquire(id);
      if (held === 'unavailable') return refreshUnderRowLock(id, satisfied, deadline);
      if (held) {
        try {
          return await refreshHoldingLock(id, satisfied, deadline);
        } finally {
          await held.release();
        }
      }
      // Someone else refreshes: poll the row until it is satisfied, the lock is released
      // without a result (then try ourselves), or our deadline passes.
      const row = await lock.waitWhileHeld(id, () => credentials.findById(id), satisfied, deadline);
      if (row) return serveRow(row);
    }
  }

  async function obtain(id: string, force: boolean, deadline: number, known?: GoogleCredential): Promise<HeldToken> {
    const row = known ?? (await credentials.findById(id));
    if (!row) throw new CredentialGone();
    if (row.status === 'reauth_required') throw reauthRequired();
    if (!force && isFresh(row)) return serveRow(row);
    // Forced: satisfied by any refresh that lands after we looked (one refresh per burst).
    const seen = row.lastRefreshedAt?.getTime() ?? 0;
    const satisfied: Satisfied = (c) =>
      c.status === 'reauth_required' || (force ? (c.lastRefreshedAt?.getTime() ?? 0) !== seen : isFresh(c));
    try {
      return await refreshCoordinated(id, satisfied, deadline);
    } catch (err) {
      if (!(err instanceof UpstreamFailure)) throw err;
      const e = err.googleError;
      deps.log[e?.kind === 'rejected' ? 'error' : 'warn'](
        { credentialId: id, kind: e?.kind ?? 'timeout', status: e?.status, googleError: e?.googleError },
        e?.kind === 'rejected' ? 'google rejected the refresh; check GOOGLE_CLIENT_ID/SECRET' : 'google refresh failed',
      );
      // product rule "Broker request": "When Google fails (5xx, timeout) but the held token still has
      // ≥ 30 s to live, return it; otherwise 502." A forced refresh asked for a new token, so
      // handing back the old one would hide the failure: 502.
      if (!force && err.held.status === 'active' && remainingMs(err.held) >= HELD_TOKEN_MIN_MS)
        return heldToken(err.held);
      throw googleUnavailable();
    }
  }

  const flightKey = (id: string, force: boolean) => (force ? `${id}:force` : id);

  return {
    tokenCache,

    async getToken(ref, { force = false } = {}) {
      const subject = subjectCacheKey(ref);
      // Hot path: process memory (no I/O), else two cache reads, no Postgres.
      if (!force) {
        const local = tokenCache.peek(subject);
        if (local) return local;
      }
      const deadline = Date.now() + deps.requestTimeoutMs;
      const cachedId = await tokenCache.readSubject(subject);
      if (cachedId) {
        if (!force) {
          const hot = await tokenCache.read(cachedId);
          if (hot && hot.expiresAt.getTime() - Date.now() > skewMs) return hot;
        }
        try {
          return await flights.run(flightKey(cachedId, force), () => obtain(cachedId, force, deadline));
        } catch (err) {
          if (!(err instanceof CredentialGone)) throw err;
          // A stale mapping (the credential was deleted or replaced): resolve afresh below.
          await tokenCache.dropSubject(subject);
        }
      }
      const found = await findCredentialForSubject(deps, ref);
      if (!found) throw noSuchSubject();
      await tokenCache.writeSubject(subject, found.credential.id, found.immutable);
      try {
        return await flights.run(flightKey(found.credential.id, force), () =>
          obtain(found.credential.id, force, deadline, found.credential),
        );
      } catch (err) {
        if (err instanceof CredentialGone) throw noSuchSubject();
        throw err;
      }
    },

    refreshCredential(credentialId) {
      const deadline = Date.now() + deps.requestTimeoutMs;
      return flights.run(flightKey(credentialId, true), () => obtain(credentialId, true, deadline));
    },

    start: () => tokenCache.start(),

    async forget(credentialId, ...subjects) {
      await tokenCache.drop(credentialId);
      await tokenCache.dropSubject(
        ...subjects.map((s) => subjectCacheKey(typeof s === 'string' ? { kind: 'person', subject: s } : s)),
      );
    },
  };
}
