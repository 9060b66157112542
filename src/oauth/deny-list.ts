import { CacheUnavailableError, type Cache } from '../cache/cache.js';
import type { Database } from '../storage/database.js';
import { revokedAccessTokensRepository } from '../repositories/revoked-access-tokens.js';
import { tokenFamiliesRepository } from '../repositories/token-families.js';
import { unavailable } from './errors.js';

const CHANNEL = 'deny';
/** Overlap between syncs: a revoking transaction may commit a little after its now(). */
const SYNC_OVERLAP_MS = 10_000;

export interface DenyListOptions {
  syncIntervalMs?: number;
  /** Past this age without a successful sync, revocation state counts as unknown: fail closed. */
  maxStalenessMs?: number;
}

/**
 * Revoked access tokens (by jti) and revoked families (by fid), checked on every Bearer request
 * without a network round trip. Postgres is the truth; each instance keeps the live entries in
 * memory, loaded at start, updated at once by pub/sub when any instance revokes, and re-synced
 * from Postgres every couple of seconds in case a message was lost. When that sync has failed for
 * longer than maxStalenessMs (Postgres down), checks throw 503: a token is never reported active
 * on revocation state we could not read (spec: fail closed).
 */
export class DenyList {
  private readonly entries = new Map<string, number>();
  private watermark = new Date(0);
  private lastSyncAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly syncIntervalMs: number;
  private readonly maxStalenessMs: number;

  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
    opts: DenyListOptions = {},
  ) {
    this.syncIntervalMs = opts.syncIntervalMs ?? 2000;
    this.maxStalenessMs = opts.maxStalenessMs ?? 5000;
  }

  async start(): Promise<void> {
    await this.cache.subscribe(CHANNEL, (message) => {
      const [key, exp] = message.split(' ');
      if (key && exp) this.add(key, Number(exp));
    });
    await this.sync();
    this.timer = setInterval(() => void this.sync().catch(() => {}), this.syncIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Throws 503 when Postgres has not answered a sync for longer than maxStalenessMs. Also guards
   * token issuance: a grant that needs no query (client_credentials) must not keep minting tokens
   * while the system of record is unreachable (spec: fail closed).
   */
  assertFresh(): void {
    if (Date.now() - this.lastSyncAt > this.maxStalenessMs) {
      throw unavailable('revocation state cannot be read right now; try again shortly');
    }
  }

  /** Throws 503 when revocation state is stale; otherwise whether the token is revoked. */
  isDenied(claims: { jti: string; fid?: string }): boolean {
    this.assertFresh();
    return this.has(`j:${claims.jti}`) || (claims.fid !== undefined && this.has(`f:${claims.fid}`));
  }

  /** Call after the revocation committed in Postgres. */
  async denyFamily(familyId: string, accessExpiresAt: Date): Promise<void> {
    await this.announce(`f:${familyId}`, accessExpiresAt.getTime());
  }

  async denyJti(jti: string, expiresAt: Date): Promise<void> {
    await this.announce(`j:${jti}`, expiresAt.getTime());
  }

  /** Reads what was revoked since the last sync; exposed so tests need not wait for the timer. */
  async sync(): Promise<void> {
    const startedAt = Date.now();
    const since = new Date(this.watermark.getTime() - SYNC_OVERLAP_MS);
    const { rows } = await this.db.query<{ now: Date }>('SELECT now() AS now');
    const [families, jtis] = await Promise.all([
      tokenFamiliesRepository.revokedSince(this.db, since),
      revokedAccessTokensRepository.revokedSince(this.db, since),
    ]);
    for (const f of families) this.add(`f:${f.id}`, f.access_expires_at.getTime());
    for (const j of jtis) this.add(`j:${j.jti}`, j.expires_at.getTime());
    this.watermark = rows[0]!.now;
    this.lastSyncAt = startedAt;
    this.prune();
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
    if (expiresAtMs > Date.now()) this.entries.set(key, Math.max(expiresAtMs, this.entries.get(key) ?? 0));
  }

  private has(key: string): boolean {
    const exp = this.entries.get(key);
    return exp !== undefined && exp > Date.now();
  }

  private prune(): void {
    const now = Date.now();
    for (const [key, exp] of this.entries) if (exp <= now) this.entries.delete(key);
  }
}
