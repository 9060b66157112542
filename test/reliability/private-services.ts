import { execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startPrivateRedis } from '../helpers/processes.js';

const run = promisify(execFile);

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
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = () => asPostgres(`${bin}/pg_ctl`, ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
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
  stop(): Promise<void>;
  /** Starts a fresh (empty) server on the same port, as a Redis restart without persistence. */
  restart(): Promise<void>;
}

export async function startRestartableRedis(): Promise<PrivateRedis> {
  let current = await startPrivateRedis();
  const port = Number(new URL(current.url).port);
  return {
    url: current.url,
    stop: () => current.stop(),
    async restart() {
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 1000 });
          break;
        } catch {
          if (Date.now() > deadline) throw new Error('redis did not restart');
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      current = {
        url: current.url,
        stop: () => new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
      };
    },
  };
}
