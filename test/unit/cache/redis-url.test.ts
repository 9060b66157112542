import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../../src/cache/redis-url.js';
import { loadConfig } from '../../../src/config/load.js';

describe('REDIS_URL', () => {
  it('hands a standalone URL to ioredis as is', () => {
    expect(parseRedisUrl('rediss://:pw@cache.internal:6380/2')).toEqual({
      kind: 'standalone',
      url: 'rediss://:pw@cache.internal:6380/2',
    });
  });

  it('reads a Cluster seed list, with credentials and TLS', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      tls: false,
      username: undefined,
      password: undefined,
    });
    expect(parseRedisUrl('rediss+cluster://gh:p%40ss@[::1]:7000')).toMatchObject({
      kind: 'cluster',
      nodes: [{ host: '::1', port: 7000 }],
      tls: true,
      username: 'gh',
      password: 'p@ss',
    });
  });

  it('reads sentinels and the master name', () => {
    expect(parseRedisUrl('redis+sentinel://s1:26379,s2:26380/mymaster')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'mymaster',
      tls: false,
      username: undefined,
      password: undefined,
    });
  });

  it.each([
    ['redis+sentinel://s1:26379', /master name/],
    ['redis+cluster://c1', /needs a port/],
    ['redis+cluster://c1:99999', /needs a port/],
  ])('refuses %s at start, naming the key', (url, message) => {
    expect(() => loadConfig({ REDIS_URL: url })).toThrow(message);
    expect(() => loadConfig({ REDIS_URL: url })).toThrow(/redis\.url \(REDIS_URL\)/);
  });
});
