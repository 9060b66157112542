import type { AuditEvent } from './audit-event.js';

/** Which credential a refused caller presented. */
export type AuthFailureKind = 'client' | 'api_key' | 'admin_key';
/** rejected: a wrong or unknown credential; rate_limited: refused with 429 before any check. */
export type AuthFailureOutcome = 'rejected' | 'rate_limited';

export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Addresses tracked per window; beyond this, refusals are counted under one `ip: null` event. */
const MAX_ADDRESSES = 10_000;

interface Tally {
  count: number;
  rejected: Record<AuthFailureKind, number>;
  rate_limited: number;
}

const OVERFLOW = '\u0000overflow';

/**
 * Refusals of unauthenticated or rate-limited callers, aggregated for the audit log: one
 * `auth_failures` event per address and minute with counts, never one row per request, and
 * nothing the caller chose (client ids, key prefixes) is stored. A flood of bad credentials
 * therefore costs the audit table one row per address per minute on each instance.
 */
export class AuthFailureAudit {
  private window = currentWindow();
  private tallies = new Map<string, Tally>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly record: (event: AuditEvent) => void) {}

  start(): void {
    // Checked often enough that a closed minute is written within seconds of its end.
    this.timer = setInterval(() => this.flushClosed(), 5_000);
    this.timer.unref();
  }

  /** Counts one refusal. Never throws and never waits: callers are requests being refused. */
  note(ip: string, kind: AuthFailureKind, outcome: AuthFailureOutcome): void {
    this.flushClosed();
    const key = this.tallies.has(ip) || this.tallies.size < MAX_ADDRESSES ? ip : OVERFLOW;
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = { count: 0, rejected: { client: 0, api_key: 0, admin_key: 0 }, rate_limited: 0 };
      this.tallies.set(key, tally);
    }
    tally.count++;
    if (outcome === 'rate_limited') tally.rate_limited++;
    else tally.rejected[kind]++;
  }

  /** Writes the current window now, closed or not (shutdown, tests). */
  flush(): void {
    this.write(this.window, this.tallies);
    this.window = currentWindow();
    this.tallies = new Map();
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private flushClosed(): void {
    if (currentWindow() !== this.window) this.flush();
  }

  private write(window: number, tallies: Map<string, Tally>): void {
    const windowStart = new Date(window * AUTH_FAILURE_WINDOW_MS).toISOString();
    for (const [ip, tally] of tallies) {
      this.record({
        event: 'auth_failures',
        ip: ip === OVERFLOW ? null : ip,
        details: {
          window_start: windowStart,
          window_seconds: AUTH_FAILURE_WINDOW_MS / 1000,
          count: tally.count,
          // Named so that no field reads as a secret's (a `…_key` field would be scrubbed).
          client_failures: tally.rejected.client,
          api_key_failures: tally.rejected.api_key,
          admin_key_failures: tally.rejected.admin_key,
          rate_limited: tally.rate_limited,
        },
      });
    }
  }
}

function currentWindow(): number {
  return Math.floor(Date.now() / AUTH_FAILURE_WINDOW_MS);
}
