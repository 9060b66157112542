import { CacheUnavailableError, type Cache } from '../cache/cache.js';
import { sha256Hex } from '../crypto/hash.js';
import type { Keyring } from '../crypto/keyring.js';
import type { HeldToken } from './held-token.js';
import { LocalTokenCache } from './local-token-cache.js';

export type { HeldToken } from './held-token.js';

/**
 * A cache entry never outlives this, whatever the token's expiry: it bounds how long a deleted
 * user's or connection's token could still be served if an invalidation was lost.
 */
export const MAX_TOKEN_ENTRY_MS = 5 * 60_000;
/** Ids never change meaning; emails and usernames can move to another person. */
export const IMMUTABLE_SUBJECT_TTL_MS = 10 * 60_000;
export const MUTABLE_SUBJECT_TTL_MS = 60_000;
/** Pub/sub channel: a credential id whose cached copies every instance drops. */
const CHANNEL = 'vault';

interface Entry {
  /** AES-256-GCM ciphertext of the access token (keyring format), never plaintext. */
  c: string;
  /** Expiry, unix ms. */
  e: number;
  s: string;
  sc: string;
}

const tokenKey = (credentialId: string) => `vault:token:${credentialId}`;
// Subjects may be emails: the key holds a digest, not the address.
const subjectKey = (subject: string) => `vault:subject:${sha256Hex(subject)}`;
// Bound to the credential and to this use, so a cached ciphertext cannot be replayed as a
// google_credentials column (whose associated data differs) or under another credential.
const aad = (credentialId: string) => `vault-cache:${credentialId}:access_token`;

/**
 * The broker's hot path: credential id → encrypted access token, and subject → credential id,
 * in Redis (or the in-process cache), with an in-process first level in front (LocalTokenCache:
 * decrypted, short-lived, dropped on every instance through pub/sub). Every method degrades to
 * "miss"/no-op when the cache is unavailable, so the broker falls back to Postgres.
 */
export class TokenCache {
  readonly local: LocalTokenCache;

  constructor(
    private readonly cache: Cache,
    private readonly keyring: Keyring,
    private readonly skewMs: number,
  ) {
    this.local = new LocalTokenCache(cache, skewMs);
  }

  /** Subscribes to invalidations; the first level serves nothing before this. */
  async start(): Promise<void> {
    await this.cache.subscribe(CHANNEL, (credentialId) => this.local.dropCredential(credentialId));
    this.local.listen();
  }

  /**
   * Steady state, no I/O at all: the token a subject maps to, from process memory, while it
   * lives longer than the refresh window.
   */
  peek(subject: string): HeldToken | undefined {
    const now = Date.now();
    const credentialId = this.local.credentialFor(subject, now);
    return credentialId === undefined ? undefined : this.local.token(credentialId, now);
  }

  async read(credentialId: string): Promise<HeldToken | null> {
    const local = this.local.token(credentialId, Date.now());
    if (local) return local;
    const mark = this.local.mark();
    const raw = await this.quietly(() => this.cache.get(tokenKey(credentialId)), null);
    if (!raw) return null;
    let token: HeldToken;
    try {
      const entry = JSON.parse(raw) as Entry;
      token = {
        accessToken: this.keyring.decrypt(entry.c, aad(credentialId)),
        expiresAt: new Date(entry.e),
        scope: entry.sc,
        subject: entry.s,
      };
    } catch {
      // Written under a key no longer configured, or garbage: a miss.
      return null;
    }
    this.local.fillToken(mark, credentialId, token);
    return token;
  }

  /** Caches a token until it enters the refresh window (at most MAX_TOKEN_ENTRY_MS). */
  async write(credentialId: string, token: HeldToken): Promise<void> {
    const ttl = Math.min(token.expiresAt.getTime() - Date.now() - this.skewMs, MAX_TOKEN_ENTRY_MS);
    if (ttl <= 0) return;
    const entry: Entry = {
      c: this.keyring.encrypt(token.accessToken, aad(credentialId)),
      e: token.expiresAt.getTime(),
      s: token.subject,
      sc: token.scope,
    };
    await this.quietly(() => this.cache.set(tokenKey(credentialId), JSON.stringify(entry), ttl), undefined);
  }

  /**
   * Called whenever a credential is refreshed, marked, replaced or deleted: this instance's
   * copy at once, then the shared one, then every other instance's through pub/sub.
   */
  async drop(credentialId: string): Promise<void> {
    this.local.dropCredential(credentialId);
    await this.quietly(() => this.cache.del(tokenKey(credentialId)), undefined);
    await this.quietly(() => this.cache.publish(CHANNEL, credentialId), undefined);
  }

  async readSubject(subject: string): Promise<string | null> {
    const local = this.local.credentialFor(subject, Date.now());
    if (local !== undefined) return local;
    const mark = this.local.mark();
    const credentialId = await this.quietly(() => this.cache.get(subjectKey(subject)), null);
    if (credentialId) this.local.fillSubject(mark, subject, credentialId);
    return credentialId;
  }

  async writeSubject(subject: string, credentialId: string, immutable: boolean): Promise<void> {
    const ttl = immutable ? IMMUTABLE_SUBJECT_TTL_MS : MUTABLE_SUBJECT_TTL_MS;
    await this.quietly(() => this.cache.set(subjectKey(subject), credentialId, ttl), undefined);
  }

  async dropSubject(...subjects: string[]): Promise<void> {
    if (subjects.length === 0) return;
    for (const subject of subjects) this.local.dropSubject(subject);
    await this.quietly(() => this.cache.del(...subjects.map(subjectKey)), undefined);
  }

  private async quietly<T>(fn: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CacheUnavailableError) return fallback;
      throw err;
    }
  }
}

export const tokenCacheKeys = { tokenKey, subjectKey };
