import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { configFailure, key32, prodEnv } from '../../helpers/config.js';

describe('loadConfig', () => {
  it('applies the documented defaults with nothing configured', () => {
    const c = loadConfig({});
    expect(c.server.port).toBe(8000);
    expect(c.server.host).toBe('0.0.0.0');
    expect(c.public_url).toBe('http://localhost:8000');
    expect(c.database_url).toBeUndefined();
    expect(c.redis.url).toBeUndefined();
    expect(c.redis.key_prefix).toBe('gh:');
    expect(c.data_dir).toBe('./data');
    expect(c.security).toMatchObject({
      jwt_algorithm: 'ES256',
      access_token_expiry_minutes: 10,
      refresh_token_expiry_days: 30,
      authorization_code_ttl_seconds: 60,
      refresh_token_rotation: true,
      refresh_token_grace_seconds: 0,
      session_days: 14,
    });
    expect(c.google).toMatchObject({
      refresh_skew_seconds: 120,
      request_timeout_ms: 5000,
      scopes: [],
      login_client_id: 'gatehouse',
    });
    expect(c.server.body_limit_bytes).toBe(65536);
    expect(c.audit.file).toBe('logs/login.log');
    expect(c.audit.retention_days).toBe(90);
    expect(c.janitor.interval_seconds).toBe(300);
    expect(c.google.drop_unused_after_days).toBeUndefined();
    expect(c.database.migrate_on_start).toBe(true);
    expect(c.database.prepared_statements).toBe(true);
    expect(c.dev_mode).toBe(true);
  });

  it('lets environment variables override config.yml', () => {
    const c = loadConfig(
      { PORT: '9001', GOOGLE_SCOPES: 'https://www.googleapis.com/auth/drive.readonly  email', REDIS_KEY_PREFIX: 'x:' },
      { server: { port: 7000, log_level: 'warn' }, security: { access_token_expiry_minutes: 5 } },
    );
    expect(c.server.port).toBe(9001);
    expect(c.server.log_level).toBe('warn');
    expect(c.security.access_token_expiry_minutes).toBe(5);
    expect(c.google.scopes).toEqual(['https://www.googleapis.com/auth/drive.readonly', 'email']);
    expect(c.redis.key_prefix).toBe('x:');
    expect(c.public_url).toBe('http://localhost:9001');
  });

  it('builds the database URL from DB_* parts', () => {
    const c = loadConfig({ DB_HOST: 'db', DB_USER: 'gh', DB_PASSWORD: 'p@ss', DB_NAME: 'auth' });
    expect(c.database_url).toBe('postgres://gh:p%40ss@db:5432/auth');
  });

  it('parses ENCRYPTION_KEYS with the first key active', () => {
    const c = loadConfig({ ENCRYPTION_KEYS: `new:${key32}, old:${Buffer.alloc(32, 2).toString('base64')}` });
    expect(c.secrets.encryption_keys?.map((k) => k.kid)).toEqual(['new', 'old']);
    expect(c.secrets.encryption_keys?.[0]?.key.length).toBe(32);
  });

  it.each([
    [{ PORT: 'eighty' }, {}, /^Invalid configuration: server\.port \(PORT\): /],
    [{ PORT: '70000' }, {}, /server\.port \(PORT\)/],
    [{ LOG_LEVEL: 'loud' }, {}, /server\.log_level \(LOG_LEVEL\)/],
    [{ DATABASE_URL: 'mysql://x' }, {}, /database\.url \(DATABASE_URL\): must be a postgres/],
    [
      { DATABASE_URL: 'postgres://db.internal:five432/gatehouse' },
      {},
      /database\.url \(DATABASE_URL\): cannot be parsed as a URL/,
    ],
    [
      { DATABASE_URL: 'postgres://gh:s3cret@[::1/gatehouse' },
      {},
      /database\.url \(DATABASE_URL\): cannot be parsed as a URL/,
    ],
    [{ REDIS_URL: 'http://x' }, {}, /redis\.url \(REDIS_URL\)/],
    [{ ADMIN_KEY: 'short' }, {}, /secrets\.admin_key \(ADMIN_KEY\): must be at least 32/],
    [
      { ENCRYPTION_KEYS: 'k1:dG9vc2hvcnQ=' },
      {},
      /secrets\.encryption_keys \(ENCRYPTION_KEYS\): key "k1" must decode to exactly 32 bytes/,
    ],
    [{ ENCRYPTION_KEYS: key32 }, {}, /ENCRYPTION_KEYS.*kid:base64/],
    [{ PUBLIC_URL: 'ftp://x' }, {}, /server\.public_url \(PUBLIC_URL\)/],
    [{ GOOGLE_CLIENT_ID: 'x' }, {}, /google\.client_secret.*set together/],
    [{}, { security: { jwt_algorithm: 'none' } }, /security\.jwt_algorithm/],
    [{}, { security: { jwt_algorithm: 'HS256' } }, /secrets\.jwt_secret \(JWT_SECRET\): is required when/],
    [{}, { server: { body_limit: 5 } }, /server: Unrecognized key/],
    [{}, { sever: {} }, /Unrecognized key.*sever/],
    [{}, { database: { migrate_on_start: 'maybe' } }, /database\.migrate_on_start/],
    [{}, { google: { drop_unused_after_days: 0 } }, /google\.drop_unused_after_days/],
    [{}, { janitor: { interval_seconds: -1 } }, /janitor\.interval_seconds/],
  ])('rejects %j / %j with one line naming the key', (env, file, pattern) => {
    const message = configFailure(env, file);
    expect(message).toMatch(pattern);
    expect(message).not.toContain('\n');
  });

  it('never repeats a DATABASE_URL it cannot parse (it may hold a password)', () => {
    expect(configFailure({ DATABASE_URL: 'postgres://gh:s3cret@db:port/gatehouse' }, {})).not.toContain('s3cret');
  });

  it('rejects a config.yml that is not a mapping', () => {
    expect(configFailure({}, ['a'])).toBe('Invalid configuration: config.yml must be a mapping of sections');
  });

  it('serves server.metrics_port on loopback unless metrics_host says otherwise; METRICS_TOKEN is at least 32 characters', () => {
    expect(loadConfig({ METRICS_PORT: '9464' }).server.metrics_host).toBe('127.0.0.1');
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' }).server.metrics_host).toBe('10.0.0.5');
    expect(loadConfig({ METRICS_TOKEN: 't'.repeat(32) }).secrets.metrics_token).toBe('t'.repeat(32));
    expect(configFailure({ METRICS_TOKEN: 'short' })).toBe(
      'Invalid configuration: secrets.metrics_token (METRICS_TOKEN): must be at least 32 characters',
    );
  });

  describe('production', () => {
    it('accepts a complete production configuration and turns dev mode off', () => {
      const c = loadConfig(prodEnv);
      expect(c.dev_mode).toBe(false);
      expect(c.public_url).toBe('https://auth.example.com');
    });

    it('allows http on a loopback PUBLIC_URL', () => {
      for (const url of ['http://127.0.0.1:8000', 'http://localhost:8000', 'http://[::1]:8000']) {
        expect(loadConfig({ ...prodEnv, PUBLIC_URL: url }).public_url).toBe(url);
      }
    });

    it.each([
      ['ADMIN_KEY', /secrets\.admin_key \(ADMIN_KEY\): is required in production/],
      ['ENCRYPTION_KEYS', /secrets\.encryption_keys \(ENCRYPTION_KEYS\): is required in production/],
      ['GOOGLE_CLIENT_ID', /google\.client_id \(GOOGLE_CLIENT_ID\)/],
      ['PUBLIC_URL', /server\.public_url \(PUBLIC_URL\): is required in production/],
    ])('refuses to start without %s', (missing, pattern) => {
      const env: Record<string, string> = { ...prodEnv };
      delete env[missing];
      if (missing === 'GOOGLE_CLIENT_ID') delete env.GOOGLE_CLIENT_SECRET;
      expect(configFailure(env)).toMatch(pattern);
    });

    // HS256 signs with the server's own secret: relying parties cannot verify such tokens.
    it('refuses security.jwt_algorithm HS256 in production, and allows it outside', () => {
      const hs = { security: { jwt_algorithm: 'HS256' } };
      expect(configFailure({ ...prodEnv, JWT_SECRET: 's'.repeat(32) }, hs)).toMatch(
        /security\.jwt_algorithm.*HS256 is refused in production/,
      );
      const dev = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 's'.repeat(32) }, hs);
      expect(dev.security.jwt_algorithm).toBe('HS256');
      expect(dev.security.id_token_algorithm).toBe('RS256');
    });

    it('refuses embedded storage: without DATABASE_URL or DB_* the start fails with one line naming the setting', () => {
      const { DATABASE_URL: _, ...env } = prodEnv;
      expect(configFailure(env)).toBe(
        'Invalid configuration: database.url (DATABASE_URL): is required in production (or DB_HOST and the other DB_* parts); set database.embedded_in_production: true to run on embedded PGlite',
      );
      expect(loadConfig({ ...env, DB_HOST: 'db.internal', DB_USER: 'gatehouse' }).database_url).toBe(
        'postgres://gatehouse@db.internal:5432/gatehouse',
      );
      const embedded = loadConfig(env, { database: { embedded_in_production: true } });
      expect(embedded.database_url).toBeUndefined();
    });

    it('reports every bad value at once, one line each', () => {
      const message = configFailure(
        { NODE_ENV: 'production', PORT: 'abc', PUBLIC_URL: 'http://auth.example.com' },
        { security: { session_days: 0 } },
      );
      expect(message.split('\n').sort()).toEqual(
        [
          'Invalid configuration: database.url (DATABASE_URL): is required in production (or DB_HOST and the other DB_* parts); set database.embedded_in_production: true to run on embedded PGlite',
          'Invalid configuration: google.client_id (GOOGLE_CLIENT_ID): is required in production (the mock Google is dev-only)',
          'Invalid configuration: secrets.admin_key (ADMIN_KEY): is required in production',
          'Invalid configuration: secrets.encryption_keys (ENCRYPTION_KEYS): is required in production',
          'Invalid configuration: server.port (PORT): Invalid input: expected number, received NaN',
          'Invalid configuration: server.public_url (PUBLIC_URL): must be https in production (http only on 127.0.0.1, [::1] or localhost)',
          'Invalid configuration: security.session_days: Too small: expected number to be >=1',
        ].sort(),
      );
    });

    it('refuses plain http on a public host', () => {
      expect(configFailure({ ...prodEnv, PUBLIC_URL: 'http://auth.example.com' })).toMatch(
        /server\.public_url.*must be https/,
      );
    });
  });
});
