import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startGatehouse, tempDir, waitForHttp, type Spawned } from '../helpers/processes.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;

const running: Spawned[] = [];
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

// `npm run build` is what `npm install` runs (prepare); build here so the test never judges a
// stale dist/.
beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: ROOT });
}, 180_000);

describe('the compiled build (dist/)', () => {
  it('`node dist/main.js` serves /health, started from another directory (migrations resolve from dist/)', async () => {
    const port = await freePort();
    const cwd = tempDir();
    const metricsToken = 'scrape-'.repeat(5);
    const p = startGatehouse(
      { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: `${cwd}/data`, LOG_LEVEL: 'warn', METRICS_TOKEN: metricsToken },
      [`${ROOT}dist/main.js`],
      cwd,
    );
    running.push(p);
    const health = await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000);
    expect(health.status).toBe(200);
    // /ready runs a query: the schema was migrated from the files the compiled code found.
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    // The commit was recorded at build time (GIT_COMMIT, else git), not looked up per request.
    const commit = process.env.GIT_COMMIT || (await run('git', ['rev-parse', 'HEAD'], { cwd: ROOT })).stdout.trim();
    expect(JSON.parse(readFileSync(`${ROOT}dist/build-info.json`, 'utf8'))).toEqual({ commit });
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(`gatehouse_build_info{version="${VERSION}",commit="${commit}"} 1`);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 90_000);

  it.each([
    ['dist/cli/index.js', ['--version']],
    ['bin/gatehouse.js', ['--version']],
    ['bin/gatehouse.js', ['-V']],
  ])('`node %s %s` prints the package version', async (file, args) => {
    const { stdout } = await run(process.execPath, [`${ROOT}${file}`, ...args], { cwd: tempDir() });
    expect(stdout).toBe(`${VERSION}\n`);
  });

  it('runs without tsx: no compiled file imports TypeScript tooling', async () => {
    const { stdout } = await run('grep', ['-rlE', "from '(tsx|esbuild|typescript|vitest)", `${ROOT}dist`]).catch((err: { code: number; stdout: string }) => {
      if (err.code === 1) return { stdout: '' };
      throw err;
    });
    expect(stdout).toBe('');
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { dependencies: Record<string, string> };
    for (const tool of ['tsx', 'esbuild', 'typescript', 'pino-pretty']) expect(pkg.dependencies).not.toHaveProperty(tool);
  });
});
