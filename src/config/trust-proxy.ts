import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * `server.trust_proxy` / `TRUST_PROXY`: whose `X-Forwarded-For` is believed.
 * - `false`: nobody's (the socket peer is the client);
 * - a hop count (integer ≥ 1): that many proxies in front, each appending the address it saw;
 * - a list of proxy addresses or CIDRs (or proxy-addr's names loopback, linklocal, uniquelocal).
 * `true` ("trust everyone") lets any caller choose its own address; it is refused in production
 * by the schema's production checks.
 */
export type TrustProxy = boolean | number | string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrCidr(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  if (slash < 0) return true;
  const prefix = entry.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export const trustProxySchema = z
  .unknown()
  .transform((raw, ctx): TrustProxy => {
    if (typeof raw === 'boolean') return raw;
    if (typeof raw === 'number') {
      if (Number.isInteger(raw) && raw >= 1 && raw <= 100) return raw;
      ctx.addIssue({ code: 'custom', message: 'a hop count must be an integer from 1 to 100' });
      return z.NEVER;
    }
    const entries =
      typeof raw === 'string'
        ? raw
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : Array.isArray(raw) && raw.every((e) => typeof e === 'string')
          ? raw.map((s) => s.trim())
          : undefined;
    if (!entries || entries.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be false, a hop count, or a comma-separated list of proxy addresses/CIDRs',
      });
      return z.NEVER;
    }
    if (entries.length === 1) {
      const only = entries[0]!.toLowerCase();
      if (only === 'false') return false;
      if (only === 'true') return true;
      // "1" is one hop, not the boolean: reading it as "trust everyone" let callers pick their address.
      if (/^\d+$/.test(only)) {
        const hops = Number(only);
        if (hops >= 1 && hops <= 100) return hops;
        ctx.addIssue({ code: 'custom', message: 'a hop count must be an integer from 1 to 100' });
        return z.NEVER;
      }
    }
    const bad = entries.find((e) => !isAddressOrCidr(e));
    if (bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${bad.slice(0, 64)}" is not an IP address or CIDR (nor false, a hop count, loopback, linklocal, uniquelocal)`,
      });
      return z.NEVER;
    }
    return entries;
  })
  .meta({ type: 'false, a hop count 1–100, or a list of addresses/CIDRs (comma-separated)' });
