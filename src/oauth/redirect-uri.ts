/**
 * Whether a requested redirect_uri matches one the client registered. Exact string comparison
 * (RFC 9700 §4.1.3), except that for http on an IP loopback literal any port matches
 * (RFC 8252 §7.3: native apps listen on an ephemeral port). `localhost` is compared exactly:
 * RFC 8252 §8.3 advises against it.
 */
export function matchesRegisteredRedirect(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const req = parseLoopback(requested);
  if (!req) return false;
  return registered.some((r) => {
    const reg = parseLoopback(r);
    return reg !== null && reg.hostname === req.hostname && reg.pathname === req.pathname && reg.search === req.search;
  });
}

function parseLoopback(value: string): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const loopbackLiteral = url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'http:' || !loopbackLiteral || url.username || url.password || url.hash) return null;
  return url;
}
