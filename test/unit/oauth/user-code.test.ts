import { describe, expect, it } from 'vitest';
import {
  USER_CODE_ALPHABET,
  formatUserCode,
  generateUserCode,
  normalizeUserCode,
} from '../../../src/oauth/user-code.js';

describe('user codes (RFC 8628 §6.1)', () => {
  it('are 8 characters of BCDFGHJKLMNPQRSTVWXZ shown as XXXX-XXXX', () => {
    expect(USER_CODE_ALPHABET).toBe('BCDFGHJKLMNPQRSTVWXZ');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const code = generateUserCode();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      for (const c of code.replace('-', '')) seen.add(c);
    }
    // Every letter of the alphabet turns up (200 codes draw 1600 letters; missing one is ~1e-34).
    expect([...seen].sort().join('')).toBe(USER_CODE_ALPHABET);
  });

  it.each([
    ['WDJB-MJHT', 'WDJBMJHT'],
    ['wdjb-mjht', 'WDJBMJHT'],
    ['wdjbmjht', 'WDJBMJHT'],
    [' WDJB MJHT ', 'WDJBMJHT'],
    ['WD-JB-MJ-HT', 'WDJBMJHT'],
  ])('%j is compared case- and dash-insensitively as %s', (typed, normalized) => {
    expect(normalizeUserCode(typed)).toBe(normalized);
    expect(formatUserCode(normalized)).toBe('WDJB-MJHT');
  });

  it.each(['', 'WDJB-MJH', 'WDJB-MJHTX', 'WDJA-MJHT', 'WDJB-MJH1', 'WDJB_MJHT', 'ÄDJB-MJHT'])('refuses %j', (typed) => {
    expect(normalizeUserCode(typed)).toBeNull();
  });
});
