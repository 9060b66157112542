import type { TokenBroker } from './broker.js';
import type { ProactiveStore } from './proactive-store.js';

/**
 * "Last served" per credential, off the hot path: subjects served are remembered in memory and
 * written in one UPDATE per flush, so a broker answer from process memory stays free of I/O.
 */
export class ServedTracker {
  private pending = new Set<string>();

  constructor(private readonly store: ProactiveStore) {}

  /** The broker, with every token it hands out noted as served. */
  track(broker: TokenBroker): TokenBroker {
    return {
      ...broker,
      getToken: async (subject, opts) => {
        const token = await broker.getToken(subject, opts);
        this.pending.add(token.subject);
        return token;
      },
    };
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const subjects = [...this.pending];
    this.pending = new Set();
    await this.store.markServed(subjects);
  }
}
