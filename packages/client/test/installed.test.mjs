// The SDK as a user installs it: CI packs @gatehouse/client, installs the tarball into an empty
// project, copies this file there and runs `node --test` against a Gatehouse started for it
// (dev mode: the built-in mock Google). Plain JavaScript, no build step, no test dependencies.
//
//   GATEHOUSE_URL=http://127.0.0.1:8000 GATEHOUSE_ADMIN_KEY=… node --test installed.test.mjs
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as sdk from '@gatehouse/client';

const issuer = process.env.GATEHOUSE_URL;
const adminKey = process.env.GATEHOUSE_ADMIN_KEY;
if (!issuer || !adminKey) throw new Error('set GATEHOUSE_URL and GATEHOUSE_ADMIN_KEY');

/** A public loopback client, as a desktop app registers it (RFC 8252 §7.3). */
async function registerPublicClient() {
  const res = await fetch(`${issuer}/clients/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-admin-key': adminKey },
    body: JSON.stringify({
      app_name: 'installed SDK test',
      contact_email: 'sdk@example.com',
      redirect_url: 'http://127.0.0.1/callback',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid profile email',
    }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).client_id;
}

/**
 * The person at the browser: follows redirects with a cookie jar, signs in at the mock Google
 * with `email`, approves the consent page, and stops at the first URL on `stopAt` (the SDK's
 * loopback listener), which it returns without loading.
 */
async function browse(url, email, stopAt) {
  const jar = new Map();
  let method = 'GET';
  let body;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(stopAt)) return new URL(url);
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await res.text();
    assert.equal(res.status, 200, html);
    // The sign-in page links to Google; the mock Google and the consent page are forms.
    const link = /<a[^>]*href="([^"]*\/auth\/google\/start[^"]*)"/.exec(html)?.[1];
    if (link) {
      url = new URL(unescape(link), url).href;
      continue;
    }
    const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
    assert.ok(action, `no form or sign-in link at ${url}`);
    const fields = new URLSearchParams();
    for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
      fields.set(unescape(m[1]), unescape(m[2]));
    const atGoogle = new URL(url).pathname.includes('/_dev/google');
    if (atGoogle) fields.set('email', email);
    fields.set('decision', atGoogle ? 'allow' : 'approve');
    url = new URL(unescape(action), url).href;
    method = 'POST';
    body = fields.toString();
  }
  throw new Error('too many redirects');
}

function unescape(s) {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** openBrowser for the client: drives `browse` to the loopback URL, then loads it. */
function scriptedBrowser(email, tamper) {
  return (authorizeUrl) => {
    // logout() opens the provider's end-session page; there is nothing to fill in there.
    if (new URL(authorizeUrl).pathname.endsWith('/oauth/logout')) {
      void fetch(authorizeUrl).catch((err) => console.error('scripted browser:', err));
      return;
    }
    const stopAt = new URL(authorizeUrl).searchParams.get('redirect_uri');
    void browse(authorizeUrl, email, stopAt)
      .then((loopback) => {
        tamper?.(loopback);
        return fetch(loopback);
      })
      .catch((err) => console.error('scripted browser:', err));
  };
}

describe('@gatehouse/client as installed from the tarball', () => {
  let clientId;
  before(async () => {
    clientId = await registerPublicClient();
  });

  it('exports the SDK as compiled ESM', () => {
    assert.equal(typeof sdk.GatehouseClient, 'function');
    assert.equal(typeof sdk.MemoryTokenStorage, 'function');
    assert.equal(typeof sdk.FileTokenStorage, 'function');
    assert.equal(typeof sdk.GatehouseClientError, 'function');
  });

  it('ignores a callback with a foreign state and completes the real sign-in after it', async () => {
    const email = `stray.${Date.now()}@example.com`;
    const browser = scriptedBrowser(email);
    let stray;
    const client = new sdk.GatehouseClient({
      issuer,
      clientId,
      storage: new sdk.MemoryTokenStorage(),
      loginTimeoutMs: 10_000,
      openBrowser: async (url) => {
        stray = (await fetch(`${new URL(url).searchParams.get('redirect_uri')}?code=stolen&state=guess`)).status;
        browser(url);
      },
    });
    assert.equal((await client.login()).email, email);
    assert.equal(stray, 400);
  });

  it('signs in through the browser, calls the issuer with the token, and logs out', async () => {
    const email = `installed.${Date.now()}@example.com`;
    const client = new sdk.GatehouseClient({
      issuer,
      clientId,
      storage: new sdk.MemoryTokenStorage(),
      openBrowser: scriptedBrowser(email),
      loginTimeoutMs: 10_000,
    });
    const user = await client.login();
    assert.equal(user.email, email);
    const info = await client.fetch(`${issuer}/userinfo`);
    assert.equal(info.status, 200);
    assert.equal((await info.json()).email, email);
    assert.deepEqual(await client.logout(), { revoked: true });
    assert.equal(await client.isLoggedIn(), false);
  });
});
