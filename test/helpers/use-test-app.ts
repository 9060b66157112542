import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Cache } from '../../src/cache/cache.js';
import { startMockGoogle, type StandaloneMockGoogle } from '../../src/google/mock/index.js';
import type { Database } from '../../src/storage/database.js';
import type { Backend } from './backends.js';
import { buildTestApp, openStorage, type BuildOptions, type TestApp, type TestStorage } from './app.js';
import { listenTestApp } from './server.js';

export interface UseTestStorageOptions {
  /**
   * Start a standalone mock Google before the app (its settings go into every app's env, under
   * the test's own env) and reset its scripted failures and counters before each test.
   */
  google?: boolean;
  /** beforeAll timeout; a fresh database is migrated. */
  timeoutMs?: number;
}

export interface UseTestAppOptions extends Omit<BuildOptions, 'db' | 'cache'>, UseTestStorageOptions {
  /** Listen on a real 127.0.0.1 port (PUBLIC_URL points at it) instead of inject-only. */
  listen?: boolean;
  /** The app's database: another handle, or a wrapper (counting, outage) around the storage's. */
  db?: Database | ((db: Database) => Database);
  /** The app's cache: another handle, or a wrapper (a simulated outage) around the storage's. */
  cache?: Cache | ((cache: Cache) => Cache);
  /**
   * Only for `another`: a second Gatehouse instance with its own Postgres pool and Redis
   * connections on the real backend (so pub/sub really crosses connections). An in-memory
   * PGlite database and the in-process cache cannot be opened twice, so there it shares them.
   */
  ownConnections?: boolean;
  /**
   * Runs after the storage (and mock Google) are open and before the app is built, for what the
   * app's settings depend on (a server the app must call); what it returns is merged in.
   */
  prepare?: (h: TestStorageHandle) => Promise<Pick<BuildOptions, 'env' | 'file'>>;
}

export type AnotherApp = TestApp & { url?: string };

/** A file's storage (a private database and cache) and, with `google: true`, a mock Google. */
export interface TestStorageHandle {
  storage: TestStorage;
  db: Database;
  google: StandaloneMockGoogle;
  /** An app on the storage, for a test that needs its own settings; closed after the file unless closed first. */
  build: (opts?: UseTestAppOptions) => Promise<AnotherApp>;
}

/** What a test file holds: the app under test, its storage, and more instances on demand. */
export interface TestAppHandle extends TestApp, Omit<TestStorageHandle, 'build'> {
  /** The listening address (only with `listen: true`). */
  url: string;
  /**
   * Another app on the same storage (other settings, or a second instance with
   * `ownConnections`). Closed after the file unless the test closes it first.
   */
  another(opts?: UseTestAppOptions): Promise<AnotherApp>;
}

function ready<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`useTestApp: ${what} is read before beforeAll ran`);
  return value;
}

/**
 * Registers the hooks that open the storage (and mock Google) before the file and close all of
 * it, apps first, after. Hooks run in registration order, so a caller's beforeAll registered
 * after this one sees the storage open.
 */
function lifecycle(backend: Backend, opts: UseTestStorageOptions): TestStorageHandle {
  let storage: TestStorage | undefined;
  let google: StandaloneMockGoogle | undefined;
  const open: AnotherApp[] = [];

  beforeAll(async () => {
    storage = await openStorage(backend);
    if (opts.google) google = await startMockGoogle();
  }, opts.timeoutMs ?? 60_000);
  afterAll(async () => {
    for (const t of open.splice(0).reverse()) await t.close();
    await google?.close();
    await storage?.close();
  });
  if (opts.google) beforeEach(() => google?.control.reset());

  const handle: TestStorageHandle = {
    get storage() {
      return ready(storage, 'storage');
    },
    get db() {
      return ready(storage, 'storage').db;
    },
    get google() {
      return ready(google, 'google (pass google: true)');
    },
    build,
  };
  return handle;

  async function build(o: UseTestAppOptions = {}): Promise<AnotherApp> {
    const s = ready(storage, 'storage');
    let db = s.db;
    let cache = s.cache.cache;
    let closeConnections = async () => {};
    if (o.ownConnections && backend.name === 'real') {
      const again = await backend.createCache(s.cache.prefix);
      db = s.database.connectAgain();
      cache = again.cache;
      closeConnections = () => again.close();
    }
    const prepared = (await o.prepare?.(handle)) ?? {};
    const options: BuildOptions = {
      ...o,
      env: { ...google?.env, ...o.env, ...prepared.env },
      file: { ...o.file, ...prepared.file },
      db: typeof o.db === 'function' ? o.db(db) : (o.db ?? db),
      cache: typeof o.cache === 'function' ? o.cache(cache) : (o.cache ?? cache),
    };
    let t: AnotherApp;
    try {
      t = o.listen ? await listenTestApp(s, options) : await buildTestApp(s, options);
    } catch (err) {
      await closeConnections();
      throw err;
    }
    let closed = false;
    const built: AnotherApp = {
      ...t,
      async close() {
        if (closed) return;
        closed = true;
        open.splice(open.indexOf(built), 1);
        await t.close();
        await closeConnections();
      },
    };
    open.push(built);
    return built;
  }
}

/**
 * Storage only, for files that test repositories or SQL without an app: a private database and
 * cache (and mock Google) for the file, closed after it.
 */
export function useTestStorage(backend: Backend, opts: UseTestStorageOptions = {}): TestStorageHandle {
  return lifecycle(backend, opts);
}

/**
 * The one lifecycle for an integration test file: registers beforeAll/afterAll that open a
 * private database and cache, build (and optionally listen) the app, and close everything after
 * the file. Read the handle's fields inside hooks and tests, never at collection time.
 */
export function useTestApp(backend: Backend, opts: UseTestAppOptions = {}): TestAppHandle {
  const handle = lifecycle(backend, opts);
  let current: AnotherApp | undefined;

  beforeAll(async () => {
    current = await handle.build(opts);
  }, opts.timeoutMs ?? 60_000);

  const app = () => ready(current, 'app');
  return {
    get storage() {
      return handle.storage;
    },
    get google() {
      return handle.google;
    },
    get app() {
      return app().app;
    },
    get config() {
      return app().config;
    },
    get db() {
      return app().db;
    },
    get cache() {
      return app().cache;
    },
    get logs() {
      return app().logs;
    },
    get url() {
      return ready(app().url, 'url (pass listen: true)');
    },
    close: () => app().close(),
    another: (o) => handle.build(o),
  };
}
