import { describe, expect, it } from 'vitest';
import {
  canonicalUsername,
  isReservedUsername,
  nextFreeUsername,
  usernameBaseFromEmail,
  withSuffix,
} from '../../../src/users/username.js';

describe('username canonicalisation', () => {
  it('applies NFKC then lowercase', () => {
    expect(canonicalUsername('ＪＯＨＮ')).toBe('john'); // fullwidth letters
    expect(canonicalUsername('ﬁona')).toBe('fiona'); // ﬁ ligature
    expect(canonicalUsername('Ada.Lovelace')).toBe('ada.lovelace');
    expect(canonicalUsername('  bob_1-x  ')).toBe('bob_1-x');
    expect(canonicalUsername('ｊｏｈｎ')).toBe(canonicalUsername('JOHN'));
  });

  it('refuses what is not [a-z0-9_.-]{3,32} after canonicalisation', () => {
    expect(canonicalUsername('ab')).toBeNull();
    expect(canonicalUsername('a'.repeat(33))).toBeNull();
    expect(canonicalUsername('zoë')).toBeNull();
    expect(canonicalUsername('john doe')).toBeNull();
    expect(canonicalUsername('john@doe')).toBeNull();
    expect(canonicalUsername('аdmin')).toBeNull(); // Cyrillic а stays non-ASCII
    expect(canonicalUsername('İstanbul')).toBeNull(); // lowercases to i + combining dot
  });

  it('refuses reserved names, including the first-party client id, in any case', () => {
    for (const name of ['admin', 'ROOT', 'Gatehouse', 'api', 'oauth', 'system', 'ＡＤＭＩＮ']) {
      expect(isReservedUsername(name, 'gatehouse')).toBe(true);
    }
    expect(isReservedUsername('first-party', 'first-party')).toBe(true);
    expect(isReservedUsername('admins', 'gatehouse')).toBe(false);
  });

  it('derives a base from the email local part', () => {
    expect(usernameBaseFromEmail('Ada.Lovelace@example.com')).toBe('ada.lovelace');
    expect(usernameBaseFromEmail('john+newsletter@example.com')).toBe('john');
    expect(usernameBaseFromEmail('Ｊöhn.Doe@example.com')).toBe('john.doe');
    expect(usernameBaseFromEmail('李@example.com')).toBe('user');
    expect(usernameBaseFromEmail('xy@example.com')).toBe('xy_');
    expect(usernameBaseFromEmail('..@example.com')).toBe('user');
    expect(usernameBaseFromEmail(undefined)).toBe('user');
    expect(usernameBaseFromEmail(`${'a'.repeat(40)}@example.com`)).toBe('a'.repeat(32));
    expect(canonicalUsername(usernameBaseFromEmail('ŝŝŝ@example.com'))).not.toBeNull();
  });

  it('adds a numeric suffix on collision, skipping reserved names and staying within 32', () => {
    expect(nextFreeUsername('john', new Set(), 'gatehouse')).toBe('john');
    expect(nextFreeUsername('john', new Set(['john']), 'gatehouse')).toBe('john2');
    expect(nextFreeUsername('john', new Set(['john', 'john2', 'john3']), 'gatehouse')).toBe('john4');
    expect(nextFreeUsername('admin', new Set(), 'gatehouse')).toBe('admin2');
    expect(nextFreeUsername('gatehouse', new Set(), 'gatehouse')).toBe('gatehouse2');
    expect(withSuffix('a'.repeat(32), 12)).toBe(`${'a'.repeat(30)}12`);
    expect(nextFreeUsername('john', new Set(['john']), 'gatehouse', 5)).toBe('john5');
  });
});
