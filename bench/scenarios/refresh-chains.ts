import type { LoadRequest } from '../lib/load.js';

/**
 * Refresh tokens for a rotation benchmark. Every request spends a token nobody has used and its
 * response's new refresh token goes back into the pool (a client doing what it should), so a
 * pool of a few hundred lasts any duration. A token whose response was lost (the run ended
 * with the request in flight) is dropped, never presented again: that would be reuse and
 * revoke its family. (autocannon resets a connection's context after every request of a
 * one-request list, so the pool is shared, not kept per connection.)
 */
export class RefreshChains {
  /** The first few failed responses, for the log. */
  readonly failures: string[] = [];

  constructor(private readonly pool: string[]) {}

  get size(): number {
    return this.pool.length;
  }

  request(path: string, headers: Record<string, string>, body: (token: string) => string): LoadRequest {
    return {
      method: 'POST',
      path,
      headers,
      setupRequest: (req, _context, stop) => {
        const token = this.pool.pop();
        if (this.pool.length < 5) stop();
        // autocannon cannot skip a request: an empty pool sends a token that fails (counted as
        // non-2xx), and the run has already been told to stop.
        return { ...req, body: body(token ?? 'pool-exhausted') };
      },
      onResponse: (status, text) => {
        if (status !== 200) {
          if (this.failures.length < 3) this.failures.push(`${status} ${text.slice(0, 200)}`);
          return;
        }
        try {
          const next = (JSON.parse(text) as { refresh_token?: string }).refresh_token;
          if (next) this.pool.unshift(next);
        } catch {
          // a response without a new token ends that chain
        }
      },
    };
  }
}
