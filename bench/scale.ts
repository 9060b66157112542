/**
 * npm run bench:scale — the core scenarios on an empty database, then again with 100,000
 * clients, 100,000 users and 1,000,000 refresh-token rows loaded; reports the change, the time
 * of POST /internal/reload-clients for every client, and Gatehouse's RSS afterwards.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildForBench } from './lib/build.js';
import { parseBenchArgs } from './lib/cli-args.js';
import { pinSelf, ProcessGroup, rssBytes } from './lib/processes.js';
import {
  createScratchDatabase,
  DEFAULT_POSTGRES,
  DEFAULT_REDIS,
  dropRedisPrefix,
  scratchRedisPrefix,
} from './lib/scratch.js';
import { measure, selectScenarios } from './measure.js';
import { buildRows, factsLine, machineFacts, type Row, type RunFacts } from './report.js';
import { gatehouseScenarios } from './scenarios/gatehouse.js';
import { bulkLoad } from './seed/bulk-load.js';
import { GatehouseSeeder } from './seed/gatehouse-seed.js';
import { LOAD_CORE, REPO_ROOT, startGatehouse, type RunningGatehouse } from './servers/start.js';

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
const CORE = ['gh.client_credentials', 'gh.introspection', 'gh.refresh_token', 'gh.user_info'];
const COUNTS = { clients: 100_000, users: 100_000, refreshTokens: 1_000_000 };

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const log = (line: string) => console.log(line);
  buildForBench(REPO_ROOT, log, args.noBuild);
  const pinned = pinSelf(LOAD_CORE);
  const redis = process.env.BENCH_REDIS_URL ?? DEFAULT_REDIS;
  const group = new ProcessGroup();
  const db = await createScratchDatabase(process.env.BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES);
  const redisPrefix = scratchRedisPrefix();
  let gh: RunningGatehouse | undefined;
  let seeder: GatehouseSeeder | undefined;
  try {
    gh = await startGatehouse(group, { databaseUrl: db.url, redisUrl: redis, redisPrefix });
    seeder = new GatehouseSeeder(gh.baseUrl, gh.adminKey, db.url);
    const scenarios = selectScenarios(
      gatehouseScenarios({ gh, seeder, connections: args.connections, rounds: args.rounds * 2 }),
      args.only.length ? args.only : CORE,
    );
    const pidOf = () => gh!.pid;
    log(`empty database: ${scenarios.map((s) => s.id).join(', ')}`);
    const emptyOutcomes = await measure(scenarios, { ...args, pidOf, log });
    const empty = buildRows(emptyOutcomes);
    const measured = emptyOutcomes.filter((x) => x.status === 'ok').map((x) => x.scenario);

    log(
      `loading ${COUNTS.clients.toLocaleString('en')} clients, ${COUNTS.users.toLocaleString('en')} users, ${COUNTS.refreshTokens.toLocaleString('en')} refresh tokens`,
    );
    const loadTimings = await bulkLoad(seeder, COUNTS, log);
    const started = Date.now();
    const reload = await fetch(`${gh.baseUrl}/internal/reload-clients`, {
      method: 'POST',
      headers: { 'x-admin-key': gh.adminKey },
    });
    const reloadSeconds = (Date.now() - started) / 1000;
    const reloadBody = await reload.text();
    if (reload.status !== 200) throw new Error(`reload-clients: ${reload.status} ${reloadBody}`);
    log(`  /internal/reload-clients: ${reloadSeconds.toFixed(2)} s → ${reloadBody}`);

    // The scenarios were prepared on the empty run; the loaded run measures the same requests.
    const loaded = buildRows(
      await measure(
        measured.map((s) => ({ ...s, prepare: undefined })),
        { ...args, pidOf, log },
      ),
    );
    const rssAfterMB = rssBytes(gh.pid) / 2 ** 20;

    const facts: RunFacts = {
      date: new Date().toISOString(),
      command: `npm run bench:scale${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      ...machineFacts(),
      pinned,
      durationSeconds: args.durationSeconds,
      rounds: args.rounds,
      connections: args.connections,
      extra: { clients: COUNTS.clients, users: COUNTS.users, refresh_tokens: COUNTS.refreshTokens },
    };
    const md = scaleMarkdown(facts, empty, loaded, reloadSeconds, rssAfterMB);
    log(`\n${md}`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(
      join(RESULTS_DIR, 'scale-latest.json'),
      `${JSON.stringify({ facts, empty, loaded, reloadSeconds, reloadBody, rssAfterMB, loadTimings }, null, 2)}\n`,
    );
    writeFileSync(join(RESULTS_DIR, 'scale-latest.md'), md);
    log('wrote bench/results/scale-latest.json and bench/results/scale-latest.md');
  } finally {
    await seeder?.close().catch(() => {});
    await group.stopAll();
    await gh?.mockGoogle.close().catch(() => {});
    await db.drop().catch((err: Error) => console.error(`could not drop ${db.name}: ${err.message}`));
    await dropRedisPrefix(redis, redisPrefix).catch(() => 0);
  }
}

function scaleMarkdown(
  facts: RunFacts,
  empty: Row[],
  loaded: Row[],
  reloadSeconds: number,
  rssAfterMB: number,
): string {
  const lines = [
    '# Gatehouse scale benchmark',
    '',
    factsLine(facts),
    '',
    '| scenario | empty req/s | loaded req/s | change | empty p99 ms | loaded p99 ms | within 15% |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const e of empty) {
    const l = loaded.find((r) => r.id === e.id);
    if (e.status !== 'ok' || !l || l.status !== 'ok') {
      lines.push(
        `| ${e.id} | ${e.status === 'ok' ? e.rps!.toFixed(0) : e.status} | ${l?.status === 'ok' ? l.rps!.toFixed(0) : (l?.status ?? '—')} | | | | ${e.reason ?? l?.reason ?? ''} |`,
      );
      continue;
    }
    const change = (l.rps! - e.rps!) / e.rps!;
    lines.push(
      `| ${e.id} | ${e.rps!.toFixed(0)} | ${l.rps!.toFixed(0)} | ${(change * 100).toFixed(1)}% | ${e.p99} | ${l.p99} | ${change >= -0.15 ? 'MET' : 'MISSED'} |`,
    );
  }
  lines.push(
    '',
    `- /internal/reload-clients for ${COUNTS.clients.toLocaleString('en')} clients: ${reloadSeconds.toFixed(2)} s (target ≤ 5 s: ${reloadSeconds <= 5 ? 'MET' : 'MISSED'})`,
  );
  lines.push(
    `- Gatehouse RSS after the scale run: ${rssAfterMB.toFixed(0)} MB (target ≤ 200 MB: ${rssAfterMB <= 200 ? 'MET' : 'MISSED'})`,
    '',
  );
  return lines.join('\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:scale failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
