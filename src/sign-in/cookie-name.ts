/**
 * The name of a cookie Gatehouse sets. On an https PUBLIC_URL it carries the `__Host-` prefix:
 * browsers accept such a cookie only with Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2),
 * so neither a sibling subdomain nor a plain-http page can set or shadow it. On http (local
 * development) the prefix would make browsers refuse the cookie, so the plain name is used.
 */
export function cookieName(name: string, secure: boolean): string {
  return secure ? `__Host-${name}` : name;
}
