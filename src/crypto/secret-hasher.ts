import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { LRUCache } from 'lru-cache';
import { SingleFlight } from '../concurrency/single-flight.js';
import { sha256Base64 } from './hash.js';

/** Longest secret we will hash: anything longer is refused before argon2 ever sees it. */
export const MAX_SECRET_LENGTH = 512;
/** argon2 runs that may wait for a slot; beyond this the caller is told to come back (503). */
export const MAX_QUEUED_HASHES = 100;

/**
 * Every argon2 slot is taken and MAX_QUEUED_HASHES calls already wait: the server is saturated
 * with hashing (a flood of wrong secrets from many addresses). Answered 503 with Retry-After.
 */
export class HasherBusyError extends Error {
  override name = 'HasherBusyError';
  constructor() {
    super('too many secret verifications in progress');
  }
}

/**
 * argon2id for client secrets and API keys, with a verify cache: once a presented secret has
 * been verified against a stored hash, the same (owner, secret, hash) triple is accepted again
 * without argon2. The cache key is the SHA-256 of a per-process random salt and the triple, so
 * the map never holds a secret or anything that can be brute-forced offline without the salt
 * (a one-shot hash: an HMAC object per request cost 3× more on the token endpoint's hot path);
 * keying by the stored hash means a rotated secret misses the cache at once.
 */
export interface SecretHasher {
  hash(secret: string): Promise<string>;
  /** True when secret matches storedHash. `ownerId` scopes the cache entry (client or key id). */
  verify(ownerId: string, secret: string, storedHash: string): Promise<boolean>;
  /** True when this exact (owner, secret, hash) was verified before: no argon2, no I/O. */
  isVerified(ownerId: string, secret: string, storedHash: string): boolean;
  /**
   * Spends the time of one argon2 verification and returns false, so that "no such client"
   * takes as long as "wrong secret".
   */
  verifyNothing(secret: string): Promise<false>;
  /** How many argon2 verifications ran (benchmarks and tests watch this). */
  readonly argon2Verifications: number;
}

export interface SecretHasherOptions {
  cacheSize?: number;
  /** argon2 computations at once (each takes a libuv thread and ~64 MiB); default 2 × CPUs. */
  maxConcurrent?: number;
  /** Calls that may wait for a slot; default MAX_QUEUED_HASHES. */
  maxQueued?: number;
}

export function createSecretHasher(opts: SecretHasherOptions = {}): SecretHasher {
  const salt = randomBytes(32).toString('base64');
  const slots = createSlots(opts.maxConcurrent ?? 2 * availableParallelism(), opts.maxQueued ?? MAX_QUEUED_HASHES);
  const verified = new LRUCache<string, true>({ max: opts.cacheSize ?? 10_000 });
  // Concurrent first uses of one secret (a client starting 16 workers) share one verification.
  const inflight = new SingleFlight<boolean>();
  let dummyHash: Promise<string> | undefined;
  let count = 0;
  const entry = (ownerId: string, secret: string, storedHash: string) =>
    sha256Base64(`${salt}\u0000${ownerId}\u0000${storedHash}\u0000${secret}`);

  const argonVerify = (storedHash: string, secret: string) =>
    slots.run(async () => {
      count++;
      try {
        return await argon2.verify(storedHash, secret);
      } catch {
        return false;
      }
    });

  return {
    hash: (secret) => slots.run(() => argon2.hash(secret, { type: argon2.argon2id })),
    isVerified(ownerId, secret, storedHash) {
      return (
        secret.length > 0 && secret.length <= MAX_SECRET_LENGTH && verified.has(entry(ownerId, secret, storedHash))
      );
    },
    async verify(ownerId, secret, storedHash) {
      if (secret.length === 0 || secret.length > MAX_SECRET_LENGTH) return false;
      const key = entry(ownerId, secret, storedHash);
      if (verified.has(key)) return true;
      return inflight.run(key, async () => {
        const ok = await argonVerify(storedHash, secret);
        if (ok) verified.set(key, true);
        return ok;
      });
    },
    async verifyNothing(secret) {
      dummyHash ??= argon2.hash(randomBytes(16).toString('base64url'), { type: argon2.argon2id });
      await argonVerify(await dummyHash, secret.slice(0, MAX_SECRET_LENGTH));
      return false;
    },
    get argon2Verifications() {
      return count;
    },
  };
}

/**
 * A counting semaphore with a bounded queue: at most `max` tasks run, at most `maxQueued` wait,
 * and a task beyond that is refused at once with HasherBusyError instead of queueing without end.
 */
function createSlots(max: number, maxQueued: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running < max) running++;
      else if (waiting.length >= maxQueued) throw new HasherBusyError();
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
