import type { FastifyBaseLogger } from 'fastify';
import { PeriodicTask } from '../background/periodic-task.js';
import { CacheUnavailableError, type Cache } from '../cache/cache.js';
import { randomToken } from '../crypto/random.js';
import { ApiError } from '../oauth/errors.js';
import type { TokenBroker } from './broker.js';
import type { ProactiveStore } from './proactive-store.js';
import type { ServedTracker } from './proactive-served.js';
import { CredentialGone } from './errors.js';
import { RollingCallBudget } from './call-budget.js';

export interface ProactiveRefreshOptions {
  intervalMs: number;
  /** Refresh access tokens expiring within this long. */
  withinMs: number;
  windowDays: number;
  /** Google calls per minute, shared by every instance. */
  perMinute: number;
}

export interface ProactivePassResult {
  refreshed: number;
  reauthRequired: number;
  failed: number;
  /** Candidates left for a later pass because the shared budget ran out. */
  deferred: number;
}

const BUDGET_KEY = 'vault:proactive:budget';
const claimKey = (id: string) => `vault:proactive:claim:${id}`;

/**
 * Refreshes Google access tokens before anyone asks, so the broker's hot path rarely waits for
 * Google and a dead grant (invalid_grant) is found — marked reauth_required, the webhook sent —
 * before a service trips over it. Each credential is claimed in Redis for one interval, so one
 * instance handles it; every Google call takes a slot of a budget per rolling minute counted in
 * Redis across instances. Without Redis a pass does nothing: the budget could not be shared.
 */
export class ProactiveRefresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ProactivePassResult | undefined> | undefined;
  private stopped = false;
  /** Google calls per rolling minute, shared by every instance. */
  readonly budget: RollingCallBudget;
  private readonly task: PeriodicTask<ProactivePassResult>;

  constructor(
    private readonly deps: {
      broker: TokenBroker;
      store: ProactiveStore;
      served: ServedTracker;
      cache: Cache;
      log: FastifyBaseLogger;
    },
    private readonly opts: ProactiveRefreshOptions,
  ) {
    this.budget = new RollingCallBudget(deps.cache, BUDGET_KEY, opts.perMinute);
    this.task = new PeriodicTask({
      intervalMs: opts.intervalMs,
      run: () => this.pass(),
      log: deps.log,
      failureMessage: 'proactive refresh pass failed',
    });
  }

  start(): void {
    this.task.start();
  }

  /** One pass now, unless one is running (then that one's result). */
  runNow(): Promise<ProactivePassResult | undefined> {
    return this.task.runNow();
  }

  async stop(): Promise<void> {
    await this.task.stop();
    await this.deps.served.flush().catch(() => {});
  }

  private async pass(): Promise<ProactivePassResult> {
    const result: ProactivePassResult = { refreshed: 0, reauthRequired: 0, failed: 0, deferred: 0 };
    await this.deps.served.flush();
    const due = await this.deps.store.dueForRefresh(this.opts.withinMs, this.opts.windowDays, this.opts.perMinute);
    for (const [i, c] of due.entries()) {
      if (this.task.signal.aborted) break;
      try {
        if (!(await this.deps.cache.setIfAbsent(claimKey(c.id), randomToken(8), this.opts.intervalMs))) continue;
        if (!(await this.budget.take())) {
          await this.deps.cache.del(claimKey(c.id));
          result.deferred = due.length - i;
          break;
        }
      } catch (err) {
        if (err instanceof CacheUnavailableError) break;
        throw err;
      }
      try {
        await this.deps.broker.refreshCredential(c.id);
        result.refreshed++;
      } catch (err) {
        if (err instanceof ApiError && err.error === 'reauth_required') result.reauthRequired++;
        else if (err instanceof ApiError || err instanceof CredentialGone) result.failed++;
        else throw err;
      }
    }
    if (result.refreshed + result.reauthRequired + result.failed + result.deferred > 0) {
      this.deps.log.info({ proactive: result }, 'proactive refresh pass');
    }
    return result;
  }
}
