import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.js';
import {
  freePort,
  startGatehouse,
  startPrivateRedis,
  tempDir,
  waitForHttp,
  type Spawned,
} from '../helpers/processes.js';
import { startPrivatePostgres } from '../reliability/private-services.js';

const running: Spawned[] = [];
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

/** A complete production configuration (Google is never called during these starts). */
const PRODUCTION = {
  NODE_ENV: 'production',
  ADMIN_KEY: 'a'.repeat(40),
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  GOOGLE_CLIENT_ID: 'startup-test.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'startup-test-secret',
  PUBLIC_URL: 'https://auth.example.com',
  DATABASE_URL: 'postgres://gatehouse@127.0.0.1:1/gatehouse',
};

/** Secrets given, so no dev-secrets lines precede the one line under test. */
const SECRETS = { ADMIN_KEY: PRODUCTION.ADMIN_KEY, ENCRYPTION_KEYS: PRODUCTION.ENCRYPTION_KEYS };

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
    [
      { ...PRODUCTION, DATABASE_URL: '' },
      'Invalid configuration: database.url (DATABASE_URL): is required in production (or DB_HOST and the other DB_* parts); set database.embedded_in_production: true to run on embedded PGlite',
    ],
    // HS256 would sign with a secret relying parties do not hold: production refuses it.
    [
      { ...PRODUCTION, GATEHOUSE_SECURITY__JWT_ALGORITHM: 'HS256', JWT_SECRET: 's'.repeat(32) },
      'Invalid configuration: security.jwt_algorithm (GATEHOUSE_SECURITY__JWT_ALGORITHM): HS256 is refused in production',
    ],
    [
      { GATEHOUSE_CONFIG: 'test/fixtures/bad-config.yml' },
      'Invalid configuration: security.access_token_expiry_minutes: ',
    ],
  ])(
    'a bad setting %j stops start-up with one clear line',
    async (env, line) => {
      const p = start({ DATA_DIR: tempDir(), ...env });
      expect(await p.exited).toBe(1);
      const lines = p.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(line);
    },
    30_000,
  );

  it('reports every bad value of a start at once, one line each', async () => {
    const p = start({ DATA_DIR: tempDir(), NODE_ENV: 'production', PORT: 'abc', ADMIN_KEY: 'short' });
    expect(await p.exited).toBe(1);
    expect(p.output().trim().split('\n').sort()).toEqual([
      'Invalid configuration: database.url (DATABASE_URL): is required in production (or DB_HOST and the other DB_* parts); set database.embedded_in_production: true to run on embedded PGlite',
      'Invalid configuration: google.client_id (GOOGLE_CLIENT_ID): is required in production (the mock Google is dev-only)',
      'Invalid configuration: secrets.admin_key (ADMIN_KEY): must be at least 32 characters',
      'Invalid configuration: secrets.encryption_keys (ENCRYPTION_KEYS): is required in production',
      'Invalid configuration: server.port (PORT): Invalid input: expected number, received NaN',
      'Invalid configuration: server.public_url (PUBLIC_URL): is required in production',
    ]);
  }, 30_000);

  it('production on embedded storage only with database.embedded_in_production, and warns that one instance may run without REDIS_URL', async () => {
    const dir = tempDir();
    const config = join(dir, 'config.yml');
    writeFileSync(config, `database:\n  embedded_in_production: true\naudit:\n  file: ${join(dir, 'audit.log')}\n`);
    const port = await freePort();
    const p = start({
      ...PRODUCTION,
      DATABASE_URL: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dir,
      GATEHOUSE_CONFIG: config,
    });
    expect((await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000)).status).toBe(200);
    expect(p.output()).toContain(
      'REDIS_URL is not set: the cache is in-process, so only ONE instance of Gatehouse may run against this database',
    );
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 90_000);
});

describe.runIf(backends.some((b) => b.name === 'real'))('npm start on real Postgres and Redis', () => {
  // Product rule (configuration): a start-up failure names its cause (the driver's words), in one line.
  it("a wrong database password names the driver's message in one line", async () => {
    const pg = await startPrivatePostgres({ password: 'right-password' });
    try {
      const url = pg.url.replace('right-password', 'wrong-password');
      const p = start({ DATA_DIR: tempDir(), ...SECRETS, DATABASE_URL: url });
      expect(await p.exited).toBe(1);
      const lines = p.output().trim().split('\n');
      expect(lines).toEqual([
        'start-up failed: database unavailable: password authentication failed for user "postgres"',
      ]);
    } finally {
      await pg.destroy();
    }
  }, 90_000);

  it.each([
    [
      'a missing database',
      { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/gh_no_such_database' },
      'database "gh_no_such_database" does not exist',
    ],
    ['a closed port', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' }, 'connect ECONNREFUSED 127.0.0.1:1'],
    ['a closed Redis port', { REDIS_URL: 'redis://127.0.0.1:1' }, 'ECONNREFUSED 127.0.0.1:1'],
  ])(
    '%s names its cause in one line',
    async (_name, env, cause) => {
      const p = start({ DATA_DIR: tempDir(), ...SECRETS, ...env });
      expect(await p.exited).toBe(1);
      const lines = p.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^start-up failed: /);
      expect(lines[0]).toContain(cause);
    },
    60_000,
  );

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
