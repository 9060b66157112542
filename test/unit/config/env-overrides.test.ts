import { describe, expect, it } from 'vitest';
import { describeSettings } from '../../../src/config/describe-settings.js';
import { loadConfig } from '../../../src/config/load.js';
import { configFailure } from '../../helpers/config.js';

/** The value a setting has in a loaded config, by its dotted path. */
function valueAt(config: object, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
}

describe('GATEHOUSE_<SECTION>__<KEY> overrides', () => {
  it('sets any config.yml key, nested under its section, and wins over config.yml', () => {
    const c = loadConfig(
      {
        GATEHOUSE_GOOGLE__PROACTIVE_REFRESH_MINUTES: '1',
        GATEHOUSE_DATABASE__PREPARED_STATEMENTS: 'false',
        GATEHOUSE_WEBHOOKS__RETRY_SECONDS: '5, 60,600',
        GATEHOUSE_SECURITY__JWT_ALGORITHM: 'EdDSA',
        GATEHOUSE_DATA_DIR: '/var/lib/gatehouse',
      },
      { google: { proactive_refresh_minutes: 30, refresh_skew_seconds: 90 }, database: { prepared_statements: true } },
    );
    expect(c.google.proactive_refresh_minutes).toBe(1);
    expect(c.google.refresh_skew_seconds).toBe(90);
    expect(c.database.prepared_statements).toBe(false);
    expect(c.webhooks.retry_seconds).toEqual([5, 60, 600]);
    expect(c.security.jwt_algorithm).toBe('EdDSA');
    expect(c.data_dir).toBe('/var/lib/gatehouse');
  });

  it('loses to the documented variable for the same setting, whatever the order of the environment', () => {
    const generic = { GATEHOUSE_SERVER__PORT: '7000', GATEHOUSE_GOOGLE__PROACTIVE_REFRESH_PER_MINUTE: '5' };
    const documented = { PORT: '9001', GOOGLE_PROACTIVE_REFRESH_PER_MINUTE: '7' };
    for (const env of [
      { ...generic, ...documented },
      { ...documented, ...generic },
    ]) {
      const c = loadConfig(env, { server: { port: 6000 } });
      expect(c.server.port).toBe(9001);
      expect(c.google.proactive_refresh_per_minute).toBe(7);
    }
    expect(loadConfig({ GATEHOUSE_SERVER__PORT: '7000' }, { server: { port: 6000 } }).server.port).toBe(7000);
  });

  it('ignores an empty value, as for the documented variables', () => {
    expect(loadConfig({ GATEHOUSE_SERVER__PORT: '' }, { server: { port: 6000 } }).server.port).toBe(6000);
  });

  it('coerces every setting from its string form through the same schema', () => {
    // Each setting's default, written as a variable would carry it, must load back unchanged.
    for (const s of describeSettings()) {
      if (s.default === undefined) continue;
      const text = Array.isArray(s.default) ? s.default.join(',') : JSON.stringify(s.default).replace(/^"|"$/g, '');
      if (text === '') continue;
      const generic = s.env.at(-1) ?? '';
      expect(valueAt(loadConfig({ [generic]: text }), s.path), generic).toEqual(s.default);
    }
    const c = loadConfig({
      GATEHOUSE_SERVER__TRUST_PROXY: '2',
      GATEHOUSE_GOOGLE__ALLOWED_AUDIENCES: 'a.apps.googleusercontent.com,b.apps.googleusercontent.com',
      GATEHOUSE_DATABASE__MIGRATE_ON_START: 'off',
      GATEHOUSE_SECURITY__MAX_CONCURRENT_HASHES: '8',
    });
    expect(c.server.trust_proxy).toBe(2);
    expect(c.google.allowed_audiences).toEqual(['a.apps.googleusercontent.com', 'b.apps.googleusercontent.com']);
    expect(c.database.migrate_on_start).toBe(false);
    expect(c.security.max_concurrent_hashes).toBe(8);
  });

  it('sets secrets, parsed as their documented variables are', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const c = loadConfig({
      GATEHOUSE_SECRETS__ENCRYPTION_KEYS: `k9:${key}`,
      GATEHOUSE_SECRETS__ADMIN_KEY: 'a'.repeat(40),
    });
    expect(c.secrets.encryption_keys?.map((k) => k.kid)).toEqual(['k9']);
    expect(c.secrets.admin_key).toBe('a'.repeat(40));
  });

  it('names the generic variable in a bad value’s line, and the documented one when that set it', () => {
    expect(configFailure({ GATEHOUSE_GOOGLE__PROACTIVE_REFRESH_MINUTES: 'soon' })).toMatch(
      /^Invalid configuration: google\.proactive_refresh_minutes \(GATEHOUSE_GOOGLE__PROACTIVE_REFRESH_MINUTES\): /,
    );
    expect(configFailure({ GATEHOUSE_WEBHOOKS__RETRY_SECONDS: '10,0' })).toMatch(
      /^Invalid configuration: webhooks\.retry_seconds\.1 \(GATEHOUSE_WEBHOOKS__RETRY_SECONDS\): /,
    );
    expect(configFailure({ GATEHOUSE_SERVER__PORT: '1', PORT: 'x' })).toMatch(/server\.port \(PORT\)/);
    expect(configFailure({ GATEHOUSE_SERVER__PORT: 'x' })).toMatch(/server\.port \(GATEHOUSE_SERVER__PORT\)/);
  });

  it('reports unknown GATEHOUSE_* names with the bad values, all at once, one line each', () => {
    const message = configFailure({
      GATEHOUSE_GOOGLE_PROACTIVE_REFRESH_MINUTES: '5',
      GATEHOUSE_SEVER__PORT: '80',
      GATEHOUSE_SERVER: 'x',
      GATEHOUSE_SERVER__PORT: 'eighty',
      GATEHOUSE_SECURITY__JWT_ALGORITHM: 'none',
    });
    expect(message.split('\n').sort()).toEqual(
      [
        'Invalid configuration: GATEHOUSE_GOOGLE_PROACTIVE_REFRESH_MINUTES: is not a setting (did you mean GATEHOUSE_GOOGLE__PROACTIVE_REFRESH_MINUTES?)',
        'Invalid configuration: GATEHOUSE_SEVER__PORT: is not a setting',
        'Invalid configuration: GATEHOUSE_SERVER: is not a setting',
        'Invalid configuration: server.port (GATEHOUSE_SERVER__PORT): Invalid input: expected number, received NaN',
        'Invalid configuration: security.jwt_algorithm (GATEHOUSE_SECURITY__JWT_ALGORITHM): Invalid option: expected one of "ES256"|"EdDSA"|"RS256"|"HS256"',
      ].sort(),
    );
  });

  it('reports an unknown name even when every value is good, and even when it is empty', () => {
    expect(configFailure({ GATEHOUSE_JANITOR__INTERVAL: '' })).toBe(
      'Invalid configuration: GATEHOUSE_JANITOR__INTERVAL: is not a setting',
    );
  });

  it('leaves the GATEHOUSE_* names that are no settings alone (config path, test harness, SDK examples)', () => {
    const c = loadConfig({
      GATEHOUSE_CONFIG: 'other.yml',
      GATEHOUSE_REQUIRE_REAL_BACKENDS: '1',
      GATEHOUSE_SERVER_CMD: 'node dist/main.js',
      GATEHOUSE_URL: 'http://127.0.0.1:8000',
      GATEHOUSE_CLIENT_ID: 'my-game',
    });
    expect(c.server.port).toBe(8000);
  });
});
