/**
 * npm run bench — Gatehouse against a bare Fastify route and node-oidc-provider, in one run.
 * See README "Benchmarks". Every server is a separate process, killed on the way out.
 */
import { join } from 'node:path';
import { buildForBench } from './lib/build.js';
import { parseBenchArgs } from './lib/cli-args.js';
import { PostgresCpu } from './lib/postgres-cpu.js';
import { canPin, pinSelf, ProcessGroup } from './lib/processes.js';
import {
  createScratchDatabase,
  DEFAULT_POSTGRES,
  DEFAULT_REDIS,
  dropRedisPrefix,
  scratchRedisPrefix,
} from './lib/scratch.js';
import { measure, selectScenarios } from './measure.js';
import { buildRows, machineFacts, markdownTable, factsLine, writeResults, type RunFacts } from './report.js';
import { baselineScenarios } from './scenarios/baseline.js';
import { gatehouseScenarios } from './scenarios/gatehouse.js';
import { oidcProviderScenarios } from './scenarios/oidc-provider.js';
import { runProactiveWorkerBench, wantsProactive } from './scenarios/proactive-worker.js';
import type { ServerName } from './scenarios/scenario.js';
import { GatehouseSeeder } from './seed/gatehouse-seed.js';
import {
  LOAD_CORE,
  REPO_ROOT,
  startBareFastify,
  startGatehouse,
  startOidcProvider,
  type RunningGatehouse,
  type RunningServer,
} from './servers/start.js';
import { measureEs256SignRate } from './lib/sign-rate.js';
import { judgeTargets } from './targets.js';

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const log = (line: string) => console.log(line);
  buildForBench(REPO_ROOT, log, args.noBuild);
  const pinned = pinSelf(LOAD_CORE);
  const postgres = process.env.BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES;
  const redis = process.env.BENCH_REDIS_URL ?? DEFAULT_REDIS;
  const group = new ProcessGroup();
  const db = await createScratchDatabase(postgres);
  const redisPrefix = scratchRedisPrefix();
  log(`scratch database ${db.name}, Redis prefix ${redisPrefix}${pinned ? '' : ' (taskset unavailable: not pinned)'}`);
  let gh: RunningGatehouse | undefined;
  let seeder: GatehouseSeeder | undefined;
  let postgresCpu: PostgresCpu | undefined;
  try {
    const [gatehouse, fastify, peer] = await Promise.all([
      startGatehouse(group, {
        databaseUrl: db.url,
        redisUrl: redis,
        redisPrefix,
        cpuProfDir: args.cpuProf ? RESULTS_DIR : undefined,
      }),
      startBareFastify(group),
      startOidcProvider(group),
    ]);
    gh = gatehouse;
    seeder = new GatehouseSeeder(gh.baseUrl, gh.adminKey, db.url);
    const servers: Record<ServerName, RunningServer> = { gatehouse: gh, fastify, 'oidc-provider': peer };
    const scenarios = selectScenarios(
      [
        ...baselineScenarios(fastify),
        ...gatehouseScenarios({ gh, seeder, connections: args.connections, rounds: args.rounds }),
        ...oidcProviderScenarios(peer, { connections: args.connections, rounds: args.rounds }),
      ],
      args.only,
    );
    const proactive = wantsProactive(args.only);
    if (scenarios.length === 0 && !proactive) throw new Error(`--only ${args.only.join(',')} matches no scenario`);
    log(
      `${scenarios.length} scenarios × ${args.rounds} rounds × ${args.durationSeconds} s, ${args.connections} connections`,
    );

    const signRate = await measureEs256SignRate();
    log(`jose ES256 sign on the load core: ${signRate.toFixed(0)}/s`);
    postgresCpu = await PostgresCpu.connect(db.url);
    const pgCpu = postgresCpu;
    const outcomes = await measure(scenarios, {
      ...args,
      pidOf: (s) => servers[s].pid,
      postgresCpu: () => pgCpu.snapshot(),
      log,
    });
    // Its own Gatehouse processes and database, one after the other (see the module).
    const worker = proactive ? await runProactiveWorkerBench({ postgres, redis, args, log }) : undefined;
    const rows = buildRows([...outcomes, ...(worker?.outcomes ?? [])]);
    const facts: RunFacts = {
      date: new Date().toISOString(),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      ...machineFacts(),
      pinned: pinned && canPin,
      durationSeconds: args.durationSeconds,
      rounds: args.rounds,
      connections: args.connections,
      extra: { 'jose ES256 signs/s on the load core': Math.round(signRate), ...worker?.facts },
    };
    const targets = [...judgeTargets(rows, signRate), ...(worker?.targets ?? [])];
    log(`\n${factsLine(facts)}\n\n${markdownTable(rows)}\n\n${targets.join('\n')}`);
    writeResults(RESULTS_DIR, 'latest', facts, rows, targets);
    log(`\nwrote bench/results/latest.json and bench/results/latest.md`);
  } finally {
    await seeder?.close().catch(() => {});
    await postgresCpu?.close().catch(() => {});
    await group.stopAll();
    await gh?.mockGoogle.close().catch(() => {});
    await db.drop().catch((err: Error) => console.error(`could not drop ${db.name}: ${err.message}`));
    await dropRedisPrefix(redis, redisPrefix).catch(() => 0);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
