import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockGoogle, type StandaloneMockGoogle } from '../../src/google/mock/index.js';
import { SERVERS_OUT_DIR } from '../lib/build.js';
import { freePort } from '../lib/ports.js';
import { waitForHttp, type ProcessGroup } from '../lib/processes.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Servers run here; the load generator (this process) on the other core. */
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

export interface RunningServer {
  name: string;
  baseUrl: string;
  pid: number | undefined;
}

/** Only what a server needs from the environment: nothing of the caller's DATABASE_URL etc. */
function baseEnv(): Record<string, string | undefined> {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' };
}

/**
 * Starts a peer server from its compiled JavaScript (bench/lib/build.ts compiles
 * bench/servers/<name>.ts), under plain node like Gatehouse's dist/.
 */
async function startNodeServer(
  group: ProcessGroup,
  name: string,
  server: string,
  env: Record<string, string>,
  healthPath: string,
): Promise<RunningServer> {
  const port = await freePort();
  const child = group.start({
    name,
    args: [join(SERVERS_OUT_DIR, 'servers', `${server}.js`)],
    env: { ...baseEnv(), ...env, PORT: String(port) },
    cwd: REPO_ROOT,
    core: SERVER_CORE,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}${healthPath}`, child, 60_000, () => group.tail(name));
  return { name, baseUrl, pid: child.pid };
}

export function startBareFastify(group: ProcessGroup): Promise<RunningServer> {
  return startNodeServer(group, 'fastify', 'bare-fastify-server', {}, '/');
}

export const OIDC_CLIENT = { id: 'bench', secret: 'bench-secret-0123456789abcdef0123456789' };

export function startOidcProvider(group: ProcessGroup): Promise<RunningServer> {
  return startNodeServer(
    group,
    'oidc-provider',
    'oidc-provider-server',
    {
      BENCH_CLIENT_ID: OIDC_CLIENT.id,
      BENCH_CLIENT_SECRET: OIDC_CLIENT.secret,
    },
    '/__bench/health',
  );
}

export interface GatehouseOptions {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** Write a CPU profile into this folder when the process exits (node --cpu-prof). */
  cpuProfDir?: string;
  /** Variables that replace the defaults above (a scenario's own Google endpoint or settings). */
  env?: Record<string, string>;
}

export interface RunningGatehouse extends RunningServer {
  adminKey: string;
  mockGoogle: StandaloneMockGoogle;
}

/**
 * Gatehouse as production runs it (`node dist/main.js`, the build of this checkout: run.ts runs
 * `npm run build` first; NODE_ENV=production, real Postgres and Redis, LOG_LEVEL=warn),
 * with Google pointed at a mock Google that this process serves on 127.0.0.1. The audit file and
 * data folder go to a temporary folder, never the work tree.
 */
export async function startGatehouse(group: ProcessGroup, o: GatehouseOptions): Promise<RunningGatehouse> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const mockGoogle = await startMockGoogle({ redirectUriPrefixes: [`${publicUrl}/`] });
  const scratch = mkdtempSync(join(tmpdir(), 'gh-bench-'));
  const configFile = join(scratch, 'config.yml');
  writeFileSync(configFile, `audit:\n  file: ${JSON.stringify(join(scratch, 'login.log'))}\n`);
  const adminKey = randomBytes(24).toString('base64url');
  const env: Record<string, string | undefined> = {
    ...baseEnv(),
    ...mockGoogle.env,
    GATEHOUSE_CONFIG: configFile,
    DATA_DIR: join(scratch, 'data'),
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    REDIS_KEY_PREFIX: o.redisPrefix,
    ADMIN_KEY: adminKey,
    ENCRYPTION_KEYS: `bench1:${randomBytes(32).toString('base64')}`,
    ...o.env,
  };
  const profile = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : [];
  const child = group.start({
    name: 'gatehouse',
    args: [...profile, 'dist/main.js'],
    env,
    cwd: REPO_ROOT,
    core: SERVER_CORE,
  });
  try {
    await waitForHttp(`${publicUrl}/health`, child, 90_000, () => group.tail('gatehouse'));
  } catch (err) {
    await mockGoogle.close();
    throw err;
  }
  return { name: 'gatehouse', baseUrl: publicUrl, pid: child.pid, adminKey, mockGoogle };
}
