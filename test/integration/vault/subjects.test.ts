import { beforeAll, expect, it } from 'vitest';
import { adminHeaders, createApiKey } from '../../helpers/admin.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { mockTokens } from '../../helpers/google.js';
import { brokerCall, seedCredential, saveGoogleGrant } from '../../helpers/vault.js';
import { expectApiError } from '../../helpers/api-error.js';

const ACCEPTED =
  'send exactly one of subject=<user id | username | verified email> (a person) or connection_id=<id> (a connection), or give the API key a default_subject';

describeBackends('broker subjects: separate namespaces, verified emails, default_subject', (backend) => {
  const t = useTestApp(backend, { google: true });
  let key: string;
  let seq = 0;
  const email = () => `subjects.${++seq}.${Date.now()}.${backend.name}@example.com`;

  beforeAll(async () => {
    key = (await createApiKey(t.app, { scopes: ['tokens', 'connections'] })).api_key;
  }, 60_000);

  /** A connection's credential, stored the way the connect callback stores it. */
  async function seedConnection(connectionId: string) {
    const { code, verifier, redirectUri } = await mockTokens(t.google, email());
    const tokens = await t.app.google.exchangeCode(code, verifier, redirectUri);
    await t.app.repos.connections.ensure(connectionId, null);
    await t.app.repos.googleCredentials.save(
      { connectionId },
      {
        accessToken: tokens.access_token,
        expiresIn: tokens.expires_in,
        refreshToken: tokens.refresh_token,
        scope: tokens.scope,
      },
    );
    return tokens.access_token;
  }

  /** A person's Google credential held under a profile Google sent (possibly unverified). */
  async function seedPerson(address: string, opts: { verified: boolean; sub: string }) {
    const user = await t.app.repos.users.upsertFromGoogle({
      sub: opts.sub,
      email: address,
      emailVerified: opts.verified,
      name: 'Someone',
    });
    const { tokens } = await saveGoogleGrant(t.app, t.google, {
      userId: user.id,
      googleEmail: `${opts.sub}@mock.example`,
    });
    return { user, accessToken: tokens.access_token };
  }

  const post = (url: string, payload: string | undefined, apiKey = key) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(payload === undefined ? {} : { payload }),
    });

  it('a connection id is never looked up as a person, nor a person as a connection', async () => {
    const person = await seedCredential(t.app, t.google, email());
    const connectionToken = await seedConnection(person.user.username);
    // The same string in both namespaces names two different credentials.
    const asPerson = await brokerCall(t.app, key, person.user.username, 'tokens');
    expect(asPerson.json()).toMatchObject({ subject: person.user.id, access_token: person.accessToken });
    const asConnection = await brokerCall(t.app, key, { connection_id: person.user.username }, 'tokens');
    expect(asConnection.json()).toMatchObject({ subject: person.user.username, access_token: connectionToken });
    // A connection-only id is nobody as a person; a person-only name is no connection.
    await seedConnection('shop:only-a-connection');
    for (const via of ['token', 'tokens', 'refresh'] as const) {
      expect((await brokerCall(t.app, key, 'shop:only-a-connection', via)).statusCode, via).toBe(404);
      expect((await brokerCall(t.app, key, { connection_id: person.user.id }, via)).statusCode, via).toBe(400);
      expect((await brokerCall(t.app, key, { connection_id: 'no-such-connection' }, via)).statusCode, via).toBe(404);
    }
  });

  it("a connection stored under a person's user id (a row from before ids were checked) is never served for that person", async () => {
    // The report's sequence, with the connection written straight to t.storage since the API now
    // refuses UUID-shaped ids: the victim has no Google credential; the attacker's sits under
    // a connection named with the victim's user id.
    const victim = await t.app.repos.users.upsertFromGoogle({
      sub: `victim-${seq}`,
      email: email(),
      emailVerified: true,
    });
    const attackerToken = await seedConnection(victim.id);
    for (const via of ['token', 'tokens', 'refresh'] as const) {
      const res = await brokerCall(t.app, key, victim.id, via);
      expect(res.statusCode, `${via}: ${res.body}`).toBe(404);
      expect(res.body).not.toContain(attackerToken);
    }
  });

  it('both subject and connection_id → 400; neither and no default_subject → 400 listing the accepted forms', async () => {
    const both = await post('/oauth/token', 'subject=a&connection_id=b');
    expectApiError(both, 400, 'invalid_request', `subject and connection_id name different things; ${ACCEPTED}`);
    expect((await post('/oauth/refresh', 'subject=a&connection_id=b')).statusCode).toBe(400);
    for (const url of ['/oauth/token', '/oauth/refresh']) {
      for (const body of [undefined, '']) {
        const none = await post(url, body);
        expect(none.statusCode, `${url} ${body}`).toBe(400);
        expect(none.json()).toEqual({
          success: false,
          error: 'invalid_request',
          error_description: `subject or connection_id is required; ${ACCEPTED}`,
        });
        expect(none.headers['cache-control']).toBe('no-store');
      }
    }
    const badId = await post('/oauth/token', 'connection_id=has%20space');
    expect(badId.statusCode).toBe(400);
    expect(badId.json().error).toBe('invalid_request');
  });

  it("POST /oauth/token with only the API key and no body answers for the key's default_subject", async () => {
    const person = await seedCredential(t.app, t.google, email());
    const connectionToken = await seedConnection('shop:default-branch');
    const personKey = (await createApiKey(t.app, { default_subject: { subject: person.user.email } })).api_key;
    const connectionKey = (await createApiKey(t.app, { default_subject: { connection_id: 'shop:default-branch' } }))
      .api_key;

    // The exact request of the old centralised token server's users: a Bearer key, nothing else.
    const bare = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: `Bearer ${personKey}` },
    });
    expect(bare.statusCode, bare.body).toBe(200);
    expect(bare.json()).toMatchObject({
      success: true,
      subject: person.user.id,
      access_token: person.accessToken,
      token_type: 'Bearer',
    });
    const forConnection = await post('/oauth/token', undefined, connectionKey);
    expect(forConnection.json()).toMatchObject({ subject: 'shop:default-branch', access_token: connectionToken });
    const refreshed = await post('/oauth/refresh', '', connectionKey);
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    expect(refreshed.json().subject).toBe('shop:default-branch');
    // A subject in the request wins over the default.
    const named = await post('/oauth/token', `subject=${encodeURIComponent(person.user.id)}`, connectionKey);
    expect(named.json().subject).toBe(person.user.id);

    const listed = (await t.app.inject({ method: 'GET', url: '/internal/api-keys', headers: adminHeaders })).json()
      .api_keys;
    expect(listed).toContainEqual(
      expect.objectContaining({ default_subject: { connection_id: 'shop:default-branch' }, allowed_clients: [] }),
    );
  });

  it('validates default_subject at key creation', async () => {
    for (const default_subject of [
      'someone',
      {},
      { subject: 'a', connection_id: 'b' },
      { subject: '' },
      { subject: 'has space' },
      { connection_id: 'has space' },
      { connection_id: '6f1c3e4a-1111-4222-8333-944455556666' },
      { user: 'x' },
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/internal/api-keys',
        headers: adminHeaders,
        payload: { name: 'svc', default_subject },
      });
      expect(res.statusCode, JSON.stringify(default_subject)).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: 'invalid_request' });
    }
  });

  it('an email names only a verified account; an unverified look-alike is never returned, two verified ones are 409', async () => {
    // The report's sequence: the only account holding the address has it unverified.
    const address = email();
    const unverified = await seedPerson(address, { verified: false, sub: `unverified-${seq}` });
    for (const via of ['token', 'tokens', 'refresh'] as const) {
      const res = await brokerCall(t.app, key, address, via);
      expect(res.statusCode, `${via}: ${res.body}`).toBe(404);
      expect(res.body).not.toContain(unverified.accessToken);
    }
    // A verified owner appears (older than the unverified account's latest sign-in): theirs.
    const owner = await seedPerson(address.toUpperCase(), { verified: true, sub: `owner-${seq}` });
    await t.app.repos.users.upsertFromGoogle({
      sub: `unverified-${seq}`,
      email: address,
      emailVerified: false,
      name: 'Recent',
    });
    const res = await brokerCall(t.app, key, address);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ subject: owner.user.id, access_token: owner.accessToken });

    // Two verified accounts with one address: nobody is chosen, by recency or otherwise.
    const shared = email();
    const first = await seedPerson(shared, { verified: true, sub: `first-${seq}` });
    await seedPerson(shared, { verified: true, sub: `second-${seq}` });
    for (const via of ['token', 'tokens', 'refresh'] as const) {
      const twice = await brokerCall(t.app, key, shared, via);
      expect(twice.statusCode, via).toBe(409);
      expect(twice.json()).toEqual({
        success: false,
        error: 'ambiguous_subject',
        error_description:
          'this email belongs to more than one verified account; name the person by user id or username',
      });
    }
    expect((await brokerCall(t.app, key, first.user.id)).json().access_token).toBe(first.accessToken);
    // The user id still names the owner.
    expect((await brokerCall(t.app, key, owner.user.id)).json().access_token).toBe(owner.accessToken);
  });
});
