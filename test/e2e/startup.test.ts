import { afterAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.js';
import { freePort, startGatehouse, startPrivateRedis, tempDir, waitForHttp, type Spawned } from '../helpers/processes.js';

const running: Spawned[] = [];
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

function start(env: Record<string, string>): Spawned {
  const p = startGatehouse({ LOG_LEVEL: 'warn', ...env });
  running.push(p);
  return p;
}

describe('npm start', () => {
  it('serves /health on the embedded default and drains on SIGTERM with exit code 0', async () => {
    const port = await freePort();
    const dataDir = tempDir();
    const p = start({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir });
    const health = await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    expect((await ready.json()).checks).toEqual({
      postgres: { status: 'up', backend: 'pglite' },
      redis: { status: 'up', backend: 'memory' },
    });
    expect(p.output()).toContain(`dev mode: generated ${dataDir}/dev-secrets.json`);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 90_000);

  it.each([
    [{ PORT: 'abc' }, 'Invalid configuration: server.port (PORT): '],
    [{ NODE_ENV: 'production' }, 'Invalid configuration: secrets.admin_key (ADMIN_KEY): is required in production'],
    [{ GATEHOUSE_CONFIG: 'test/fixtures/bad-config.yml' }, 'Invalid configuration: security.access_token_expiry_minutes: '],
  ])('a bad setting %j stops start-up with one clear line', async (env, line) => {
    const p = start({ DATA_DIR: tempDir(), ...env });
    expect(await p.exited).toBe(1);
    const lines = p.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(line);
  }, 30_000);
});

describe.runIf(backends.some((b) => b.name === 'real'))('npm start on real Postgres and Redis', () => {
  it('reports each backend in /ready, and 503 naming Redis when it stops while /health stays 200', async () => {
    const redis = await startPrivateRedis();
    // A private database: the server generates a signing key encrypted under this run's dev
    // ENCRYPTION_KEYS, which the next run (with new dev keys) could not decrypt.
    const database = await backends.find((b) => b.name === 'real')!.createDatabase();
    try {
      const port = await freePort();
      const p = start({
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: tempDir(),
        DATABASE_URL: database.url!,
        REDIS_URL: redis.url,
      });
      await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000);
      const up = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(up.status).toBe(200);
      expect((await up.json()).checks).toEqual({
        postgres: { status: 'up', backend: 'postgres' },
        redis: { status: 'up', backend: 'redis' },
      });
      await redis.stop();
      const down = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        success: false,
        error: 'unavailable',
        error_description: 'redis is unreachable',
        checks: { postgres: { status: 'up' }, redis: { status: 'down' } },
      });
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      await redis.stop();
      await database.drop();
    }
  }, 90_000);
});
