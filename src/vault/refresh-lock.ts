import { randomInt } from 'node:crypto';
import { CacheUnavailableError, type Cache } from '../cache/cache.js';
import { randomToken } from '../crypto/random.js';
import type { GoogleCredential } from '../repositories/google-credentials.js';
import { CredentialGone, UpstreamFailure } from './errors.js';

const POLL_MS = 50;

export interface HeldLock {
  release(): Promise<void>;
}

const lockKey = (credentialId: string) => `vault:lock:${credentialId}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The cross-instance refresh lock: SET NX PX with a random token, released only by its owner
 * (compare-and-delete), so a holder that overran its TTL cannot release someone else's lock.
 * The TTL covers the longest refresh; a crashed holder blocks others for at most that long.
 */
export class RefreshLock {
  constructor(
    private readonly cache: Cache,
    private readonly ttlMs: number,
  ) {}

  /** The lock, null when another holder has it, 'unavailable' when Redis cannot answer. */
  async acquire(credentialId: string): Promise<HeldLock | null | 'unavailable'> {
    const token = randomToken(16);
    try {
      if (!(await this.cache.setIfAbsent(lockKey(credentialId), token, this.ttlMs))) return null;
    } catch (err) {
      if (err instanceof CacheUnavailableError) return 'unavailable';
      throw err;
    }
    return {
      release: async () => {
        // Best effort: if Redis went away, the TTL frees the lock.
        await this.cache.delIfEquals(lockKey(credentialId), token).catch(() => false);
      },
    };
  }

  /**
   * Polls `read` while another holder refreshes. Returns the row once `satisfied`; null when
   * the lock was released (or Redis went away) without satisfying us; throws UpstreamFailure
   * at the deadline and CredentialGone when the row disappears.
   */
  async waitWhileHeld(
    credentialId: string,
    read: () => Promise<GoogleCredential | null>,
    satisfied: (c: GoogleCredential) => boolean,
    deadline: number,
  ): Promise<GoogleCredential | null> {
    for (;;) {
      await sleep(Math.min(POLL_MS + randomInt(0, POLL_MS), Math.max(0, deadline - Date.now())));
      const row = await read();
      if (!row) throw new CredentialGone();
      if (satisfied(row)) return row;
      if (Date.now() >= deadline) throw new UpstreamFailure(row);
      try {
        if ((await this.cache.get(lockKey(credentialId))) === null) return null;
      } catch (err) {
        if (err instanceof CacheUnavailableError) return null;
        throw err;
      }
    }
  }
}
