import type { Cache } from '../cache/cache.js';
import { Coherence } from '../cache/coherence.js';
import type { HeldToken } from './held-token.js';

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
 * id. It follows the cache/ coherence rules (Coherence): it only serves while the shared
 * cache's pub/sub delivers every invalidation, forgets everything on a new subscription epoch,
 * and a message about a credential drops its token and every subject that maps to it. Entries
 * are only filled from what was just read from the shared cache, and only when no invalidation
 * arrived during that read, so a message can never be overtaken by a copy read before it.
 */
export class LocalTokenCache {
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly subjects = new Map<string, SubjectEntry>();
  private readonly coherence: Coherence;

  constructor(
    cache: Pick<Cache, 'subscriptionEpoch'>,
    private readonly skewMs: number,
  ) {
    this.coherence = new Coherence(cache, () => {
      this.tokens.clear();
      this.subjects.clear();
    });
  }

  /** Call once subscribed to the invalidation channel: until then nothing is served from memory. */
  listen(): void {
    this.coherence.listen();
  }

  /** The held token while it lives longer than the refresh window, from memory only. */
  token(credentialId: string, now: number): HeldToken | undefined {
    if (!this.coherence.live()) return undefined;
    const e = this.tokens.get(credentialId);
    if (!e) return undefined;
    if (e.until > now) return e.token;
    this.tokens.delete(credentialId);
    return undefined;
  }

  credentialFor(subject: string, now: number): string | undefined {
    if (!this.coherence.live()) return undefined;
    const e = this.subjects.get(subject);
    if (!e) return undefined;
    if (e.until > now) return e.credentialId;
    this.subjects.delete(subject);
    return undefined;
  }

  /** Taken before reading the shared cache; hand it back to `fill*`. */
  mark(): number {
    return this.coherence.mark();
  }

  fillToken(mark: number, credentialId: string, token: HeldToken): void {
    if (!this.coherence.fillable(mark)) return;
    const now = Date.now();
    // Never past the refresh window: from there on the broker must look at the row.
    const until = Math.min(token.expiresAt.getTime() - this.skewMs, now + LOCAL_ENTRY_MAX_MS);
    if (until <= now) return;
    bounded(this.tokens).set(credentialId, { token, until });
  }

  fillSubject(mark: number, subject: string, credentialId: string): void {
    if (!this.coherence.fillable(mark)) return;
    const ttl = USER_ID.test(subject) ? LOCAL_ENTRY_MAX_MS : LOCAL_MUTABLE_SUBJECT_MS;
    bounded(this.subjects).set(subject, { credentialId, until: Date.now() + ttl });
  }

  /** An invalidation (from any instance, this one included): the credential changed or went. */
  dropCredential(credentialId: string): void {
    this.coherence.invalidated();
    this.tokens.delete(credentialId);
    for (const [subject, e] of this.subjects) if (e.credentialId === credentialId) this.subjects.delete(subject);
  }

  dropSubject(subject: string): void {
    this.coherence.invalidated();
    this.subjects.delete(subject);
  }

  get size(): { tokens: number; subjects: number } {
    return { tokens: this.tokens.size, subjects: this.subjects.size };
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
