/**
 * A small cookie jar for tests that drive Gatehouse like a browser: it keeps what Set-Cookie
 * says (value and attributes, so tests can assert HttpOnly/SameSite/Secure), honours deletion
 * and Path, and ignores Domain (every test server is on 127.0.0.1).
 */
export interface StoredCookie {
  name: string;
  value: string;
  path: string;
  httpOnly: boolean;
  secure: boolean;
  sameSite: string | undefined;
  maxAge: number | undefined;
  expiresAt: number | undefined;
  raw: string;
}

export function parseSetCookie(header: string): StoredCookie {
  const [pair, ...attrs] = header.split(';').map((s) => s.trim());
  const eq = pair!.indexOf('=');
  const cookie: StoredCookie = {
    name: pair!.slice(0, eq),
    value: pair!.slice(eq + 1),
    path: '/',
    httpOnly: false,
    secure: false,
    sameSite: undefined,
    maxAge: undefined,
    expiresAt: undefined,
    raw: header,
  };
  for (const attr of attrs) {
    const [k, v] = attr.split('=') as [string, string | undefined];
    switch (k.toLowerCase()) {
      case 'path':
        cookie.path = v ?? '/';
        break;
      case 'httponly':
        cookie.httpOnly = true;
        break;
      case 'secure':
        cookie.secure = true;
        break;
      case 'samesite':
        cookie.sameSite = v;
        break;
      case 'max-age':
        cookie.maxAge = Number(v);
        break;
      case 'expires':
        cookie.expiresAt = Date.parse(v ?? '');
        break;
    }
  }
  return cookie;
}

export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  /** Applies every Set-Cookie header of a response. */
  store(setCookies: readonly string[]): void {
    for (const header of setCookies) {
      const c = parseSetCookie(header);
      const key = `${c.name};${c.path}`;
      const expired =
        (c.maxAge !== undefined && c.maxAge <= 0) || (c.expiresAt !== undefined && c.expiresAt <= Date.now());
      if (expired || c.value === '') this.cookies.delete(key);
      else this.cookies.set(key, c);
    }
  }

  get(name: string): StoredCookie | undefined {
    return [...this.cookies.values()].find((c) => c.name === name);
  }

  set(name: string, value: string, path = '/'): void {
    this.cookies.set(`${name};${path}`, { ...parseSetCookie(`${name}=${value}; Path=${path}`) });
  }

  delete(name: string): void {
    for (const [k, c] of this.cookies) if (c.name === name) this.cookies.delete(k);
  }

  /** The Cookie header a browser would send to this path. */
  header(path: string): string {
    return [...this.cookies.values()]
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}
