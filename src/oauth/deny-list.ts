import { CacheUnavailableError, type Cache } from '../cache/cache.js';
import { sha256Hex } from '../crypto/hash.js';
import { FIRST_HORIZON, type AccessDenialsRepository } from '../repositories/access-denials.js';
import { unavailable } from './errors.js';

const CHANNEL = 'deny';
/**
 * A client or subject denial outlives the longest access-token lifetime by this much: a token
 * signed by another instance in the moment before it learnt of the change, or with a clock a
 * little ahead, still expires inside the denial.
 */
const DENIAL_MARGIN_MS = 60_000;

export interface DenyListOptions {
  syncIntervalMs?: number;
  /** After a failed sync (Postgres unreachable), try again this soon rather than at the next tick. */
  retryIntervalMs?: number;
  /** Past this age without a successful sync, revocation state counts as unknown: fail closed. */
  maxStalenessMs?: number;
}

/** The claims the deny list decides on. */
export interface DeniableClaims {
  jti: string;
  fid?: string;
  client_id: string;
  sub: string;
}

/** Until when a client or subject denial must last, given the longest access-token lifetime. */
export function denialExpiry(accessTokenLifetimeSeconds: number, now = Date.now()): Date {
  return new Date(now + accessTokenLifetimeSeconds * 1000 + DENIAL_MARGIN_MS);
}

/**
 * How a deleted person is named in access_denials, pub/sub messages and memory: the SHA-256 of
 * their user id, so the erasure leaves no row (or Redis message) that names them.
 */
export function subjectDigest(userId: string): string {
  return sha256Hex(userId);
}

/**
 * Revoked access tokens (by jti), revoked families (by fid), disabled clients (by client_id) and
 * deleted people (by sub), checked on every Bearer request without a network round trip.
 * Postgres is the truth; each instance keeps the live entries in memory, loaded at start,
 * updated at once by pub/sub when any instance revokes, and re-synced from Postgres every couple
 * of seconds in case a message was lost. The sync reads in commit order (the writing
 * transaction's id against the previous sync's snapshot), so a revocation whose transaction
 * commits late is found as surely as one that commits at once. When Postgres stops answering the
 * sync is retried every retryIntervalMs, so it catches up as soon as Postgres is back; when it
 * has failed for longer than maxStalenessMs, checks throw 503: a token is never reported active
 * on revocation state we could not read (product rule: fail closed; docs/token-lifecycle.md).
 */
export class DenyList {
  private readonly entries = new Map<string, number>();
  /** Whether any subject denial is held: only then does a check hash the token's sub. */
  private holdsSubjects = false;
  private horizon = FIRST_HORIZON;
  private lastSyncAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly syncIntervalMs: number;
  private readonly retryIntervalMs: number;
  private readonly maxStalenessMs: number;

  constructor(
    private readonly accessDenials: AccessDenialsRepository,
    private readonly cache: Cache,
    opts: DenyListOptions = {},
  ) {
    this.syncIntervalMs = opts.syncIntervalMs ?? 2000;
    this.retryIntervalMs = opts.retryIntervalMs ?? 200;
    this.maxStalenessMs = opts.maxStalenessMs ?? 5000;
  }

  async start(): Promise<void> {
    await this.cache.subscribe(CHANNEL, (message) => {
      const [key, exp] = message.split(' ');
      if (key && exp) this.add(key, Number(exp));
    });
    await this.sync();
    this.schedule(this.syncIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Throws 503 when Postgres has not answered a sync for longer than maxStalenessMs. Also guards
   * token issuance: a grant that needs no query (client_credentials) must not keep minting tokens
   * while the system of record is unreachable (product rule: fail closed; docs/token-lifecycle.md).
   */
  assertFresh(): void {
    if (Date.now() - this.lastSyncAt > this.maxStalenessMs) {
      throw unavailable('revocation state cannot be read right now; try again shortly');
    }
  }

  /**
   * Throws 503 when revocation state is stale; otherwise whether the token is revoked: its jti,
   * its family, its client (disabled or purged) or its subject (a deleted person).
   */
  isDenied(claims: DeniableClaims): boolean {
    this.assertFresh();
    return (
      this.has(`j:${claims.jti}`) ||
      (claims.fid !== undefined && this.has(`f:${claims.fid}`)) ||
      this.has(`c:${claims.client_id}`) ||
      (this.holdsSubjects && this.has(`u:${subjectDigest(claims.sub)}`))
    );
  }

  /** Call after the revocation committed in Postgres. */
  async denyFamily(familyId: string, accessExpiresAt: Date): Promise<void> {
    await this.announce(`f:${familyId}`, accessExpiresAt.getTime());
  }

  async denyJti(jti: string, expiresAt: Date): Promise<void> {
    await this.announce(`j:${jti}`, expiresAt.getTime());
  }

  /** Every access token of the client; after its access_denials row committed. */
  async denyClient(clientId: string, expiresAt: Date): Promise<void> {
    await this.announce(`c:${clientId}`, expiresAt.getTime());
  }

  /** Every access token whose sub is this person; after its access_denials row committed. */
  async denySubject(userId: string, expiresAt: Date): Promise<void> {
    await this.announce(`u:${subjectDigest(userId)}`, expiresAt.getTime());
  }

  /**
   * Reads what was revoked since the last sync; exposed so tests need not wait for the timer.
   * One sync at a time: a caller arriving during one waits for it.
   */
  sync(): Promise<void> {
    this.running ??= this.readChanges().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async readChanges(): Promise<void> {
    const startedAt = Date.now();
    const changes = await this.accessDenials.changedSince(this.horizon);
    for (const e of changes.entries) this.add(e.key, e.expires_at.getTime());
    this.horizon = changes.horizon;
    this.lastSyncAt = startedAt;
    this.prune();
  }

  /** The next sync: at the normal interval after a success, soon after a failure. */
  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sync().then(
        () => this.schedule(this.syncIntervalMs),
        () => this.schedule(this.retryIntervalMs),
      );
    }, delayMs);
    this.timer.unref();
  }

  private async announce(key: string, expiresAtMs: number): Promise<void> {
    this.add(key, expiresAtMs);
    try {
      await this.cache.publish(CHANNEL, `${key} ${expiresAtMs}`);
    } catch (err) {
      // Other instances pick it up at their next Postgres sync.
      if (!(err instanceof CacheUnavailableError)) throw err;
    }
  }

  private add(key: string, expiresAtMs: number): void {
    if (expiresAtMs <= Date.now()) return;
    this.entries.set(key, Math.max(expiresAtMs, this.entries.get(key) ?? 0));
    if (key.startsWith('u:')) this.holdsSubjects = true;
  }

  private has(key: string): boolean {
    const exp = this.entries.get(key);
    return exp !== undefined && exp > Date.now();
  }

  private prune(): void {
    const now = Date.now();
    let subjects = false;
    for (const [key, exp] of this.entries) {
      if (exp <= now) this.entries.delete(key);
      else if (key.startsWith('u:')) subjects = true;
    }
    this.holdsSubjects = subjects;
  }
}
