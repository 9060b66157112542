import type { LoadRequest } from '../lib/load.js';

export type ServerName = 'gatehouse' | 'fastify' | 'oidc-provider';

/**
 * One measured request shape. `prepare` runs once (seeding); `nextRound` runs before every
 * round, warm-up included, outside the timed window (minting single-use credentials), and
 * `finishRound` after it.
 */
export interface Scenario {
  id: string;
  /** What it measures, for the README and the table. */
  description: string;
  server: ServerName;
  baseUrl: string;
  /** Which bare Fastify route it is compared with. */
  method: 'GET' | 'POST';
  /** The id of the matching oidc-provider scenario, if any. */
  peer?: string;
  /** Resolves to a reason when the scenario cannot run in this tree (an endpoint not built yet). */
  prepare?(): Promise<{ unavailable: string } | void>;
  nextRound(durationSeconds: number): Promise<LoadRequest>;
  finishRound?(): void;
}

/** A scenario whose request never changes. */
export function fixedScenario(s: Omit<Scenario, 'nextRound'> & { request: LoadRequest }): Scenario {
  const { request, ...rest } = s;
  return { ...rest, nextRound: async () => request };
}
