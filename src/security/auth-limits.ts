import type { AuthFailureAudit, AuthFailureKind } from '../audit/auth-failures.js';
import { tooManyRequests } from '../oauth/errors.js';
import type { FailureLimiter } from './rate-limiter.js';

interface LimitKey {
  limiter: FailureLimiter;
  key: string;
}

/** A credential check in progress, already counted against every limit it falls under. */
export interface AuthAttempt {
  /** The credential was right: the attempt is credited back. */
  succeeded(): Promise<void>;
  /** The credential was wrong: it stays counted, and the refusal goes to the audit tally. */
  failed(): void;
}

/**
 * The failure limits of one kind of credential (client secrets, API keys, the admin key): its
 * own limits (per client id and address, per address) and, for clients and API keys, the one
 * per-address limit they share (product rule "Abuse limits": 60 failures a minute from one address,
 * across client ids and API keys). Refusals are tallied for the audit log, never written one by one.
 */
export class CredentialLimits {
  constructor(
    private readonly opts: {
      kind: AuthFailureKind;
      failures: AuthFailureAudit;
      /** The 429's description. */
      refusal: string;
      /** Limits counted per address. */
      byAddress: readonly FailureLimiter[];
      /** A limit counted per claimed credential (client id) and address. */
      byCredentialAndAddress?: FailureLimiter;
    },
  ) {}

  /**
   * Counts an attempt that will check a credential (argon2 or a comparison) before it runs;
   * throws 429 when any limit is already used up, without checking anything.
   */
  async begin(ip: string, credentialId?: string): Promise<AuthAttempt> {
    const counted = await Promise.all(this.limits(ip, credentialId).map((l) => l.limiter.attempt(l.key)));
    if (counted.some((c) => c.blocked)) {
      // Refused unchecked: not a failure for the limits that would have let it through.
      await Promise.all(counted.filter((c) => !c.blocked).map((c) => c.credit()));
    }
    this.refuseIfBlocked(
      ip,
      counted.map((c) => c.blocked),
    );
    return {
      succeeded: async () => {
        await Promise.all(counted.map((c) => c.credit()));
      },
      failed: () => this.opts.failures.note(ip, this.opts.kind, 'rejected'),
    };
  }

  /** For a request that cannot fail its check (a known public client): refused only while blocked. */
  async check(ip: string, credentialId?: string): Promise<void> {
    this.refuseIfBlocked(ip, await Promise.all(this.limits(ip, credentialId).map((l) => l.limiter.isBlocked(l.key))));
  }

  private limits(ip: string, credentialId: string | undefined): LimitKey[] {
    const limits = this.opts.byAddress.map((limiter) => ({ limiter, key: ip }));
    const perCredential = this.opts.byCredentialAndAddress;
    if (perCredential && credentialId !== undefined)
      limits.push({ limiter: perCredential, key: `${credentialId}|${ip}` });
    return limits;
  }

  private refuseIfBlocked(ip: string, states: readonly ({ retryAfterSeconds: number } | null)[]): void {
    const blocked = states.filter((s) => s !== null);
    if (blocked.length === 0) return;
    this.opts.failures.note(ip, this.opts.kind, 'rate_limited');
    throw tooManyRequests(Math.max(...blocked.map((s) => s.retryAfterSeconds)), this.opts.refusal);
  }
}
