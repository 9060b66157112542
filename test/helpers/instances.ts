import type { Backend } from './backends.js';
import { buildTestApp, type BuildOptions, type TestApp, type TestStorage } from './app.js';

/**
 * Another Gatehouse instance on the same storage. On the real backend it has its own Postgres
 * pool and Redis connections (so pub/sub really crosses connections); an in-memory PGlite
 * database and the in-process cache cannot be opened twice, so there it shares the objects.
 */
export async function buildSecondInstance(
  backend: Backend,
  storage: TestStorage,
  opts: BuildOptions = {},
): Promise<TestApp> {
  if (backend.name !== 'real') return buildTestApp(storage, opts);
  const db = storage.database.connectAgain();
  const cache = await backend.createCache(storage.cache.prefix);
  try {
    const t = await buildTestApp(storage, { ...opts, db, cache: cache.cache });
    return {
      ...t,
      async close() {
        await t.close();
        await cache.close();
      },
    };
  } catch (err) {
    await cache.close();
    throw err;
  }
}
