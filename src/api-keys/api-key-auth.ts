import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Cache } from '../cache/cache.js';
import { CoherentCache, announceChange, type CacheLog } from '../cache/coherent-cache.js';
import { sha256Hex } from '../crypto/hash.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import { ApiError, forbidden, invalidToken } from '../oauth/errors.js';
import type { ApiKeysRepository } from '../repositories/api-keys.js';
import type { CredentialLimits } from '../security/auth-limits.js';
import { SingleFlight } from '../concurrency/single-flight.js';
import { parseApiKey, type ApiKey, type ApiKeyScope } from './api-key.js';

const CHANNEL = 'api-keys';
const LOCAL_TTL_MS = 60_000;
const USAGE_FLUSH_MS = 30_000;

/**
 * The SHA-256 of the secret that passed argon2 against this very row object: a key is 256
 * random bits, so its digest cannot be reversed or guessed offline, and it only counts while
 * the row cache still holds that object (revocation, TTL and the coherence rules drop it).
 */
interface Verified {
  key: ApiKey;
  digest: string;
}

/**
 * Authenticates internal services by `Authorization: Bearer gh_…`. Key rows are cached in
 * process (revocation reaches every instance by pub/sub), verification goes through the
 * argon2 verify cache, and last_used_at is written in batches.
 */
export class ApiKeyAuthenticator {
  private readonly rows: CoherentCache<ApiKey>;
  private readonly verified = new LRUCache<string, Verified>({ max: 10_000, ttl: LOCAL_TTL_MS });
  private readonly used = new Set<string>();
  /** Concurrent first uses of one key from one address share one check (and one counted attempt). */
  private readonly checks = new SingleFlight<ApiKey>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      apiKeys: ApiKeysRepository;
      cache: Cache;
      hasher: SecretHasher;
      limits: CredentialLimits;
      log: CacheLog;
    },
  ) {
    // Key rows in process only (no Redis copy): kept coherent by the cache/ primitive's rules.
    this.rows = new CoherentCache<ApiKey>({
      name: CHANNEL,
      cache: deps.cache,
      load: (prefix) => deps.apiKeys.findByLookupPrefix(prefix),
      localTtlMs: LOCAL_TTL_MS,
      maxEntries: 10_000,
      log: deps.log,
    });
  }

  async start(): Promise<void> {
    await this.rows.start();
    this.timer = setInterval(() => void this.flushUsage().catch(() => {}), USAGE_FLUSH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.rows.stop();
    await this.flushUsage().catch(() => {});
  }

  /** Tells every instance to forget its copy of a key (after revocation). */
  async changed(key: ApiKey): Promise<void> {
    await this.rows.changed(key.lookup_prefix, key);
  }

  async authenticate(request: FastifyRequest, scope: ApiKeyScope): Promise<ApiKey> {
    const presented = bearer(request.headers.authorization);
    const known = presented ? parseApiKey(presented) : null;
    const cached = known ? this.rows.peek(known.lookupPrefix) : undefined;
    const verified = cached ? this.verified.get(cached.lookup_prefix) : undefined;
    // Steady state: the secret that passed argon2 against this very row is accepted from
    // memory (no argon2, no Redis, one SHA-256). Comparing digests reveals nothing about the key.
    if (cached && !cached.revoked && verified?.key === cached && verified.digest === sha256Hex(presented!)) {
      if (!cached.scopes.includes(scope)) throw forbidden(`this API key lacks the '${scope}' scope`);
      this.used.add(cached.id);
      return cached;
    }
    const key = await this.checks.run(`${request.ip}\u0000${presented ? sha256Hex(presented) : ''}`, () =>
      this.check(request.ip, presented),
    );
    if (!key.scopes.includes(scope)) throw forbidden(`this API key lacks the '${scope}' scope`);
    this.used.add(key.id);
    return key;
  }

  /** The slow path: the key's row, then argon2, counted against the failure limits first. */
  private async check(ip: string, presented: string | undefined): Promise<ApiKey> {
    // Counted before argon2: a burst of bad keys cannot all pass the limit.
    const attempt = await this.deps.limits.begin(ip);
    const fail = (): never => {
      attempt.failed();
      throw invalidToken('invalid API key');
    };
    const parsed = presented ? parseApiKey(presented) : null;
    if (!presented || !parsed) return fail();
    const key = await this.rows.get(parsed.lookupPrefix);
    if (!key || key.revoked) {
      await this.deps.hasher.verifyNothing(presented);
      return fail();
    }
    if (!(await this.deps.hasher.verify(key.id, presented, key.key_hash))) return fail();
    await attempt.succeeded();
    this.verified.set(parsed.lookupPrefix, { key, digest: sha256Hex(presented) });
    return key;
  }

  private async flushUsage(): Promise<void> {
    if (this.used.size === 0) return;
    const ids = [...this.used];
    this.used.clear();
    await this.deps.apiKeys.markUsed(ids);
  }
}

/**
 * Tells every instance (this one included) to drop its cached copy of a key. Used by processes
 * that change keys without authenticating any (the CLI). If Redis cannot be told, instances
 * stop serving copies once their subscription notices the outage (cache/coherence.ts).
 */
export async function announceApiKeyChange(cache: Cache, key: ApiKey): Promise<void> {
  await announceChange(cache, CHANNEL, key.lookup_prefix);
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m)
    throw new ApiError('invalid_request', 401, 'expected Authorization: Bearer <api key>', {
      headers: { 'www-authenticate': 'Bearer realm="gatehouse"' },
    });
  return m[1];
}
