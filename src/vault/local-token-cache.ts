import type { Cache } from '../cache/cache.js';
import type { HeldToken } from './token-cache.js';

/**
 * A local copy never outlives this, whatever the token's expiry: a safety net for an
 * invalidation message lost without the subscriber noticing (the epoch covers noticed drops).
 */
export const LOCAL_ENTRY_MAX_MS = 30_000;
/**
 * Emails and usernames can move to another person and nothing announces it: their local
 * mapping lives briefly, so the shared mapping's bound (MUTABLE_SUBJECT_TTL_MS) grows by this much at most.
 */
export const LOCAL_MUTABLE_SUBJECT_MS = 5_000;
export const LOCAL_MAX_ENTRIES = 10_000;

/** Generated user ids: the only subjects that cannot name a username, email or other person later. */
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TokenEntry {
  token: HeldToken;
  until: number;
}

interface SubjectEntry {
  credentialId: string;
  until: number;
}

/**
 * The broker's first level, in process: credential id → decrypted token, subject → credential
 * id. It only serves while the shared cache's pub/sub delivers every invalidation (see
 * Cache.subscriptionEpoch); a message about a credential drops its token and every subject
 * that maps to it. Entries are only filled from what was just read from the shared cache, and
 * only when no invalidation arrived during that read (`fill` checks the generation taken before
 * it), so a message can never be overtaken by a copy read before it.
 */
export class LocalTokenCache {
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly subjects = new Map<string, SubjectEntry>();
  private generation = 0;
  private epoch: number | null = null;
  private listening = false;

  constructor(
    private readonly cache: Pick<Cache, 'subscriptionEpoch'>,
    private readonly skewMs: number,
  ) {}

  /** Call once subscribed to the invalidation channel: until then nothing is served from memory. */
  listen(): void {
    this.epoch = this.cache.subscriptionEpoch();
    this.listening = true;
  }

  /** The held token while it lives longer than the refresh window, from memory only. */
  token(credentialId: string, now: number): HeldToken | undefined {
    if (!this.live()) return undefined;
    const e = this.tokens.get(credentialId);
    if (!e) return undefined;
    if (e.until > now) return e.token;
    this.tokens.delete(credentialId);
    return undefined;
  }

  credentialFor(subject: string, now: number): string | undefined {
    if (!this.live()) return undefined;
    const e = this.subjects.get(subject);
    if (!e) return undefined;
    if (e.until > now) return e.credentialId;
    this.subjects.delete(subject);
    return undefined;
  }

  /** Taken before reading the shared cache; hand it back to `fill*`. */
  mark(): number {
    return this.generation;
  }

  fillToken(mark: number, credentialId: string, token: HeldToken): void {
    if (!this.fillable(mark)) return;
    const now = Date.now();
    // Never past the refresh window: from there on the broker must look at the row.
    const until = Math.min(token.expiresAt.getTime() - this.skewMs, now + LOCAL_ENTRY_MAX_MS);
    if (until <= now) return;
    bounded(this.tokens).set(credentialId, { token, until });
  }

  fillSubject(mark: number, subject: string, credentialId: string): void {
    if (!this.fillable(mark)) return;
    const ttl = USER_ID.test(subject) ? LOCAL_ENTRY_MAX_MS : LOCAL_MUTABLE_SUBJECT_MS;
    bounded(this.subjects).set(subject, { credentialId, until: Date.now() + ttl });
  }

  /** An invalidation (from any instance, this one included): the credential changed or went. */
  dropCredential(credentialId: string): void {
    this.generation++;
    this.tokens.delete(credentialId);
    for (const [subject, e] of this.subjects) if (e.credentialId === credentialId) this.subjects.delete(subject);
  }

  dropSubject(subject: string): void {
    this.generation++;
    this.subjects.delete(subject);
  }

  get size(): { tokens: number; subjects: number } {
    return { tokens: this.tokens.size, subjects: this.subjects.size };
  }

  private fillable(mark: number): boolean {
    // live() first: an epoch change during the read bumps the generation.
    return this.live() && mark === this.generation;
  }

  /** False while invalidations cannot be trusted; a new epoch forgets everything held. */
  private live(): boolean {
    if (!this.listening) return false;
    const epoch = this.cache.subscriptionEpoch();
    if (epoch === this.epoch) return epoch !== null;
    this.generation++;
    this.tokens.clear();
    this.subjects.clear();
    this.epoch = epoch;
    return epoch !== null;
  }
}

/** Makes room for one more entry by dropping the oldest (Map keeps insertion order). */
function bounded<K, V>(map: Map<K, V>): Map<K, V> {
  if (map.size >= LOCAL_MAX_ENTRIES) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  return map;
}
