import { z } from 'zod';
import { parseRedisUrl } from '../cache/redis-url.js';
import { trustProxySchema } from './trust-proxy.js';

/**
 * One schema for everything Gatehouse reads at start: config.yml merged with environment
 * overrides. Keys keep config.yml's snake_case so an operator can grep a setting from the file
 * straight into the code. Every field carries a `.describe()`: the configuration reference is
 * generated from it (describeSettings).
 */

const bool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return v;
}, z.boolean());

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const spaceList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v),
  z.array(z.string().min(1)),
);

const httpUrl = z.url({ protocol: /^https?$/ });

const GOOGLE = 'https://accounts.google.com';

export const ENCRYPTION_KEY_BYTES = 32;

const encryptionKeys = z
  .string()
  .transform((raw, ctx) => {
    const keys: { kid: string; key: Buffer }[] = [];
    for (const part of raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const idx = part.indexOf(':');
      const kid = idx > 0 ? part.slice(0, idx) : '';
      const key = Buffer.from(part.slice(idx + 1), 'base64');
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid)) {
        ctx.addIssue({ code: 'custom', message: 'each entry must be kid:base64 with a kid of [A-Za-z0-9_-]{1,32}' });
        return z.NEVER;
      }
      if (key.length !== ENCRYPTION_KEY_BYTES) {
        ctx.addIssue({ code: 'custom', message: `key "${kid}" must decode to exactly 32 bytes` });
        return z.NEVER;
      }
      if (keys.some((k) => k.kid === kid)) {
        ctx.addIssue({ code: 'custom', message: `key id "${kid}" appears twice` });
        return z.NEVER;
      }
      keys.push({ kid, key });
    }
    if (keys.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must list at least one kid:base64 key' });
      return z.NEVER;
    }
    return keys;
  })
  .meta({ type: 'list of kid:base64 keys (comma-separated)' });

export const configSchema = z
  .object({
    node_env: z
      .enum(['development', 'production', 'test'])
      .default('development')
      .describe(
        'Runtime mode; production turns development conveniences (mock Google, generated secrets, embedded storage) into start-up errors',
      ),
    data_dir: z
      .string()
      .min(1)
      .default('./data')
      .describe('Directory for the embedded database and development key files'),
    server: z
      .object({
        host: z.string().min(1).default('0.0.0.0').describe('Address the HTTP server listens on'),
        port: int(0, 65535).default(8000).describe('Port the HTTP server listens on'),
        public_url: httpUrl
          .optional()
          .describe(
            'External base URL and token issuer (iss); https in production (http only on a loopback host). Default http://localhost:<port>',
          ),
        log_level: z
          .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
          .default('info')
          .describe('Log level'),
        trust_proxy: trustProxySchema
          .default(false)
          .describe(
            'Whose X-Forwarded-For is believed: false, a hop count, or a comma-separated list of proxy addresses/CIDRs; true (everyone) is refused in production',
          ),
        body_limit_bytes: int(1024, 10 * 1024 * 1024)
          .default(65536)
          .describe('Largest request body accepted, in bytes'),
        metrics_port: int(1, 65535)
          .optional()
          .describe(
            'Serve /metrics without credentials on this port (and not on port); unset = /metrics on the main port with a credential',
          ),
        // Where metrics_port listens: loopback unless an operator opens it on purpose.
        metrics_host: z
          .string()
          .min(1)
          .default('127.0.0.1')
          .describe('Address metrics_port listens on: loopback unless opened on purpose'),
        drain_timeout_ms: int(0, 600_000)
          .default(10_000)
          .describe('On SIGTERM, the longest wait for in-flight requests before closing'),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
          // Said here, at start: otherwise node-postgres fails on every connect and the
          // server reports "database unavailable". The value is never echoed (it may hold a password).
          .refine(
            isParsableUrl,
            'cannot be parsed as a URL (check the port, and percent-encode @ : / # in the password)',
          )
          .optional()
          .describe(
            'Postgres connection string (postgres://); unset with no host = embedded PGlite under data_dir (refused in production unless embedded_in_production)',
          ),
        host: z
          .string()
          .min(1)
          .optional()
          .describe('Postgres host, when the connection is given in parts instead of url'),
        port: int(1, 65535).default(5432).describe('Postgres port, with host'),
        user: z.string().min(1).optional().describe('Postgres user, with host'),
        password: z.string().optional().describe('Postgres password, with host'),
        name: z.string().min(1).optional().describe('Postgres database name, with host (default gatehouse)'),
        pool_max: int(1, 1000).default(10).describe('Most Postgres connections per instance'),
        migrate_on_start: bool
          .default(true)
          .describe('Apply pending migrations at start (safe with several instances starting at once)'),
        statement_timeout_ms: int(0, 600_000)
          .default(5000)
          .describe('Statement timeout, set per transaction (SET LOCAL); 0 = none'),
        // Production refuses embedded PGlite (data in a container without a volume vanishes on
        // restart) unless this says it is meant.
        embedded_in_production: bool
          .default(false)
          .describe('Allow embedded PGlite with NODE_ENV=production (its files must live on a persistent volume)'),
        prepared_statements: bool
          .default(true)
          .describe('Named server-side prepared statements; false behind PgBouncer in transaction mode'),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        // One check, so a bad URL is one line: parseRedisUrl knows every accepted form.
        url: z
          .string()
          .superRefine((url, ctx) => {
            try {
              parseRedisUrl(url);
            } catch (err) {
              ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^REDIS_URL:? ?/, '') });
            }
          })
          .optional()
          .describe(
            'Redis: redis://, rediss://, redis+cluster:// or redis+sentinel://; unset = in-process cache (one instance only)',
          ),
        key_prefix: z
          .string()
          .max(64)
          .default('gh:')
          .describe('Prefix of every Redis key, so several deployments can share one Redis'),
      })
      .strict()
      .prefault({}),
    security: z
      .object({
        jwt_algorithm: z
          .enum(['ES256', 'EdDSA', 'RS256', 'HS256'])
          .default('ES256')
          .describe('Access-token signing algorithm (HS256 needs secrets.jwt_secret and is refused in production)'),
        id_token_algorithm: z
          .enum(['RS256', 'ES256', 'EdDSA'])
          .default('RS256')
          .describe('Default ID-token signing algorithm (a client may register id_token_signed_response_alg)'),
        access_token_expiry_minutes: int(1, 24 * 60)
          .default(10)
          .describe('Access-token lifetime in minutes'),
        access_token_audience: z.string().min(1).optional().describe('aud of access tokens; default public_url'),
        refresh_token_expiry_days: int(1, 3650).default(30).describe('Refresh-token lifetime in days'),
        authorization_code_ttl_seconds: int(5, 600).default(60).describe('Authorization-code lifetime in seconds'),
        refresh_token_rotation: bool
          .default(true)
          .describe('Issue a new refresh token on every refresh (reuse of a rotated one revokes its family)'),
        refresh_token_grace_seconds: int(0, 300)
          .default(0)
          .describe('How long a just-rotated refresh token may still be used once (for clients that retry)'),
        session_days: int(1, 365).default(14).describe('Longest browser-session lifetime in days'),
        session_idle_hours: int(1, 24 * 365)
          .default(72)
          .describe('A browser session unused this many hours ends'),
        max_concurrent_hashes: int(1, 1024)
          .optional()
          .describe('argon2 verifications at once; unset = 2 x CPUs. At most 100 more wait; beyond that, 503'),
      })
      .strict()
      .prefault({}),
    google: z
      .object({
        client_id: z
          .string()
          .min(1)
          .optional()
          .describe('Google OAuth client id; unset outside production = the built-in mock Google under /_dev/google'),
        client_secret: z
          .string()
          .min(1)
          .optional()
          .describe('Google OAuth client secret (set together with client_id)'),
        auth_url: httpUrl.default(`${GOOGLE}/o/oauth2/v2/auth`).describe('Google authorization endpoint'),
        token_url: httpUrl.default('https://oauth2.googleapis.com/token').describe('Google token endpoint'),
        userinfo_url: httpUrl
          .default('https://openidconnect.googleapis.com/v1/userinfo')
          .describe('Google userinfo endpoint'),
        tokeninfo_url: httpUrl.default('https://oauth2.googleapis.com/tokeninfo').describe('Google tokeninfo endpoint'),
        jwks_url: httpUrl
          .default('https://www.googleapis.com/oauth2/v3/certs')
          .describe("Google's JWKS, for ID-token signatures"),
        revoke_url: httpUrl.default('https://oauth2.googleapis.com/revoke').describe('Google revocation endpoint'),
        issuer: z.string().min(1).default(GOOGLE).describe('Expected iss of Google ID tokens'),
        scopes: spaceList
          .default([])
          .describe('Google scopes asked for beyond openid email profile (space- or comma-separated)'),
        refresh_skew_seconds: int(0, 3600)
          .default(120)
          .describe('The broker refreshes a Google access token first when it expires within this many seconds'),
        request_timeout_ms: int(100, 60_000).default(5000).describe('Timeout of one call to Google'),
        login_client_id: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,64}$/)
          .default('gatehouse')
          .describe('Client id recorded for sign-ins through /api/login'),
        allowed_audiences: spaceList
          .default([])
          .describe('Other Google client ids of this product whose tokens /api/login accepts'),
        proactive_refresh: bool
          .default(true)
          .describe('Run the background worker that refreshes Google access tokens before anyone asks'),
        proactive_refresh_interval_seconds: int(1, 86_400)
          .default(60)
          .describe('How often the proactive refresh worker runs'),
        proactive_refresh_minutes: int(1, 24 * 60)
          .default(10)
          .describe('The worker refreshes access tokens expiring within this many minutes\u2026'),
        proactive_refresh_window_days: int(1, 3650)
          .default(7)
          .describe(
            '\u2026of credentials served (broker, token exchange) or signed in with within this many days\u2026',
          ),
        proactive_refresh_per_minute: int(1, 100_000)
          .default(60)
          .describe('\u2026with at most this many Google calls in any rolling minute across all instances'),
        drop_unused_after_days: int(1, 36500)
          .optional()
          .describe(
            'Unset = keep; else the janitor revokes at Google and deletes credentials nobody used, refreshed or re-granted for this many days',
          ),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({
        // People whose verified Google email is listed may use /admin (comma-separated in
        // ADMIN_EMAILS, compared case-insensitively). Empty: nobody, except in dev mode, where
        // every person the mock Google signs in is an admin.
        emails: z
          .preprocess(
            (v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v),
            z.array(
              z
                .email()
                .max(320)
                .transform((e) => e.toLowerCase()),
            ),
          )
          .default([])
          .describe(
            'People whose verified Google email is listed may use the /admin console (comma-separated in the environment); empty: nobody, except in dev mode, where every person the mock Google signs in is an admin',
          ),
        // An admin idle this long signs in again with Google before the console answers.
        session_minutes: int(1, 24 * 60)
          .default(60)
          .describe('An admin idle this many minutes signs in again with Google before the console answers'),
      })
      .strict()
      .prefault({}),
    audit: z
      .object({
        file: z.string().min(1).default('logs/login.log').describe('Audit log file (JSON lines)'),
        retention_days: int(1, 36500).default(90).describe('The janitor deletes audit rows older than this'),
      })
      .strict()
      .prefault({}),
    janitor: z
      .object({
        interval_seconds: int(0, 86_400)
          .default(300)
          .describe('One clean-up pass per instance this often (the first after a random delay); 0 = off'),
      })
      .strict()
      .prefault({}),
    webhooks: z
      .object({
        poll_interval_ms: int(0, 60_000)
          .default(1000)
          .describe('How often each instance looks for due webhook deliveries; 0 = this instance delivers none'),
        timeout_ms: int(100, 60_000).default(10_000).describe('One delivery attempt, connect to last byte'),
        max_response_bytes: int(0, 1024 * 1024)
          .default(4096)
          .describe("Read at most this much of a receiver's answer (never kept)"),
        concurrency: int(1, 256).default(16).describe('Deliveries in flight per instance'),
        retry_seconds: z
          .preprocess(
            (v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v),
            z.array(int(1, 86_400)).min(1),
          )
          .default([10, 30, 120, 600, 3600])
          .describe(
            'Waits after the 1st, 2nd, \u2026 failed attempt (comma-separated); the last repeats until give_up_after_seconds',
          ),
        give_up_after_seconds: int(1, 30 * 86_400)
          .default(86_400)
          .describe('No delivery attempt later than this after the event'),
        delivery_retention_days: int(1, 36500)
          .default(30)
          .describe(
            'The janitor deletes deliveries this long after they were delivered or given up, then the events no delivery refers to',
          ),
      })
      .strict()
      .prefault({}),
    secrets: z
      .object({
        admin_key: z
          .string()
          .min(32, 'must be at least 32 characters')
          .optional()
          .describe('X-Admin-Key secret, at least 32 characters (required in production; generated in development)'),
        encryption_keys: encryptionKeys
          .optional()
          .describe(
            'kid:base64(32 bytes) keys, comma-separated, the first active; encrypt Google tokens and signing keys (required in production; generated in development)',
          ),
        jwt_secret: z
          .string()
          .min(32, 'must be at least 32 characters')
          .optional()
          .describe('HS256 signing secret, at least 32 characters (only with security.jwt_algorithm HS256)'),
        metrics_token: z
          .string()
          .min(32, 'must be at least 32 characters')
          .optional()
          .describe('Bearer token that reads /metrics and nothing else, at least 32 characters'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine(
    (c, ctx) => {
      const production = c.node_env === 'production';
      // Runs even when fields failed (see `when` below), so one start reports every bad value;
      // a key that already failed its own check gets no second line.
      const failed = new Set(ctx.issues.map((i) => i.path?.join('.')));
      const need = (path: string[], message: string) => {
        if (!failed.has(path.join('.'))) ctx.addIssue({ code: 'custom', path, message });
      };
      if (Boolean(c.google.client_id) !== Boolean(c.google.client_secret)) {
        need(
          ['google', c.google.client_id ? 'client_secret' : 'client_id'],
          'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together',
        );
      }
      if (c.security.jwt_algorithm === 'HS256' && !c.secrets.jwt_secret) {
        need(['secrets', 'jwt_secret'], 'is required when security.jwt_algorithm is HS256');
      }
      if (!production) return;
      // HS256 signs with a shared secret: relying parties cannot verify it without holding it.
      if (c.security.jwt_algorithm === 'HS256')
        need(['security', 'jwt_algorithm'], 'HS256 is refused in production (use ES256, EdDSA or RS256)');
      if (!c.secrets.admin_key) need(['secrets', 'admin_key'], 'is required in production');
      if (!c.secrets.encryption_keys) need(['secrets', 'encryption_keys'], 'is required in production');
      if (!c.google.client_id) need(['google', 'client_id'], 'is required in production (the mock Google is dev-only)');
      if (c.server.public_url && URL.canParse(c.server.public_url) && !isSecureOrLoopback(c.server.public_url)) {
        need(['server', 'public_url'], 'must be https in production (http only on 127.0.0.1, [::1] or localhost)');
      }
      if (!c.server.public_url) need(['server', 'public_url'], 'is required in production');
      if (!c.database.url && !c.database.host && !c.database.embedded_in_production) {
        need(
          ['database', 'url'],
          'is required in production (or DB_HOST and the other DB_* parts); set database.embedded_in_production: true to run on embedded PGlite',
        );
      }
      if (c.server.trust_proxy === true) {
        need(
          ['server', 'trust_proxy'],
          'true (trust every address) is refused in production: give a hop count or the proxy addresses/CIDRs',
        );
      }
    },
    { when: (payload) => sectionsPresent(payload.value) },
  );

/** The sections the cross-field checks read; one that is not a mapping has already failed. */
function sectionsPresent(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const sections = ['server', 'database', 'security', 'google', 'secrets'];
  return sections.every(
    (k) => typeof (value as Record<string, unknown>)[k] === 'object' && (value as Record<string, unknown>)[k] !== null,
  );
}

type Parsed = z.output<typeof configSchema>;

export type Config = Parsed & {
  /** External base URL without a trailing slash; the token issuer. */
  public_url: string;
  /** Postgres connection string, or undefined for embedded PGlite. */
  database_url: string | undefined;
  /** Mock Google mounted under /_dev/google: no GOOGLE_CLIENT_ID outside production. */
  dev_mode: boolean;
};

function isParsableUrl(url: string): boolean {
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]' || hostname === '::1';
}

export function isSecureOrLoopback(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
}
