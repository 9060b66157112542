import type { ClusterNode } from 'ioredis';

/**
 * What REDIS_URL names: a standalone server (`redis://`, `rediss://`, handed to ioredis as is),
 * a Redis Cluster (`redis+cluster://host1:port,host2:port`) or a Sentinel-managed master
 * (`redis+sentinel://host1:port,host2:port/<master-name>`). Credentials may precede the hosts
 * (`user:password@`); for Sentinel they are the master's (the sentinels get the same ones).
 */
export type RedisTarget =
  | { kind: 'standalone'; url: string }
  | { kind: 'cluster'; nodes: ClusterNode[]; username?: string; password?: string; tls: boolean }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      name: string;
      username?: string;
      password?: string;
      tls: boolean;
    };

const MULTI_HOST = /^(redis|rediss)\+(cluster|sentinel):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/([^?#]*))?$/;

export function parseRedisUrl(url: string): RedisTarget {
  const m = MULTI_HOST.exec(url);
  if (!m) {
    if (/^rediss?:\/\//.test(url)) return { kind: 'standalone', url };
    throw new Error(
      'REDIS_URL must be redis://, rediss://, redis+cluster://host:port,… or redis+sentinel://host:port,…/<master-name>',
    );
  }
  const [, scheme, mode, auth, hostList, path] = m;
  const hosts = hostList!.split(',').map(parseHostPort);
  const { username, password } = parseAuth(auth);
  const tls = scheme === 'rediss';
  if (mode === 'cluster') return { kind: 'cluster', nodes: hosts, username, password, tls };
  const name = decodeURIComponent(path ?? '');
  if (!name)
    throw new Error('redis+sentinel:// needs the master name as its path (redis+sentinel://host:26379/mymaster)');
  return { kind: 'sentinel', sentinels: hosts, name, username, password, tls };
}

function parseHostPort(entry: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(entry.trim());
  if (!m) throw new Error(`REDIS_URL: "${entry}" is not host:port`);
  const port = m[2] ? Number(m[2]) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`REDIS_URL: "${entry}" needs a port between 1 and 65535`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function parseAuth(auth: string | undefined): { username?: string; password?: string } {
  if (!auth) return {};
  const idx = auth.indexOf(':');
  const username = decodeURIComponent(idx < 0 ? auth : auth.slice(0, idx)) || undefined;
  const password = idx < 0 ? undefined : decodeURIComponent(auth.slice(idx + 1));
  return { username, password };
}
