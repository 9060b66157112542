import { afterAll, beforeAll } from 'vitest';
import type { Backend } from './backends.js';
import { buildTestApp, openStorage, type BuildOptions, type TestApp, type TestStorage } from './app.js';
import { listenTestApp } from './server.js';

export interface UseTestAppOptions extends BuildOptions {
  /** Listen on a real 127.0.0.1 port (PUBLIC_URL points at it) instead of inject-only. */
  listen?: boolean;
  /** beforeAll timeout; building on a fresh database migrates it. */
  timeoutMs?: number;
}

/** What a test file holds: the app under test, its storage, and more instances on demand. */
export interface TestAppHandle extends TestApp {
  storage: TestStorage;
  /** The listening address (only with `listen: true`). */
  url: string;
  /** Another app on the same storage (a second instance, other settings); closed after the file. */
  another(opts?: UseTestAppOptions): Promise<TestApp & { url?: string }>;
}

/**
 * The one lifecycle for an integration test file: registers beforeAll/afterAll that open a
 * private database and cache, build (and optionally listen) the app, and close both after the
 * file. Read the handle's fields inside hooks and tests, never at collection time.
 */
export function useTestApp(backend: Backend, opts: UseTestAppOptions = {}): TestAppHandle {
  let storage: TestStorage | undefined;
  let current: (TestApp & { url?: string }) | undefined;
  const extra: TestApp[] = [];

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useTestApp: ${what} is read before beforeAll ran`);
    return value;
  };
  const build = (s: TestStorage, o: UseTestAppOptions) => (o.listen ? listenTestApp(s, o) : buildTestApp(s, o));

  beforeAll(async () => {
    storage = await openStorage(backend);
    current = await build(storage, opts);
  }, opts.timeoutMs ?? 60_000);

  afterAll(async () => {
    for (const t of extra.reverse()) await t.close();
    await current?.close();
    await storage?.close();
  });

  return {
    get app() {
      return ready(current, 'app').app;
    },
    get config() {
      return ready(current, 'config').config;
    },
    get db() {
      return ready(current, 'db').db;
    },
    get cache() {
      return ready(current, 'cache').cache;
    },
    get logs() {
      return ready(current, 'logs').logs;
    },
    get storage() {
      return ready(storage, 'storage');
    },
    get url() {
      return ready(ready(current, 'url').url, 'url (pass listen: true)');
    },
    close: () => ready(current, 'app').close(),
    async another(o: UseTestAppOptions = {}) {
      const t = await build(ready(storage, 'storage'), o);
      extra.push(t);
      return t;
    },
  };
}
