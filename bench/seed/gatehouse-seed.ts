import { createHash, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { Browser, readForm } from '../../test/helpers/browser.js';

/**
 * Puts Gatehouse into the state the scenarios start from: a registered client, a user, codes
 * minted directly in SQL (the browser part of the flow is not what is measured), tokens from
 * real code exchanges, an API key, Google credentials from real sign-ins through the mock Google.
 */

export const REDIRECT_URI = 'https://app.example.com/callback';

export interface BenchClient {
  id: string;
  secret: string;
  basic: string;
}

export interface SeededUser {
  id: string;
  username: string;
}

export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export function formBody(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

export class GatehouseSeeder {
  private readonly pool: pg.Pool;

  constructor(
    private readonly baseUrl: string,
    private readonly adminKey: string,
    databaseUrl: string,
  ) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  query(sql: string, params: unknown[] = []) {
    return this.pool.query(sql, params);
  }

  /** POST /clients/register (the admin API), allowed every grant and a non-identity scope. */
  async registerClient(name = 'bench'): Promise<BenchClient> {
    const res = await fetch(`${this.baseUrl}/clients/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-key': this.adminKey },
      body: JSON.stringify({
        app_name: name,
        contact_email: 'bench@example.com',
        redirect_url: REDIRECT_URI,
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        scope: 'openid profile email api',
        // As the peer's client: ES256 ID tokens (Gatehouse's default is RS256, OIDC's default,
        // whose signature costs several ES256 ones).
        id_token_signed_response_alg: 'ES256',
      }),
    });
    if (res.status !== 201) throw new Error(`client registration: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { client_id: string; client_secret: string };
    return { id: body.client_id, secret: body.client_secret, basic: basicAuth(body.client_id, body.client_secret) };
  }

  /** A user row as Google sign-in leaves it (test/helpers/oauth.ts seedUser). */
  async seedUser(): Promise<SeededUser> {
    const id = randomUUID();
    const username = `bench_${randomBytes(4).toString('hex')}`;
    await this.query(
      `INSERT INTO users (id, google_sub, email, email_verified, username, first_name, last_name, name)
       VALUES ($1, $2, $3, true, $4, 'Ada', 'Lovelace', 'Ada Lovelace')`,
      [id, `g-${id}`, `${username}@example.com`, username],
    );
    return { id, username };
  }

  /** n users as seedUser writes them, in one statement. */
  async seedUsers(n: number): Promise<SeededUser[]> {
    const users = Array.from({ length: n }, () => ({
      id: randomUUID(),
      username: `bench_${randomBytes(6).toString('hex')}`,
    }));
    await this.query(
      `INSERT INTO users (id, google_sub, email, email_verified, username, first_name, last_name, name)
       SELECT id, 'g-' || id, username || '@example.com', true, username, 'Ada', 'Lovelace', 'Ada Lovelace'
       FROM unnest($1::text[], $2::text[]) AS u (id, username)`,
      [users.map((u) => u.id), users.map((u) => u.username)],
    );
    return users;
  }

  /** One authorization code for each of userIds (as mintCodes writes them), in one statement. */
  async mintCodesForUsers(clientId: string, userIds: string[]): Promise<string[]> {
    const codes = userIds.map(() => randomBytes(32).toString('base64url'));
    const hashes = codes.map((c) => createHash('sha256').update(c).digest('hex'));
    await this.query(
      `INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, expires_at)
       SELECT h, $2, u, $3, 'openid profile email', now() + interval '1 hour' FROM unnest($1::text[], $4::text[]) AS c (h, u)`,
      [hashes, clientId, REDIRECT_URI, userIds],
    );
    return codes;
  }

  /**
   * n authorization codes written as /oauth/authorize writes them (only the SHA-256 is stored),
   * valid for an hour so a pool outlives a run. Inserted 5,000 per statement.
   */
  async mintCodes(clientId: string, userId: string, n: number): Promise<string[]> {
    const codes = Array.from({ length: n }, () => randomBytes(32).toString('base64url'));
    for (let i = 0; i < codes.length; i += 5000) {
      const hashes = codes.slice(i, i + 5000).map((c) => createHash('sha256').update(c).digest('hex'));
      await this.query(
        `INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, expires_at)
         SELECT h, $2, $3, $4, 'openid profile email', now() + interval '1 hour' FROM unnest($1::text[]) AS h`,
        [hashes, clientId, userId, REDIRECT_URI],
      );
    }
    return codes;
  }

  /** Exchanges codes for tokens over HTTP, `concurrency` at a time. */
  async exchangeCodes(
    client: BenchClient,
    codes: string[],
    concurrency = 8,
  ): Promise<Array<{ access_token: string; refresh_token: string }>> {
    const out: Array<{ access_token: string; refresh_token: string }> = [];
    let next = 0;
    const worker = async () => {
      for (let guard = 0; guard < codes.length && next < codes.length; guard++) {
        const code = codes[next++]!;
        const res = await fetch(`${this.baseUrl}/oauth/token`, {
          method: 'POST',
          headers: { ...FORM_HEADERS, authorization: client.basic },
          body: formBody({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }),
        });
        const body = (await res.json()) as { access_token?: string; refresh_token?: string };
        if (res.status !== 200 || !body.access_token || !body.refresh_token)
          throw new Error(`code exchange: ${res.status} ${JSON.stringify(body)}`);
        out.push({ access_token: body.access_token, refresh_token: body.refresh_token });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return out;
  }

  async clientCredentialsToken(client: BenchClient): Promise<string> {
    const res = await fetch(`${this.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { ...FORM_HEADERS, authorization: client.basic },
      body: formBody({ grant_type: 'client_credentials', scope: 'api' }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (res.status !== 200 || !body.access_token)
      throw new Error(`client_credentials: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  /** POST /internal/api-keys with scope tokens (the broker's). */
  async createApiKey(): Promise<string> {
    const res = await fetch(`${this.baseUrl}/internal/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-key': this.adminKey },
      body: JSON.stringify({ name: 'bench', scopes: ['tokens'] }),
    });
    if (res.status !== 201) throw new Error(`API key: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { api_key: string }).api_key;
  }

  /**
   * A real browser sign-in through the mock Google (start → Google's page → Allow → callback),
   * which leaves a user and an encrypted google_credentials row. Returns the user id.
   */
  async signInWithGoogle(email: string): Promise<string> {
    const browser = new Browser();
    const start = await browser.get(`${this.baseUrl}/auth/google/start`);
    if (start.status !== 302 || !start.location) throw new Error(`sign-in start: ${start.status}`);
    const page = await browser.get(start.location);
    const form = readForm(page.text, start.location);
    const decision = await browser.post(form.action, { ...form.fields, email, decision: 'allow' });
    if (decision.status !== 302 || !decision.location) throw new Error(`mock Google decision: ${decision.status}`);
    // A callback may bounce once more through Google with prompt=consent (no refresh token yet).
    let next: string | undefined = decision.location;
    for (let hop = 0; hop < 6 && next; hop++) {
      if (
        !next.startsWith(this.baseUrl) &&
        !next.includes('/auth/google/') &&
        !next.includes('/o/oauth2') &&
        !next.includes('authorize')
      )
        break;
      const res = await browser.get(next);
      if (res.status === 200 && /<form/.test(res.text) && /decision/.test(res.text)) {
        const again = readForm(res.text, next);
        next = (await browser.post(again.action, { ...again.fields, email, decision: 'allow' })).location;
        continue;
      }
      next = res.status >= 300 && res.status < 400 ? res.location : undefined;
    }
    const { rows } = await this.query(
      'SELECT u.id FROM users u JOIN google_credentials g ON g.user_id = u.id WHERE lower(u.email) = lower($1)',
      [email],
    );
    const id = rows[0]?.id as string | undefined;
    if (!id) throw new Error(`sign-in of ${email} left no Google credential`);
    return id;
  }
}
