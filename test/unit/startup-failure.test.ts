import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../src/storage/unavailable.js';
import { describeFailure } from '../../src/startup-failure.js';

describe('describeFailure', () => {
  it('follows the cause chain in one line', () => {
    const driver = Object.assign(new Error('password authentication failed for user "gatehouse"'), { code: '28P01' });
    expect(describeFailure(new DatabaseUnavailableError(driver))).toBe(
      'database unavailable: password authentication failed for user "gatehouse"',
    );
  });

  it('names each error of an AggregateError (every address refused) and a bare code', () => {
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    const aggregate = Object.assign(new AggregateError([refused('127.0.0.1:1'), refused('::1:1')], ''), {
      code: 'ECONNREFUSED',
    });
    expect(describeFailure(new Error('cache unavailable', { cause: aggregate }))).toBe(
      'cache unavailable: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:1; connect ECONNREFUSED ::1:1)',
    );
  });

  it('keeps multi-line messages on one line, drops repeats, and stops on a cycle', () => {
    const a = new Error('outer\n  detail');
    const b = new Error('outer\n  detail');
    (a as { cause?: unknown }).cause = b;
    (b as { cause?: unknown }).cause = a;
    expect(describeFailure(a)).toBe('outer detail');
    expect(describeFailure('plain')).toBe('plain');
  });
});
