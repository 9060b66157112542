import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo } from '../build-info.js';
import type { ClientStore } from '../clients/client-store.js';
import { GRANT_TYPES } from '../clients/client.js';
import type { Database } from '../storage/database.js';

export const GOOGLE_REFRESH_OUTCOMES = ['ok', 'failed', 'reauth'] as const;

/** Seconds; covers a cached client lookup (~1 ms) up to an argon2 verify or a slow Google call. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface AppMetrics {
  /** This app's own registry (never prom-client's global one: tests build many apps per process). */
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** `tokensIssued.inc({ grant: 'authorization_code' })` for every token response. */
  tokensIssued: Counter<'grant'>;
  /** `googleRefresh.inc({ outcome: 'ok' | 'failed' | 'reauth' })` for every refresh at Google. */
  googleRefresh: Counter<'outcome'>;
  /** Stops the event-loop monitor. */
  stop(): void;
}

/**
 * Builds every Gatehouse series on a fresh registry. Gauges that mirror state (pool, client
 * cache, event loop) are read at scrape time through collect callbacks, so nothing runs
 * between scrapes.
 */
export function createAppMetrics(deps: { db: Database; clientStore: ClientStore }): AppMetrics {
  const registry = new Registry();
  const registers = [registry];

  // prom-client's standard process_* and nodejs_* series (CPU, memory, handles, GC, event loop,
  // heap spaces), under their usual names so stock dashboards work.
  collectDefaultMetrics({ register: registry });
  const build = buildInfo();
  new Gauge({
    name: 'gatehouse_build_info',
    help: 'Always 1; the labels name the running version and the commit it was built from',
    labelNames: ['version', 'commit'] as const,
    registers,
  }).set({ version: build.version, commit: build.commit }, 1);

  const httpRequests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const tokensIssued = new Counter({
    name: 'gatehouse_tokens_issued_total',
    help: 'Access tokens issued, by grant',
    labelNames: ['grant'] as const,
    registers,
  });
  const googleRefresh = new Counter({
    name: 'gatehouse_google_refresh_total',
    help: 'Google token refreshes, by outcome (ok, failed, reauth)',
    labelNames: ['outcome'] as const,
    registers,
  });
  // Known label values start at 0, so a rate() works from the first scrape.
  for (const grant of GRANT_TYPES) tokensIssued.inc({ grant }, 0);
  for (const outcome of GOOGLE_REFRESH_OUTCOMES) googleRefresh.inc({ outcome }, 0);

  const stats = deps.clientStore.stats;
  new Counter({
    name: 'gatehouse_client_cache_lookups_total',
    help: 'Client lookups by where they were answered: local (in-process), redis, database',
    labelNames: ['source'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ source: 'local' }, stats.localHits);
      this.inc({ source: 'redis' }, stats.redisHits);
      this.inc({ source: 'database' }, stats.databaseReads);
    },
  });
  new Gauge({
    name: 'gatehouse_client_cache_hit_ratio',
    help: 'Share of client lookups answered without Postgres since start (1 when there were none)',
    registers,
    collect() {
      const hits = stats.localHits + stats.redisHits;
      const total = hits + stats.databaseReads;
      this.set(total === 0 ? 1 : hits / total);
    },
  });

  const pool = (name: string, help: string, pick: (s: ReturnType<Database['stats']>) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(pick(deps.db.stats()));
      },
    });
  pool('gatehouse_db_pool_total', 'Postgres connections open (embedded PGlite: always 1)', (s) => s.total);
  pool('gatehouse_db_pool_idle', 'Postgres connections idle in the pool', (s) => s.idle);
  pool(
    'gatehouse_db_pool_waiting',
    'Queries waiting for a pooled connection (above 0 for long: raise database.pool_max)',
    (s) => s.waiting,
  );

  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  new Gauge({
    name: 'gatehouse_event_loop_lag_seconds',
    help: 'Event-loop delay since the previous scrape, by quantile (p50, p99, max)',
    labelNames: ['quantile'] as const,
    registers,
    collect() {
      // Before the first sample the histogram reports NaN/huge values; report 0 instead.
      const value = (ns: number) => (Number.isFinite(ns) && loop.count > 0 ? ns / 1e9 : 0);
      this.set({ quantile: 'p50' }, value(loop.percentile(50)));
      this.set({ quantile: 'p99' }, value(loop.percentile(99)));
      this.set({ quantile: 'max' }, value(loop.max));
      loop.reset();
    },
  });
  new Gauge({
    name: 'gatehouse_process_resident_memory_bytes',
    help: 'Resident set size of the process',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });

  return { registry, httpRequests, httpDuration, tokensIssued, googleRefresh, stop: () => loop.disable() };
}
