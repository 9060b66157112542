import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './lib/load.js';
import type { Scenario } from './scenarios/scenario.js';
import { BARE_GET, BARE_POST } from './scenarios/baseline.js';

export interface ScenarioOutcome {
  scenario: Scenario;
  status: 'ok' | 'unavailable' | 'error';
  reason?: string;
  rounds: Array<LoadResult & { rssBytes: number; cpuUsPerRequest: number; dbCpuUsPerRequest: number }>;
}

export interface Row {
  id: string;
  status: ScenarioOutcome['status'];
  reason?: string;
  rps?: number;
  p50?: number;
  p99?: number;
  rssMB?: number;
  /** Server CPU time (all threads) per request: steadier than req/s on a busy machine. */
  cpuUs?: number;
  /** Postgres CPU per request (lib/postgres-cpu.ts), Gatehouse rows only. */
  dbCpuUs?: number;
  vsFastify?: number;
  vsOidcProvider?: number;
  non2xx?: number;
  errors?: number;
  notes: string[];
  perRound?: Array<{ rps: number; p50: number; p99: number; seconds: number; cpuUs: number; dbCpuUs: number }>;
}

export interface RunFacts {
  date: string;
  command: string;
  node: string;
  cores: number;
  cpu: string;
  pinned: boolean;
  durationSeconds: number;
  rounds: number;
  connections: number;
  /** Anything else worth printing above the table (scale runs: rows loaded). */
  extra?: Record<string, string | number>;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Medians across rounds, and both ratios computed from those medians. */
export function buildRows(outcomes: ScenarioOutcome[]): Row[] {
  const rps = new Map<string, number>();
  for (const o of outcomes) if (o.status === 'ok') rps.set(o.scenario.id, median(o.rounds.map((r) => r.rps)));
  return outcomes.map((o) => {
    if (o.status !== 'ok') return { id: o.scenario.id, status: o.status, reason: o.reason, notes: [] };
    const own = rps.get(o.scenario.id)!;
    if (!(own > 0))
      return {
        id: o.scenario.id,
        status: 'error',
        reason: 'no successful responses (server stalled or every request failed)',
        notes: [],
      };
    const bare = rps.get(o.scenario.method === 'GET' ? BARE_GET : BARE_POST);
    const peer = o.scenario.peer ? rps.get(o.scenario.peer) : undefined;
    const notes: string[] = [];
    const early = o.rounds.filter((r) => r.stoppedEarly).length;
    if (early > 0) notes.push(`${early} round(s) ended early: credential pool ran out`);
    const non2xx = o.rounds.reduce((n, r) => n + r.non2xx, 0);
    const errors = o.rounds.reduce((n, r) => n + r.errors + r.timeouts, 0);
    if (non2xx > 0) notes.push(`${non2xx} non-2xx`);
    if (errors > 0) notes.push(`${errors} socket errors/timeouts`);
    return {
      id: o.scenario.id,
      status: 'ok',
      rps: own,
      p50: median(o.rounds.map((r) => r.p50)),
      p99: median(o.rounds.map((r) => r.p99)),
      rssMB: median(o.rounds.map((r) => r.rssBytes)) / 2 ** 20,
      cpuUs: median(o.rounds.map((r) => r.cpuUsPerRequest)),
      dbCpuUs: median(o.rounds.map((r) => r.dbCpuUsPerRequest)),
      vsFastify: bare && o.scenario.server !== 'fastify' ? own / bare : undefined,
      vsOidcProvider: peer ? own / peer : undefined,
      non2xx,
      errors,
      notes,
      perRound: o.rounds.map((r) => ({
        rps: round1(r.rps),
        p50: r.p50,
        p99: r.p99,
        seconds: round1(r.seconds),
        cpuUs: Math.round(r.cpuUsPerRequest),
        dbCpuUs: Math.round(r.dbCpuUsPerRequest),
      })),
    };
  });
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));
const ratio = (n: number | undefined) => (n === undefined ? '—' : `${n.toFixed(2)}×`);

export function markdownTable(rows: Row[]): string {
  const lines = [
    '| scenario | req/s | per-round req/s | p50 ms | p99 ms | server CPU µs/req | Postgres CPU µs/req | server RSS MB | vs bare Fastify | vs oidc-provider | notes |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    if (r.status !== 'ok') {
      lines.push(
        `| ${r.id} | ${r.status === 'unavailable' ? 'not available' : 'ERROR'} | | | | | | | | | ${r.reason ?? ''} |`,
      );
      continue;
    }
    lines.push(
      `| ${r.id} | ${fmt(r.rps)} | ${(r.perRound ?? []).map((p) => fmt(p.rps)).join(' / ')} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuUs)} | ${fmt(r.dbCpuUs)} | ${fmt(r.rssMB)} | ${ratio(r.vsFastify)} | ${ratio(r.vsOidcProvider)} | ${r.notes.join('; ')} |`,
    );
  }
  return lines.join('\n');
}

export function factsLine(f: RunFacts): string {
  const extra = Object.entries(f.extra ?? {})
    .map(([k, v]) => `, ${k} ${v}`)
    .join('');
  return (
    `${f.date} · ${f.cores} cores (${f.cpu}) · Node ${f.node} · ${f.pinned ? 'servers pinned to core 0, load generator to core 1 (taskset)' : 'not pinned (no taskset)'} · ` +
    `${f.connections} connections, ${f.rounds} × ${f.durationSeconds} s rounds interleaved, medians${extra} · \`${f.command}\``
  );
}

export function machineFacts(): Pick<RunFacts, 'node' | 'cores' | 'cpu'> {
  const list = cpus();
  return { node: process.version, cores: list.length, cpu: list[0]?.model.trim() ?? 'unknown' };
}

/** Writes <name>.json and <name>.md into dir. */
export function writeResults(dir: string, name: string, facts: RunFacts, rows: Row[], targets: string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ facts, rows, targets }, null, 2)}\n`);
  const md = [
    `# Gatehouse benchmark`,
    '',
    factsLine(facts),
    '',
    markdownTable(rows),
    '',
    '## Targets (issue 27)',
    '',
    ...targets.map((t) => `- ${t}`),
    '',
  ];
  writeFileSync(join(dir, `${name}.md`), md.join('\n'));
}
