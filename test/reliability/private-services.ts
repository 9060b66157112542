import { execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/processes.js';

/** A command-line tool (redis-cli, pg_ctl…) run to completion; rejects on a non-zero exit. */
export const run = promisify(execFile);

/**
 * Postgres and Redis processes owned by one test, never the machine's shared ones: fault tests
 * stop, kill and restart them freely.
 */
export interface PrivatePostgres {
  url: string;
  port: number;
  /** pg_ctl stop -m immediate: the server dies without a checkpoint, as in a crash. */
  kill(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  const bin = `/usr/lib/postgresql/${versions[0]}/bin`;
  if (!existsSync(`${bin}/initdb`)) throw new Error(`no initdb under ${bin}`);
  return bin;
}

/** initdb refuses to run as root; as root, run the Postgres binaries as the postgres user. */
async function asPostgres(cmd: string, args: string[]): Promise<void> {
  const root = process.getuid?.() === 0;
  await run(root ? 'runuser' : cmd, root ? ['-u', 'postgres', '--', cmd, ...args] : args, { timeout: 60_000 });
}

/** `password`: the postgres user needs it (scram-sha-256 instead of trust). */
export async function startPrivatePostgres(opts: { password?: string } = {}): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'gh-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  const auth = ['-A', 'trust'];
  if (opts.password !== undefined) {
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, opts.password, { mode: 0o644 });
    auth.splice(0, 2, '-A', 'scram-sha-256', `--pwfile=${pwfile}`);
  }
  await asPostgres(`${bin}/initdb`, ['-D', data, ...auth, '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // fsync off is safe here (the tests kill Postgres, never the machine: the OS keeps its page
  // cache); synchronous_commit must stay on, or an immediate stop loses commits that were already
  // acknowledged, and the tests that check "every 2xx refers to committed state" fail spuriously.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = () =>
    asPostgres(`${bin}/pg_ctl`, ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  await start();
  return {
    url: `postgres://postgres${opts.password !== undefined ? `:${encodeURIComponent(opts.password)}` : ''}@127.0.0.1:${port}/postgres`,
    port,
    kill: () => asPostgres(`${bin}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop']),
    start,
    async destroy() {
      await asPostgres(`${bin}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /**
   * Starts the server again on the same port: empty, as a Redis restart without persistence, or
   * (persistent) with everything it had written to its append-only file before it stopped.
   */
  restart(): Promise<void>;
}

/** redis-server on port; resolves once it answers PING. */
export async function spawnRedis(port: number, args: string[] = []): Promise<{ stop(): Promise<void> }> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...args], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 1000 });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/**
 * A private Redis tests may kill (SIGKILL) and start again. `persistent` keeps an append-only
 * file synced on every write, so a restart brings back exactly what it held.
 */
export async function startRestartableRedis(opts: { persistent?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gh-redis-'));
  const args = opts.persistent
    ? ['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--dir', dir, '--save', '', '--appendonly', 'no'];
  let current = await spawnRedis(port, args);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => current.stop(),
    async restart() {
      current = await spawnRedis(port, args);
    },
  };
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface PrivateRedisCluster {
  /** redis+cluster:// naming every master. */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

/** Three masters (no replicas) on private ports, every slot assigned, cluster_state:ok. */
export async function startRedisCluster(): Promise<PrivateRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-redis-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes = await Promise.all(
    ports.map((port) =>
      spawnRedis(port, [
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
      ]),
    ),
  );
  await run(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
    { timeout: 30_000 },
  );
  for (const port of ports)
    await until(`cluster on ${port}`, async () =>
      (await redisCli(port, 'cluster', 'info')).includes('cluster_state:ok'),
    );
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ports,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateSentinel {
  /** redis+sentinel:// naming the sentinel and the master name. */
  url: string;
  /** The port of whichever server is master now. */
  masterPort(): Promise<number>;
  /** kill -9 the current master; the sentinel promotes the replica. */
  killMaster(): Promise<void>;
  stop(): Promise<void>;
}

const MASTER_NAME = 'ghmaster';

/** A master, one replica and one sentinel (quorum 1, 1 s down-after) on private ports. */
export async function startRedisSentinel(): Promise<PrivateSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-redis-sentinel-'));
  const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const base = ['--dir', dir, '--save', '', '--appendonly', 'no'];
  const servers = new Map<number, { stop(): Promise<void> }>();
  servers.set(masterPort, await spawnRedis(masterPort, [...base, '--dbfilename', `m-${masterPort}.rdb`]));
  servers.set(
    replicaPort,
    await spawnRedis(replicaPort, [
      ...base,
      '--dbfilename',
      `r-${replicaPort}.rdb`,
      '--replicaof',
      '127.0.0.1',
      String(masterPort),
    ]),
  );
  await until('replica in sync', async () =>
    (await redisCli(replicaPort, 'info', 'replication')).includes('master_link_status:up'),
  );
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 5000`,
      '',
    ].join('\n'),
  );
  const sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  await until('sentinel up', async () =>
    (await redisCli(sentinelPort, 'sentinel', 'get-master-addr-by-name', MASTER_NAME)).includes(String(masterPort)),
  );
  const masterPortNow = async () =>
    Number((await redisCli(sentinelPort, 'sentinel', 'get-master-addr-by-name', MASTER_NAME)).trim().split('\n')[1]);
  return {
    url: `redis+sentinel://127.0.0.1:${sentinelPort}/${MASTER_NAME}`,
    masterPort: masterPortNow,
    async killMaster() {
      const port = await masterPortNow();
      await servers.get(port)?.stop();
      servers.delete(port);
    },
    async stop() {
      sentinel.kill('SIGKILL');
      await Promise.all([...servers.values()].map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivatePgBouncer {
  /** postgres:// through PgBouncer (transaction mode) to the private server's `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Debian's PgBouncer (1.18: no prepared statements in transaction mode) in transaction mode in
 * front of a private Postgres. PgBouncer refuses to run as root: as root it runs as postgres.
 */
export async function startPgBouncer(pg: PrivatePostgres, poolSize = 5): Promise<PrivatePgBouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-pgbouncer-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  const conf = join(dir, 'pgbouncer.ini');
  writeFileSync(
    conf,
    [
      '[databases]',
      `postgres = host=127.0.0.1 port=${pg.port} dbname=postgres user=postgres`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'auth_type = any',
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 500',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const root = process.getuid?.() === 0;
  const child = spawn(root ? 'runuser' : 'pgbouncer', root ? ['-u', 'postgres', '--', 'pgbouncer', conf] : [conf], {
    stdio: 'ignore',
  });
  const pidFile = join(dir, 'pgbouncer.pid');
  await until('pgbouncer listening', async () => {
    await run('pg_isready', ['-h', '127.0.0.1', '-p', String(port), '-q'], { timeout: 2000 });
    return true;
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        if (pid > 0) process.kill(pid, 'SIGKILL');
      }
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
