import { CookieJar } from './cookie-jar.js';

export interface BrowserResponse {
  status: number;
  headers: Headers;
  location: string | undefined;
  setCookies: string[];
  text: string;
}

/**
 * Drives Gatehouse and the mock Google over real HTTP the way a browser would, one request at a
 * time (redirects are returned, not followed, so each hop can be asserted). `rewrite` maps an
 * origin to where it really listens, for a PUBLIC_URL that is not the listening address.
 */
export class Browser {
  readonly jar = new CookieJar();
  constructor(private readonly rewrite?: { from: string; to: string }) {}

  get(url: string): Promise<BrowserResponse> {
    return this.request('GET', url);
  }

  post(url: string, form: Record<string, string>): Promise<BrowserResponse> {
    return this.request('POST', url, form);
  }

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<BrowserResponse> {
    const target =
      this.rewrite && url.startsWith(this.rewrite.from) ? this.rewrite.to + url.slice(this.rewrite.from.length) : url;
    const u = new URL(target);
    const cookie = this.jar.header(u.pathname);
    const res = await fetch(target, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    const setCookies = res.headers.getSetCookie();
    this.jar.store(setCookies);
    const location = res.headers.get('location') ?? undefined;
    return {
      status: res.status,
      headers: res.headers,
      location: location === undefined ? undefined : new URL(location, url).toString(),
      setCookies,
      text: await res.text(),
    };
  }
}

const unescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The first form of a page: its action and hidden fields, as a browser would submit them. */
export function readForm(html: string, baseUrl: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error('no form on the page');
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    fields[unescape(m[1]!)] = unescape(m[2]!);
  return { action: new URL(unescape(action), baseUrl).toString(), fields };
}
