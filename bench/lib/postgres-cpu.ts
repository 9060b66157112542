import pg from 'pg';
import { cpuSeconds } from './processes.js';

/** CPU seconds so far of each Postgres process that works for one database, by pid. */
export type CpuSnapshot = Map<number, number>;

/**
 * Postgres's CPU spent on Gatehouse's behalf, from /proc: the backends connected to the scratch
 * database (Gatehouse's pool, autovacuum workers on it) and the cluster's WAL writer, background
 * writer and checkpointer, which write what those backends logged. Other databases' backends on
 * a shared server are left out; the three background processes are shared with them, so on a
 * busy shared server the figure is an upper bound (a private cluster, BENCH_POSTGRES_URL, makes
 * it exact). Needs the server on this machine and /proc readable; empty snapshots otherwise.
 */
export class PostgresCpu {
  private constructor(private readonly client: pg.Client) {}

  static async connect(databaseUrl: string): Promise<PostgresCpu> {
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    return new PostgresCpu(client);
  }

  async snapshot(): Promise<CpuSnapshot> {
    const { rows } = await this.client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
       WHERE pid <> pg_backend_pid()
         AND (datname = current_database() OR backend_type IN ('walwriter', 'background writer', 'checkpointer'))`,
    );
    const out: CpuSnapshot = new Map();
    for (const { pid } of rows) {
      const s = cpuSeconds(pid);
      if (s > 0) out.set(pid, s);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

/** CPU seconds between two snapshots; a process that started in between counts from zero. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): number {
  let total = 0;
  for (const [pid, s] of after) total += s - (before.get(pid) ?? 0);
  return total;
}
