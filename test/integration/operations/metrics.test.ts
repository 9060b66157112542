import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsServer, stopMetricsServer } from '../../../src/metrics/metrics-server.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { type TestApp } from '../../helpers/app.js';
import { adminHeaders, registerClient } from '../../helpers/admin.js';
import { freePort } from '../../helpers/processes.js';
import { expectApiError } from '../../helpers/api-error.js';

/** The value of one sample line, e.g. sample(text, 'gatehouse_db_pool_total'), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describeBackends('metrics', (backend) => {
  const t = useTestApp(backend);

  it('shows request series by route pattern, pool gauges, cache and the shared counters after a short session', async () => {
    const client = await registerClient(t.app);
    for (let i = 0; i < 2; i++) {
      expect((await t.app.inject({ url: `/clients/${client.client_id}`, headers: adminHeaders })).statusCode).toBe(200);
    }
    await t.app.inject({ url: '/health' });
    await t.app.inject({ url: '/no/such/thing' });
    t.app.metrics.tokensIssued.inc({ grant: 'client_credentials' });
    t.app.metrics.googleRefresh.inc({ outcome: 'reauth' });

    const res = await t.app.inject({ url: '/metrics', headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(sample(text, 'gatehouse_http_requests_total{method="GET",route="/clients/:id",status_code="200"}')).toBe(2);
    expect(
      sample(text, 'gatehouse_http_requests_total{method="POST",route="/clients/register",status_code="201"}'),
    ).toBe(1);
    expect(sample(text, 'gatehouse_http_requests_total{method="GET",route="(unmatched)",status_code="404"}')).toBe(1);
    expect(text).not.toContain(client.client_id);
    expect(
      sample(text, 'gatehouse_http_request_duration_seconds_count{method="GET",route="/health",status_code="200"}'),
    ).toBe(1);
    expect(sample(text, 'gatehouse_tokens_issued_total{grant="client_credentials"}')).toBe(1);
    expect(sample(text, 'gatehouse_tokens_issued_total{grant="authorization_code"}')).toBe(0);
    expect(sample(text, 'gatehouse_google_refresh_total{outcome="reauth"}')).toBe(1);
    expect(sample(text, 'gatehouse_google_refresh_total{outcome="ok"}')).toBe(0);
    expect(sample(text, 'gatehouse_db_pool_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gatehouse_db_pool_idle')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'gatehouse_db_pool_waiting')).toBe(0);
    const ratio = sample(text, 'gatehouse_client_cache_hit_ratio');
    expect(ratio).toBeGreaterThanOrEqual(0);
    expect(ratio).toBeLessThanOrEqual(1);
    expect(text).toContain('gatehouse_client_cache_lookups_total{source="local"}');
    expect(sample(text, 'gatehouse_event_loop_lag_seconds{quantile="p99"}')).toBeGreaterThanOrEqual(0);
  });

  it('carries the process and Node runtime series and gatehouse_build_info', async () => {
    const text = (await t.app.inject({ url: '/metrics', headers: adminHeaders })).body;
    for (const series of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_active_handles_total',
    ]) {
      expect(sample(text, series), series).toBeGreaterThanOrEqual(0);
    }
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    const version = (
      JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
    // Tests run the sources (no dist/build-info.json): the commit comes from GIT_COMMIT, else "unknown".
    expect(
      sample(text, `gatehouse_build_info{version="${version}",commit="${process.env.GIT_COMMIT || 'unknown'}"}`),
    ).toBe(1);
  });

  describe('METRICS_TOKEN', () => {
    const token = 'm'.repeat(20) + 'etrics-scrape-token-0123456789';
    let scraped: TestApp;
    beforeAll(async () => {
      scraped = await t.another({ env: { METRICS_TOKEN: token } });
    });
    afterAll(() => scraped?.close());

    it('reads /metrics as a Bearer token; the admin key still works', async () => {
      for (const authorization of [`Bearer ${token}`, `bearer ${token}`]) {
        const res = await scraped.app.inject({ url: '/metrics', headers: { authorization } });
        expect(res.statusCode).toBe(200);
        expect(res.body).toContain('gatehouse_build_info');
      }
      expect((await scraped.app.inject({ url: '/metrics', headers: adminHeaders })).statusCode).toBe(200);
    });

    it('a wrong token is refused like a missing admin key, and the token opens nothing else', async () => {
      const wrong = await scraped.app.inject({
        url: '/metrics',
        headers: { authorization: `Bearer ${token.slice(0, -1)}x` },
        remoteAddress: '10.8.0.2',
      });
      expectApiError(wrong, 401, 'unauthorized', 'X-Admin-Key header required');
      const admin = await scraped.app.inject({
        url: '/clients',
        headers: { authorization: `Bearer ${token}` },
        remoteAddress: '10.8.0.3',
      });
      expect(admin.statusCode).toBe(401);
      expect(
        (await scraped.app.inject({ url: '/metrics', headers: { 'x-admin-key': token }, remoteAddress: '10.8.0.4' }))
          .statusCode,
      ).toBe(401);
    });
  });

  it('answers 401 without the admin key', async () => {
    const res = await t.app.inject({ url: '/metrics', remoteAddress: '10.8.0.1' });
    expectApiError(res, 401, 'unauthorized', 'X-Admin-Key header required');
  });

  it('with server.metrics_port, serves /metrics only on that port and without the key', async () => {
    const port = await freePort();
    const other = await t.another({ env: { METRICS_PORT: String(port) } });
    const server = await startMetricsServer(other.app.metrics.registry, '127.0.0.1', port);
    try {
      expect((await other.app.inject({ url: '/metrics', headers: adminHeaders })).statusCode).toBe(404);
      await other.app.inject({ url: '/health' });
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(
        sample(await res.text(), 'gatehouse_http_requests_total{method="GET",route="/health",status_code="200"}'),
      ).toBe(1);
      expect((await fetch(`http://127.0.0.1:${port}/clients`)).status).toBe(404);
    } finally {
      await stopMetricsServer(server);
      await other.close();
    }
  });
});
