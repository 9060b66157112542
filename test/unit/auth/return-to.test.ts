import { describe, expect, it } from 'vitest';
import { isSafeReturnTo } from '../../../src/sign-in/return-to.js';

describe('return_to', () => {
  it.each([
    '/',
    '/account',
    '/caf%C3%A9',
    "/a~b!$&'()*+,;=:@",
    '/oauth/authorize?client_id=a&redirect_uri=https%3A%2F%2Fx',
    '/a/b#frag',
  ])('accepts %j', (v) => {
    expect(isSafeReturnTo(v)).toBe(true);
  });
  it.each([
    '',
    'account',
    'https://evil.example',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\/evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    ' /account',
    'javascript:alert(1)',
    `/${'a'.repeat(2048)}`,
    '/a\u0000b',
    '/\u0101',
    '/caf\u00e9',
    '/\u{1F600}',
    '/a\u00a0b',
    '/a\u2028b',
  ])('refuses %j', (v) => {
    expect(isSafeReturnTo(v)).toBe(false);
  });
});
