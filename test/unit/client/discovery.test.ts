import { describe, expect, it } from 'vitest';
import { GatehouseClient, MemoryTokenStorage } from '@gatehouse/client';
import { parseIssuer } from '../../../packages/client/src/discovery.js';

describe('issuer transport', () => {
  it.each(['https://auth.example.com', 'http://127.0.0.1:3000', 'http://[::1]:3000', 'http://localhost:3000'])(
    'accepts %s',
    (issuer) => {
      expect(parseIssuer(issuer).href).toBe(new URL(issuer).href);
    },
  );

  it.each(['http://auth.example.com', 'http://10.0.0.1', 'ftp://127.0.0.1'])('refuses %s', (issuer) => {
    expect(() => parseIssuer(issuer)).toThrow(/https/);
    expect(() => new GatehouseClient({ issuer, clientId: 'c', storage: new MemoryTokenStorage() })).toThrow(/https/);
  });
});
