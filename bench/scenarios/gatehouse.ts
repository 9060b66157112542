import type { RunningGatehouse } from '../servers/start.js';
import {
  FORM_HEADERS,
  formBody,
  REDIRECT_URI,
  type BenchClient,
  type GatehouseSeeder,
  type SeededUser,
} from '../seed/gatehouse-seed.js';
import { RefreshChains } from './refresh-chains.js';
import { fixedScenario, type Scenario } from './scenario.js';

/** Codes minted per second of a round: above what one core can exchange, so a round never starves. */
const CODES_PER_SECOND = 3000;
const MAX_CODES_PER_ROUND = 100_000;
/** Subjects with an expiring Google token, visited round-robin by the broker refresh scenario. */
const REFRESH_SUBJECTS = 200;
/** Below Google refresh_skew_seconds (120): every broker call for these subjects refreshes first. */
const SHORT_GOOGLE_TOKEN_SECONDS = 60;

export interface GatehouseBenchOptions {
  gh: RunningGatehouse;
  seeder: GatehouseSeeder;
  connections: number;
  rounds: number;
}

/** Seeding shared by several scenarios, done once and only when one of them runs. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

export function gatehouseScenarios(o: GatehouseBenchOptions): Scenario[] {
  const { gh, seeder } = o;
  const baseUrl = gh.baseUrl;
  const client = once<BenchClient>(() => seeder.registerClient());
  const user = once<SeededUser>(() => seeder.seedUser());
  const tokenHeaders = async () => ({ ...FORM_HEADERS, authorization: (await client()).basic });

  // Broker: one API key, one subject signed in through the mock Google with a fresh token.
  const broker = once(async () => {
    const apiKey = await seeder.createApiKey();
    const subject = await seeder.signInWithGoogle(`bench.hot.${Date.now()}@example.com`);
    const res = await fetch(`${baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { ...FORM_HEADERS, authorization: `Bearer ${apiKey}` },
      body: formBody({ subject }),
    });
    const text = await res.text();
    if (res.status === 404 || (res.status === 400 && text.includes('only accepted by the Google token broker'))) {
      return {
        unavailable: `broker not built in this tree (POST /oauth/token with an API key → ${res.status})`,
      } as const;
    }
    if (res.status !== 200) throw new Error(`broker probe: ${res.status} ${text}`);
    return { apiKey, subject } as const;
  });

  let refreshChains: RefreshChains | undefined;
  let codes: string[] = [];
  let accessToken = '';
  let userToken = '';
  let userInfoPath = '';
  const refreshSubjects: string[] = [];

  return [
    fixedScenario({
      id: 'gh.health',
      description: "`GET /health`: Gatehouse's framework overhead (hooks, headers, logging) with no work",
      server: 'gatehouse',
      baseUrl,
      method: 'GET',
      request: { method: 'GET', path: '/health' },
    }),
    {
      id: 'gh.client_credentials',
      description: '`POST /oauth/token` grant_type=client_credentials, Basic auth, ES256 JWT access token',
      server: 'gatehouse',
      baseUrl,
      method: 'POST',
      peer: 'oidc.client_credentials',
      async nextRound() {
        return {
          method: 'POST',
          path: '/oauth/token',
          headers: await tokenHeaders(),
          body: 'grant_type=client_credentials&scope=api',
        };
      },
    },
    {
      id: 'gh.refresh_token',
      description:
        '`POST /oauth/token` grant_type=refresh_token with strict rotation on Postgres; every request spends a fresh token (chains pre-minted by code exchange, one user each, as the peer mints one account per token)',
      server: 'gatehouse',
      baseUrl,
      method: 'POST',
      peer: 'oidc.refresh_token',
      async prepare() {
        const c = await client();
        const users = await seeder.seedUsers(o.connections * (o.rounds + 3) + 100);
        const minted = await seeder.mintCodesForUsers(
          c.id,
          users.map((u) => u.id),
        );
        const tokens = await seeder.exchangeCodes(c, minted);
        refreshChains = new RefreshChains(tokens.map((t) => t.refresh_token));
      },
      async nextRound() {
        return refreshChains!.request('/oauth/token', await tokenHeaders(), (rt) =>
          formBody({ grant_type: 'refresh_token', refresh_token: rt }),
        );
      },
      finishRound: () => {
        if (refreshChains?.failures.length)
          console.log(`  gh.refresh_token failures: ${refreshChains.failures.join(' | ')}`);
      },
    },
    {
      id: 'gh.authorization_code',
      description:
        '`POST /oauth/token` grant_type=authorization_code: code consumed, family + refresh token written, JWT access + ES256 ID token (codes pre-minted in SQL)',
      server: 'gatehouse',
      baseUrl,
      method: 'POST',
      async nextRound(durationSeconds) {
        const c = await client();
        codes = await seeder.mintCodes(
          c.id,
          (await user()).id,
          Math.min(MAX_CODES_PER_ROUND, Math.ceil(durationSeconds * CODES_PER_SECOND)),
        );
        const keep = o.connections;
        return {
          method: 'POST',
          path: '/oauth/token',
          headers: await tokenHeaders(),
          setupRequest: (req, _ctx, stop) => {
            if (codes.length <= keep) stop();
            const code = codes.pop() ?? 'pool-exhausted';
            return { ...req, body: formBody({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }) };
          },
        };
      },
    },
    {
      id: 'gh.introspection',
      description: '`POST /oauth/introspect` of one JWT access token (Basic auth): verify cache + in-memory deny list',
      server: 'gatehouse',
      baseUrl,
      method: 'POST',
      peer: 'oidc.introspection',
      async prepare() {
        accessToken = await seeder.clientCredentialsToken(await client());
      },
      async nextRound() {
        return {
          method: 'POST',
          path: '/oauth/introspect',
          headers: await tokenHeaders(),
          body: formBody({ token: accessToken }),
        };
      },
    },
    {
      id: 'gh.user_info',
      description: "`GET /user/info?username=…` with a user's Bearer access token",
      server: 'gatehouse',
      baseUrl,
      method: 'GET',
      async prepare() {
        const c = await client();
        const u = await user();
        const [tokens] = await seeder.exchangeCodes(c, await seeder.mintCodes(c.id, u.id, 1));
        userToken = tokens!.access_token;
        userInfoPath = `/user/info?username=${encodeURIComponent(u.username)}`;
        const res = await fetch(`${baseUrl}${userInfoPath}`, { headers: { authorization: `Bearer ${userToken}` } });
        if (res.status === 404) return { unavailable: 'GET /user/info not built in this tree (404)' };
        if (res.status !== 200) throw new Error(`user info probe: ${res.status} ${await res.text()}`);
      },
      async nextRound() {
        return { method: 'GET', path: userInfoPath, headers: { authorization: `Bearer ${userToken}` } };
      },
    },
    {
      id: 'gh.broker',
      description:
        'broker hot path: `POST /oauth/token` with `Authorization: Bearer <api key>` and `subject=<user id>`, Google token still fresh',
      server: 'gatehouse',
      baseUrl,
      method: 'POST',
      async prepare() {
        const b = await broker();
        if ('unavailable' in b) return { unavailable: b.unavailable! };
      },
      async nextRound() {
        const b = await broker();
        if ('unavailable' in b) throw new Error('unreachable');
        return {
          method: 'POST',
          path: '/oauth/token',
          headers: { ...FORM_HEADERS, authorization: `Bearer ${b.apiKey}` },
          body: formBody({ subject: b.subject }),
        };
      },
    },
    {
      id: 'gh.broker_refresh',
      description: `broker refresh path: ${REFRESH_SUBJECTS} subjects round-robin whose Google tokens live ${SHORT_GOOGLE_TOKEN_SECONDS} s (< refresh skew), so every call refreshes at the mock Google`,
      server: 'gatehouse',
      baseUrl,
      method: 'POST',
      async prepare() {
        const b = await broker();
        if ('unavailable' in b) return { unavailable: b.unavailable! };
        gh.mockGoogle.control.setAccessTokenLifetime(SHORT_GOOGLE_TOKEN_SECONDS);
        const stamp = Date.now();
        for (let i = 0; i < REFRESH_SUBJECTS; i++)
          refreshSubjects.push(await seeder.signInWithGoogle(`bench.refresh.${stamp}.${i}@example.com`));
      },
      async nextRound() {
        const b = await broker();
        if ('unavailable' in b) throw new Error('unreachable');
        let next = 0;
        return {
          method: 'POST',
          path: '/oauth/token',
          headers: { ...FORM_HEADERS, authorization: `Bearer ${b.apiKey}` },
          setupRequest: (req) => ({
            ...req,
            body: formBody({ subject: refreshSubjects[next++ % refreshSubjects.length]! }),
          }),
        };
      },
    },
  ];
}
