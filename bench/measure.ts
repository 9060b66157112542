import { runLoad } from './lib/load.js';
import { cpuBetween, type CpuSnapshot } from './lib/postgres-cpu.js';
import { cpuSeconds, rssBytes } from './lib/processes.js';
import type { ScenarioOutcome } from './report.js';
import type { Scenario, ServerName } from './scenarios/scenario.js';

export interface MeasureOptions {
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number;
  pidOf: (server: ServerName) => number | undefined;
  /** Postgres CPU snapshots (lib/postgres-cpu.ts), taken around Gatehouse's rounds. */
  postgresCpu?: () => Promise<CpuSnapshot>;
  log: (line: string) => void;
}

/** Keeps scenarios whose id, prefix (`gh`) or name after the dot (`client_credentials`) is listed. */
export function selectScenarios(all: Scenario[], only: string[]): Scenario[] {
  if (only.length === 0) return all;
  return all.filter((s) => only.some((t) => s.id === t || s.id.endsWith(`.${t}`) || s.id.startsWith(`${t}.`)));
}

/**
 * Prepares every scenario (an unavailable one is recorded, not fatal), warms each up once, then
 * runs the rounds interleaved — every scenario once per round, A B C A B C — so drift in the
 * machine's load spreads over all of them instead of landing on one.
 */
export async function measure(scenarios: Scenario[], o: MeasureOptions): Promise<ScenarioOutcome[]> {
  const outcomes: ScenarioOutcome[] = [];
  for (const scenario of scenarios) {
    try {
      const prep = await scenario.prepare?.();
      if (prep && 'unavailable' in prep) {
        o.log(`  ${scenario.id}: not available — ${prep.unavailable}`);
        outcomes.push({ scenario, status: 'unavailable', reason: prep.unavailable, rounds: [] });
        continue;
      }
      outcomes.push({ scenario, status: 'ok', rounds: [] });
    } catch (err) {
      o.log(`  ${scenario.id}: ERROR in setup — ${(err as Error).message}`);
      outcomes.push({ scenario, status: 'error', reason: (err as Error).message.split('\n')[0], rounds: [] });
    }
  }
  const live = outcomes.filter((x) => x.status === 'ok');
  const once = async (x: ScenarioOutcome, seconds: number) => {
    const request = await x.scenario.nextRound(seconds);
    const pid = o.pidOf(x.scenario.server);
    const dbCpu = x.scenario.server === 'gatehouse' ? o.postgresCpu : undefined;
    const dbBefore = await dbCpu?.();
    const cpuBefore = cpuSeconds(pid);
    try {
      const result = await runLoad({
        baseUrl: x.scenario.baseUrl,
        request,
        connections: o.connections,
        durationSeconds: seconds,
      });
      const requests = result.ok + result.non2xx;
      const cpuUs = requests > 0 ? ((cpuSeconds(pid) - cpuBefore) / requests) * 1e6 : NaN;
      const dbAfter = await dbCpu?.();
      const dbCpuUs =
        dbBefore && dbAfter && dbAfter.size > 0 && requests > 0
          ? (cpuBetween(dbBefore, dbAfter) / requests) * 1e6
          : NaN;
      return { ...result, cpuUsPerRequest: cpuUs, dbCpuUsPerRequest: dbCpuUs };
    } finally {
      x.scenario.finishRound?.();
    }
  };
  if (o.warmupSeconds > 0) {
    for (const x of live) {
      o.log(`  warm-up ${x.scenario.id} (${o.warmupSeconds} s)`);
      await once(x, o.warmupSeconds).catch((err: Error) =>
        o.log(`  warm-up of ${x.scenario.id} failed: ${err.message}`),
      );
    }
  }
  for (let round = 1; round <= o.rounds; round++) {
    for (const x of live) {
      if (x.status !== 'ok') continue;
      try {
        const result = await once(x, o.durationSeconds);
        const rss = rssBytes(o.pidOf(x.scenario.server));
        x.rounds.push({ ...result, rssBytes: rss });
        o.log(
          `  round ${round}/${o.rounds} ${x.scenario.id.padEnd(24)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  ` +
            `cpu ${result.cpuUsPerRequest.toFixed(0)} µs/req` +
            `${Number.isNaN(result.dbCpuUsPerRequest) ? '' : `  postgres ${result.dbCpuUsPerRequest.toFixed(0)} µs/req`}` +
            `${result.non2xx ? `  non-2xx ${result.non2xx}` : ''}${result.stoppedEarly ? '  (pool ran out)' : ''}`,
        );
      } catch (err) {
        x.status = 'error';
        x.reason = (err as Error).message.split('\n')[0];
        o.log(`  ${x.scenario.id}: ERROR — ${x.reason}`);
      }
    }
  }
  return outcomes;
}
