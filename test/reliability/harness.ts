import { afterAll, beforeAll } from 'vitest';
import { createPgDatabase } from '../../src/storage/pg-database.js';
import type { Database } from '../../src/storage/database.js';
import { TEST_ADMIN_KEY, TEST_ENCRYPTION_KEYS } from '../helpers/app.js';
import {
  startPrivatePostgres,
  startRestartableRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from './private-services.js';
import { freePort, startGatehouse, tempDir, waitForHttp, type Spawned } from '../helpers/processes.js';

export interface RunningGatehouse {
  url: string;
  process: Spawned;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `npm start` as a separate process on the given storage, in production-like settings. */
export async function startServer(env: Record<string, string>): Promise<RunningGatehouse> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const p = startGatehouse({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    DATA_DIR: tempDir(),
    ADMIN_KEY: TEST_ADMIN_KEY,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    LOG_LEVEL: 'warn',
    GATEHOUSE_CONFIG: '/dev/null',
    ...env,
  });
  await waitForHttp(`${url}/health`, 60_000);
  return {
    url,
    process: p,
    async stop(signal = 'SIGTERM') {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
      return p.exited;
    },
  };
}

export interface HttpResult {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  ms: number;
  error?: string;
}

/** One request; a refused or reset connection is reported, not thrown. */
export async function call(
  url: string,
  init: RequestInit & { form?: Record<string, string>; json?: unknown } = {},
): Promise<HttpResult> {
  const started = Date.now();
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.form) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(init.form).toString();
  } else if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  try {
    const res = await fetch(url, { ...init, headers, body, signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (HTML pages)
    }
    return { status: res.status, body: parsed, ms: Date.now() - started };
  } catch (err) {
    return { status: 0, body: null, ms: Date.now() - started, error: String((err as Error).cause ?? err) };
  }
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** What registerOver returns, and all a client needs to authenticate. */
export interface ClientSecret {
  client_id: string;
  client_secret: string;
}

/** A form POST (to /oauth/token, /oauth/introspect, …) authenticated as the client with client_secret_basic. */
export function clientPost(
  url: string,
  client: ClientSecret,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return call(url, {
    method: 'POST',
    headers: { authorization: basic(client.client_id, client.client_secret), ...headers },
    form,
  });
}

/** The admin API's header. */
export const ADMIN_HEADERS = { 'x-admin-key': TEST_ADMIN_KEY };
/** A subject no connection or user has (the broker answers it without calling Google). */
export const UNKNOWN_SUBJECT = '00000000-0000-4000-8000-000000000000';

export async function registerOver(url: string, body: Record<string, unknown>): Promise<ClientSecret> {
  const r = await call(`${url}/clients/register`, {
    method: 'POST',
    headers: { 'x-admin-key': TEST_ADMIN_KEY },
    json: {
      app_name: 'Reliability',
      contact_email: 'ops@example.com',
      redirect_url: 'https://app.example.com/callback',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      scope: 'openid profile email reports',
      ...body,
    },
  });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The error shape, and nothing that looks like a stack trace. */
export function isSpecError(body: unknown): boolean {
  const b = body as Record<string, unknown> | null;
  return (
    !!b &&
    b.success === false &&
    typeof b.error === 'string' &&
    typeof b.error_description === 'string' &&
    !/\bat .+:\d+:\d+/.test(JSON.stringify(b))
  );
}

export interface PrivateStack {
  pg: PrivatePostgres;
  redis: PrivateRedis;
  gh: RunningGatehouse;
  /** The test's own pool on the private Postgres (seeding and consistency checks). */
  db: Database;
  close(): Promise<void>;
}

/** A Gatehouse process on its own Postgres cluster and Redis server, which tests may break. */
export async function startPrivateStack(): Promise<PrivateStack> {
  const pg = await startPrivatePostgres();
  const redis = await startRestartableRedis();
  const gh = await startServer({ DATABASE_URL: pg.url, REDIS_URL: redis.url });
  const db = createPgDatabase({ url: pg.url, poolMax: 4, statementTimeoutMs: 10_000 });
  return {
    pg,
    redis,
    gh,
    db,
    async close() {
      await gh.stop('SIGKILL');
      await db.close();
      await redis.stop();
      await pg.destroy();
    },
  };
}

/**
 * The file's private stack, started before its tests and closed after them (registers its own
 * beforeAll/afterAll, as useTestApp does). Its fields are filled in by beforeAll: read them
 * inside hooks and tests only.
 */
export function usePrivateStack(): PrivateStack {
  const handle = {} as PrivateStack;
  beforeAll(async () => {
    Object.assign(handle, await startPrivateStack());
  }, 120_000);
  afterAll(() => handle.close?.());
  return handle;
}
