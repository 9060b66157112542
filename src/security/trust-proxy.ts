import type { TrustProxy } from '../config/trust-proxy.js';

/** Fastify's `trustProxy` option for a configured `server.trust_proxy`. */
export type FastifyTrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

/**
 * A hop count becomes "trust the first n hops from this server": the socket peer is hop 0, so
 * with one hop the client is the address the proxy appended last. Fastify's own numeric option
 * trusts nothing (it cannot tell a proxy from a direct caller), so the count is passed as a function.
 */
export function fastifyTrustProxy(setting: TrustProxy): FastifyTrustProxy {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting;
}
