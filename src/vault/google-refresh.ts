import { randomInt } from 'node:crypto';
import type { Cache } from '../cache/cache.js';
import type { GoogleClient, GoogleTokenResponse } from '../google/client.js';
import { GoogleError } from '../google/errors.js';
import { backOffUntil, MAX_RETRY_AFTER_SECONDS } from '../google/http.js';

/** An attempt with less time than this left cannot succeed; give up instead. */
const MIN_ATTEMPT_MS = 100;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 1000;
/** Shared by every instance: after a 429 nobody calls Google's token endpoint before this. */
const NOT_BEFORE_KEY = 'vault:google:token-not-before';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One refresh at Google within a deadline: 5xx, timeouts and resets are retried with full
 * jitter backoff (each attempt's timeout is the time left, so the whole exchange ends by the
 * deadline); a 429 is honoured — no call before Retry-After, on this instance or any other —
 * and given up on when Retry-After falls past the deadline. invalid_grant, rejected and
 * invalid_response are final. Always throws GoogleError on failure.
 */
export class GoogleRefresher {
  private notBefore = 0;

  constructor(
    private readonly google: GoogleClient,
    private readonly cache: Cache,
  ) {}

  async refresh(refreshToken: string, deadline: number): Promise<GoogleTokenResponse> {
    let last: GoogleError | undefined;
    for (let attempt = 0; ; attempt++) {
      const wait = (await this.rateLimitedUntil()) - Date.now();
      if (wait > 0) {
        if (Date.now() + wait + MIN_ATTEMPT_MS > deadline) {
          throw (
            last ??
            new GoogleError('rate_limited', 'token', 'Google asked us to wait past the deadline', {
              retryAfter: Math.ceil(wait / 1000),
            })
          );
        }
        await sleep(wait);
      }
      const remaining = deadline - Date.now();
      if (remaining < MIN_ATTEMPT_MS)
        throw last ?? new GoogleError('unavailable', 'token', 'no time left to call Google');
      try {
        return await this.google.refreshAccessToken(refreshToken, { timeoutMs: remaining });
      } catch (err) {
        if (!(err instanceof GoogleError)) throw err;
        last = err;
        if (err.kind === 'rate_limited') {
          await this.recordRateLimit(backOffUntil(err.retryAfter ?? 1));
          continue;
        }
        if (err.kind !== 'unavailable') throw err;
        // Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter").
        const backoff = randomInt(0, Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt) + 1);
        if (Date.now() + backoff + MIN_ATTEMPT_MS > deadline) throw err;
        await sleep(backoff);
      }
    }
  }

  private async rateLimitedUntil(): Promise<number> {
    try {
      const shared = Number(await this.cache.get(NOT_BEFORE_KEY));
      // A value written before the cap (or by a confused peer) still ends within the cap.
      if (Number.isFinite(shared))
        this.notBefore = Math.max(this.notBefore, Math.min(shared, Date.now() + MAX_RETRY_AFTER_SECONDS * 1000));
    } catch {
      // Redis down: this instance's own memory of the 429 still applies.
    }
    return this.notBefore;
  }

  private async recordRateLimit(until: number): Promise<void> {
    this.notBefore = Math.max(this.notBefore, until);
    const ttl = until - Date.now();
    if (ttl > 0) await this.cache.set(NOT_BEFORE_KEY, String(until), ttl).catch(() => {});
  }
}
