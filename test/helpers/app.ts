import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { buildApp, type AppDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Cache } from '../../src/cache/cache.js';
import type { Database } from '../../src/storage/database.js';
import type { Backend, TestCache, TestDatabase } from './backends.js';

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef0123456789';
export const TEST_ENCRYPTION_KEYS = `test1:${Buffer.alloc(32, 7).toString('base64')}`;

/** Where test apps append audit lines unless a test names its own file: never the repo's logs/. */
export const TEST_AUDIT_FILE = join(tmpdir(), 'gatehouse-test', `audit-${process.pid}.log`);

/**
 * The config every test starts from; pass env to override variables, file for config.yml keys.
 * Background work is off unless a test turns it on: a janitor pass at a random moment would
 * delete rows other tests seeded as expired on purpose, a proactive refresh would add Google
 * calls to tests that count them, and webhook polling would add queries to every test app.
 */
export function testConfig(env: Record<string, string> = {}, file: Record<string, unknown> = {}): Config {
  file = { ...file, audit: { file: TEST_AUDIT_FILE, ...(file.audit as object | undefined) } };
  return loadConfig(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ADMIN_KEY: TEST_ADMIN_KEY,
      ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      DATA_DIR: './data/test',
      GOOGLE_PROACTIVE_REFRESH: 'false',
      ...env,
    },
    { janitor: { interval_seconds: 0 }, webhooks: { poll_interval_ms: 0 }, ...file },
  );
}

/** Collects every log line the app writes, so tests can assert what was (not) logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestStorage {
  database: TestDatabase;
  cache: TestCache;
  db: Database;
  close(): Promise<void>;
}

/** A private database and cache for one test file. */
export async function openStorage(backend: Backend): Promise<TestStorage> {
  const database = await backend.createDatabase();
  const cache = await backend.createCache();
  return {
    database,
    cache,
    db: database.db,
    async close() {
      await cache.close();
      await database.drop();
    },
  };
}

export interface TestApp {
  app: App;
  config: Config;
  db: Database;
  cache: Cache;
  logs: LogCapture;
  close(): Promise<void>;
}

export interface BuildOptions {
  env?: Record<string, string>;
  file?: Record<string, unknown>;
  /** Another Database/Cache handle on the same storage, for a second instance. */
  db?: Database;
  cache?: Cache;
  /** Registers extra routes (test probes) before the app is readied. */
  extend?: (app: App) => void;
  onRoute?: AppDeps['onRoute'];
}

/**
 * A fresh app on the given storage. Logs are captured at debug level so redaction is exercised
 * on every test, not only the logging one.
 */
export async function buildTestApp(storage: TestStorage, opts: BuildOptions = {}): Promise<TestApp> {
  const config = testConfig({ LOG_LEVEL: 'debug', ...opts.env }, opts.file);
  const logs = new LogCapture();
  const db = opts.db ?? storage.db;
  const cache = opts.cache ?? storage.cache.cache;
  const app = await buildApp(config, { db, cache, logStream: logs, onRoute: opts.onRoute });
  opts.extend?.(app);
  await app.ready();
  return { app, config, db, cache, logs, close: () => app.close() };
}

export interface StoredAuditEvent {
  event: string;
  actor: string | null;
  subject: string | null;
  client_id: string | null;
  details: Record<string, unknown>;
}

/** Every audit event written so far (the queue is flushed first), oldest first. */
export async function auditEvents(t: TestApp): Promise<StoredAuditEvent[]> {
  await t.app.auditLog.flush();
  const { rows } = await t.db.query<StoredAuditEvent>(
    'SELECT event, actor, subject, client_id, details FROM audit_events ORDER BY id',
  );
  return rows;
}
