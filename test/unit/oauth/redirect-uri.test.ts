import { describe, expect, it } from 'vitest';
import { matchesRegisteredRedirect } from '../../../src/oauth/redirect-uri.js';

describe('matchesRegisteredRedirect', () => {
  const registered = [
    'https://app.example.com/cb',
    'http://127.0.0.1/native',
    'http://[::1]:9000/v6',
    'http://localhost:3000/dev',
  ];

  it.each([
    ['https://app.example.com/cb', true],
    ['http://127.0.0.1:51234/native', true],
    ['http://127.0.0.1/native', true],
    ['http://[::1]:1234/v6', true],
    ['http://localhost:3000/dev', true],
  ])('accepts %s', (uri, ok) => expect(matchesRegisteredRedirect(registered, uri)).toBe(ok));

  it.each([
    'https://app.example.com/cb/',
    'https://app.example.com/cb?x=1',
    'https://app.example.com/CB',
    'https://app.example.com.evil.com/cb',
    'http://app.example.com/cb',
    'http://localhost:3001/dev',
    'http://127.0.0.1:51234/other',
    'http://127.0.0.1:51234/native?x=1',
    'https://127.0.0.1:51234/native',
    'http://127.0.0.2:51234/native',
    'http://user@127.0.0.1:5000/native',
    'http://127.0.0.1:5000/native#frag',
    'http://[::1]:1234/native',
  ])('refuses %s', (uri) => expect(matchesRegisteredRedirect(registered, uri)).toBe(false));
});
