import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startGatehouse, tempDir, waitForHttp, type Spawned } from '../helpers/processes.js';

const running: Spawned[] = [];
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

/**
 * The whole of 127.0.0.0/8 is loopback on Linux, but a socket bound to one of its addresses
 * accepts only that address: 127.0.0.2 stands in for "another interface" (HOST) without a second
 * network card, and without opening a dev-mode server beyond this machine.
 */
const OTHER_ADDRESS = '127.0.0.2';

/** The status of GET url, or the connection error's code (ECONNREFUSED when nothing listens). */
async function statusOrRefused(url: string): Promise<number | string> {
  try {
    return (await fetch(url)).status;
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code ?? String(err);
  }
}

describe('server.metrics_port listens on server.metrics_host (127.0.0.1 by default), not on HOST', () => {
  async function start(env: Record<string, string>) {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const p = startGatehouse({
      PORT: String(port),
      HOST: OTHER_ADDRESS,
      METRICS_PORT: String(metricsPort),
      DATA_DIR: tempDir(),
      LOG_LEVEL: 'info',
      ...env,
    });
    running.push(p);
    expect((await waitForHttp(`http://${OTHER_ADDRESS}:${port}/health`, 60_000)).status).toBe(200);
    // The metrics server starts after the main port: wait for its line.
    const deadline = Date.now() + 10_000;
    while (!p.output().includes('gatehouse listening') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    return { p, metricsPort };
  }

  it('without METRICS_HOST: /metrics without credentials on 127.0.0.1 only, not on HOST', async () => {
    const { p, metricsPort } = await start({});
    // The credential-free metrics port does not follow HOST.
    expect(await statusOrRefused(`http://127.0.0.1:${metricsPort}/metrics`)).toBe(200);
    expect(await statusOrRefused(`http://${OTHER_ADDRESS}:${metricsPort}/metrics`)).toBe('ECONNREFUSED');
    expect(p.output()).toContain(`(metrics on 127.0.0.1:${metricsPort})`);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 90_000);

  it('METRICS_HOST moves it on purpose', async () => {
    const { p, metricsPort } = await start({ METRICS_HOST: OTHER_ADDRESS });
    expect(await statusOrRefused(`http://${OTHER_ADDRESS}:${metricsPort}/metrics`)).toBe(200);
    expect(await statusOrRefused(`http://127.0.0.1:${metricsPort}/metrics`)).toBe('ECONNREFUSED');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 90_000);
});
