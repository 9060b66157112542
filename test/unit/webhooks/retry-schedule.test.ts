import { describe, expect, it } from 'vitest';
import { nextAttemptAt } from '../../../src/webhooks/retry-schedule.js';

const DEFAULT = { retrySeconds: [10, 30, 120, 600, 3600], giveUpAfterSeconds: 86_400 };
const created = new Date('2026-01-01T00:00:00Z');
const at = (s: number) => created.getTime() + s * 1000;

describe('webhook retry schedule', () => {
  it('waits about 10 s, 30 s, 2 min, 10 min, 1 h, then hourly', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map(
      (n) => (nextAttemptAt(DEFAULT, n, created, at(0))!.getTime() - at(0)) / 1000,
    );
    expect(waits).toEqual([10, 30, 120, 600, 3600, 3600, 3600]);
  });

  it('gives up once the next attempt would fall past 24 h after the event', () => {
    expect(nextAttemptAt(DEFAULT, 20, created, at(86_400 - 3600))).toEqual(new Date(at(86_400)));
    expect(nextAttemptAt(DEFAULT, 21, created, at(86_400 - 3599))).toBeNull();
  });
});
