import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startMockGoogle, type StandaloneMockGoogle } from '../../../src/google/mock/index.js';
import { createApiKey } from '../../helpers/admin.js';
import { buildTestApp, openStorage, type TestApp, type TestStorage } from '../../helpers/app.js';
import { describeBackends, type Backend } from '../../helpers/backends.js';
import { unavailableFor } from '../../helpers/failing-cache.js';
import { buildSecondInstance } from '../../helpers/instances.js';
import { brokerCall, seedCredential } from '../../helpers/vault.js';

/** A second instance whose cache is down for the vault's keys (its own connections on the real backend). */
async function instanceWithoutVaultCache(backend: Backend, storage: TestStorage, env: Record<string, string>): Promise<TestApp> {
  if (backend.name !== 'real') return buildTestApp(storage, { env, cache: unavailableFor(storage.cache.cache, 'vault:') });
  const db = storage.database.connectAgain();
  const cache = await backend.createCache(storage.cache.prefix);
  const t = await buildTestApp(storage, { env, db, cache: unavailableFor(cache.cache, 'vault:') });
  return { ...t, close: async () => { await t.close(); await cache.close(); } };
}

describeBackends('Google token broker across instances', (backend) => {
  let storage: TestStorage;
  let mock: StandaloneMockGoogle;
  let a: TestApp;
  let b: TestApp;
  let key: string;
  let seq = 0;

  beforeAll(async () => {
    storage = await openStorage(backend);
    mock = await startMockGoogle();
    a = await buildTestApp(storage, { env: mock.env });
    b = await buildSecondInstance(backend, storage, { env: mock.env });
    key = (await createApiKey(a.app)).api_key;
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await mock?.close();
    await storage?.close();
  });
  beforeEach(() => mock.control.reset());

  /**
   * One call per instance first: a key's first use runs argon2, and twenty of those at once on
   * a loaded machine would eat the refresh budget the test is about.
   */
  async function warmUp(...instances: TestApp[]) {
    for (const i of instances) expect((await brokerCall(i.app, key, 'warm-up')).statusCode).toBe(404);
  }

  async function seedExpiring() {
    mock.control.setAccessTokenLifetime(60);
    const s = await seedCredential(a.app, mock, `instances.${++seq}.${backend.name}@example.com`);
    mock.control.setAccessTokenLifetime(3599);
    return s;
  }

  it('two instances on one Postgres and Redis refresh an expiring token exactly once', async () => {
    await warmUp(a, b);
    const s = await seedExpiring();
    const before = mock.control.calls('token');
    mock.control.setLatency(200, 'token');
    const calls = Array.from({ length: 20 }, (_, i) => brokerCall(i % 2 ? a.app : b.app, key, s.user.id, i % 4 ? 'token' : 'tokens'));
    const results = await Promise.all(calls);
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    expect(new Set(results.map((r) => r.json().access_token)).size).toBe(1);
    expect(mock.control.calls('token')).toBe(before + 1);
  });

  it('without Redis, a Postgres row lock still makes two instances refresh exactly once', async () => {
    const c = await instanceWithoutVaultCache(backend, storage, mock.env);
    const d = backend.name === 'real' ? await instanceWithoutVaultCache(backend, storage, mock.env) : c;
    try {
      await warmUp(c, d);
      const s = await seedExpiring();
      const before = mock.control.calls('token');
      mock.control.setLatency(200, 'token');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => brokerCall(i % 2 ? c.app : d.app, key, s.user.id)));
      expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
      expect(new Set(results.map((r) => r.json().access_token)).size).toBe(1);
      expect(mock.control.calls('token')).toBe(before + 1);
      // And a fresh token is then served from Postgres alone.
      const again = await brokerCall(c.app, key, s.user.email!);
      expect(again.json().access_token).toBe(results[0]!.json().access_token);
      expect(mock.control.calls('token')).toBe(before + 1);
    } finally {
      if (d !== c) await d.close();
      await c.close();
    }
  });
});
