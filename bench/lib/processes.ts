import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Whether `taskset` can pin processes to cores here (Linux with util-linux and ≥ 2 cores). */
export const canPin: boolean = (() => {
  try {
    return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0 && cpuCount() >= 2;
  } catch {
    return false;
  }
})();

function cpuCount(): number {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('processor')).length;
  } catch {
    return 1;
  }
}

/** Pins every thread of this process (the load generator) to one core. */
export function pinSelf(core: number): boolean {
  if (!canPin) return false;
  return spawnSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

export interface StartOptions {
  name: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  /** Core to pin the server to; ignored when taskset is missing. */
  core?: number;
}

/**
 * Every server the bench starts, so that all of them are killed on the way out: normal end,
 * an error, Ctrl-C or SIGTERM.
 */
export class ProcessGroup {
  private readonly children = new Map<string, ChildProcess>();
  private readonly output = new Map<string, string[]>();

  constructor() {
    const killAll = () => this.killAllNow();
    process.once('exit', killAll);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        killAll();
        process.exit(130);
      });
    }
  }

  /** Starts `node <args>` (pinned when possible); returns the child. */
  start(o: StartOptions): ChildProcess {
    const pinned = canPin && o.core !== undefined;
    const cmd = pinned ? 'taskset' : process.execPath;
    const args = pinned ? ['-c', String(o.core), process.execPath, ...o.args] : o.args;
    const child = spawn(cmd, args, { cwd: o.cwd, env: { ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const keep = (chunk: Buffer) => {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.children.set(o.name, child);
    this.output.set(o.name, lines);
    return child;
  }

  /** The last lines a server printed (for error messages). */
  tail(name: string, n = 20): string {
    return (this.output.get(name) ?? []).slice(-n).join('\n');
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  async stop(name: string, graceMs = 5000): Promise<void> {
    const child = this.children.get(name);
    if (!child) return;
    this.children.delete(name);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((name) => this.stop(name)));
  }

  private killAllNow(): void {
    for (const child of this.children.values()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.children.clear();
  }
}

/** Resident set size of a process in bytes, from /proc (0 when unknown). */
export function rssBytes(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

let ticksPerSecond: number | undefined;

/**
 * CPU seconds (user + system, every thread) a process has used so far, from /proc; 0 when
 * unreadable. Per-request CPU is steadier than req/s on a machine that is busy with other work.
 */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state: utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** Polls url until it answers 2xx, the child exits, or timeoutMs passes (bounded loop). */
export async function waitForHttp(
  url: string,
  child: ChildProcess,
  timeoutMs = 60_000,
  describe = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 10_000 && Date.now() < deadline; attempt++) {
    if (child.exitCode !== null) throw new Error(`server for ${url} exited with ${child.exitCode}\n${describe()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server for ${url} did not become ready within ${timeoutMs} ms\n${describe()}`);
}
