import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, type TestCache } from '../../helpers/backends.js';
import { RollingCallBudget } from '../../../src/vault/call-budget.js';

describeBackends('RollingCallBudget', (backend) => {
  let cache: TestCache;
  let now = 0;
  let n = 0;
  const budget = (perMinute: number) => new RollingCallBudget(cache.cache, `budget-test:${++n}`, perMinute, () => now);
  const takeMany = async (b: RollingCallBudget, count: number) => {
    const granted = [];
    for (let i = 0; i < count; i++) granted.push(await b.take());
    return granted.filter(Boolean).length;
  };

  beforeAll(async () => {
    cache = await backend.createCache();
  });
  afterAll(async () => {
    await cache?.close();
  });

  it('grants the budget and refuses the next slot in the same minute', async () => {
    const b = budget(5);
    now = 1_000_000;
    expect(await takeMany(b, 8)).toBe(5);
  });

  it('never grants more than the budget in a rolling minute, also across a window boundary', async () => {
    // A window opened by the first call would close at +60 s and let five more through at +61 s:
    // nine calls between +1 s and +61 s.
    const b = budget(5);
    const start = 2_000_000;
    now = start;
    expect(await takeMany(b, 1)).toBe(1);
    now = start + 59_000;
    expect(await takeMany(b, 4)).toBe(4);
    now = start + 61_000;
    expect(await takeMany(b, 5)).toBe(0);
  });

  it('grants again once the calls have left the last 70 s', async () => {
    const b = budget(3);
    const start = 3_000_000;
    now = start;
    expect(await takeMany(b, 3)).toBe(3);
    now = start + 71_000;
    expect(await takeMany(b, 4)).toBe(3);
  });

  it('is shared by every holder of the same key (instances)', async () => {
    const key = `budget-test:shared:${++n}`;
    const a = new RollingCallBudget(cache.cache, key, 4, () => now);
    const other = new RollingCallBudget(cache.cache, key, 4, () => now);
    now = 4_000_000;
    expect((await takeMany(a, 3)) + (await takeMany(other, 3))).toBe(4);
  });
});
