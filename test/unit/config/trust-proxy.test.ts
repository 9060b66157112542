import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { prodEnv } from '../../helpers/config.js';

const trustProxy = (value: string, env: Record<string, string> = {}) =>
  loadConfig({ ...env, TRUST_PROXY: value }).server.trust_proxy;

describe('server.trust_proxy / TRUST_PROXY', () => {
  it('is false by default', () => {
    expect(loadConfig({}).server.trust_proxy).toBe(false);
    expect(trustProxy('false')).toBe(false);
  });

  it('reads an integer as a hop count, never as "trust everyone"', () => {
    expect(trustProxy('1')).toBe(1);
    expect(trustProxy('2')).toBe(2);
    expect(loadConfig({}, { server: { trust_proxy: 1 } }).server.trust_proxy).toBe(1);
  });

  it('reads a comma-separated list of addresses and CIDRs', () => {
    expect(trustProxy('10.0.0.1, 192.168.0.0/16,::1,fd00::/8, loopback')).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    expect(loadConfig({}, { server: { trust_proxy: ['10.1.2.3'] } }).server.trust_proxy).toEqual(['10.1.2.3']);
  });

  it.each([
    ['0', 'a hop count must be an integer from 1 to 100'],
    ['10.0.0.0/33', '"10.0.0.0/33" is not an IP address or CIDR'],
    ['proxy.internal', '"proxy.internal" is not an IP address or CIDR'],
    ['10.0.0.1,yes', '"yes" is not an IP address or CIDR'],
  ])('refuses %s with a line naming the key', (value, message) => {
    expect(() => trustProxy(value)).toThrow(ConfigError);
    expect(() => trustProxy(value)).toThrow(/server\.trust_proxy \(TRUST_PROXY\)/);
    expect(() => trustProxy(value)).toThrow(message);
  });

  it('refuses true (trust everyone) in production, and allows a hop count or a list there', () => {
    expect(() => loadConfig({ ...prodEnv, TRUST_PROXY: 'true' })).toThrow(
      'Invalid configuration: server.trust_proxy (TRUST_PROXY): true (trust every address) is refused in production: give a hop count or the proxy addresses/CIDRs',
    );
    expect(loadConfig({ ...prodEnv, TRUST_PROXY: '1' }).server.trust_proxy).toBe(1);
    expect(loadConfig({ ...prodEnv, TRUST_PROXY: '10.0.0.0/8' }).server.trust_proxy).toEqual(['10.0.0.0/8']);
    expect(trustProxy('true')).toBe(true);
  });
});
