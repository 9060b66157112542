/**
 * Environment variables and the config path each overrides: the documented names, which win
 * over the generic GATEHOUSE_<SECTION>__<KEY> form of the same setting.
 */
export const ENV_MAP: Record<string, string[]> = {
  NODE_ENV: ['node_env'],
  DATA_DIR: ['data_dir'],
  PORT: ['server', 'port'],
  HOST: ['server', 'host'],
  PUBLIC_URL: ['server', 'public_url'],
  LOG_LEVEL: ['server', 'log_level'],
  TRUST_PROXY: ['server', 'trust_proxy'],
  METRICS_PORT: ['server', 'metrics_port'],
  METRICS_HOST: ['server', 'metrics_host'],
  METRICS_TOKEN: ['secrets', 'metrics_token'],
  DATABASE_URL: ['database', 'url'],
  DB_HOST: ['database', 'host'],
  DB_PORT: ['database', 'port'],
  DB_USER: ['database', 'user'],
  DB_PASSWORD: ['database', 'password'],
  DB_NAME: ['database', 'name'],
  REDIS_URL: ['redis', 'url'],
  REDIS_KEY_PREFIX: ['redis', 'key_prefix'],
  ADMIN_KEY: ['secrets', 'admin_key'],
  ADMIN_EMAILS: ['admin', 'emails'],
  ADMIN_SESSION_MINUTES: ['admin', 'session_minutes'],
  ENCRYPTION_KEYS: ['secrets', 'encryption_keys'],
  JWT_SECRET: ['secrets', 'jwt_secret'],
  GOOGLE_CLIENT_ID: ['google', 'client_id'],
  GOOGLE_CLIENT_SECRET: ['google', 'client_secret'],
  GOOGLE_AUTH_URL: ['google', 'auth_url'],
  GOOGLE_TOKEN_URL: ['google', 'token_url'],
  GOOGLE_USERINFO_URL: ['google', 'userinfo_url'],
  GOOGLE_TOKENINFO_URL: ['google', 'tokeninfo_url'],
  GOOGLE_JWKS_URL: ['google', 'jwks_url'],
  GOOGLE_REVOKE_URL: ['google', 'revoke_url'],
  GOOGLE_ISSUER: ['google', 'issuer'],
  GOOGLE_SCOPES: ['google', 'scopes'],
  GOOGLE_PROACTIVE_REFRESH: ['google', 'proactive_refresh'],
  GOOGLE_PROACTIVE_REFRESH_INTERVAL_SECONDS: ['google', 'proactive_refresh_interval_seconds'],
  GOOGLE_PROACTIVE_REFRESH_MINUTES: ['google', 'proactive_refresh_minutes'],
  GOOGLE_PROACTIVE_REFRESH_WINDOW_DAYS: ['google', 'proactive_refresh_window_days'],
  GOOGLE_PROACTIVE_REFRESH_PER_MINUTE: ['google', 'proactive_refresh_per_minute'],
};

export const GENERIC_ENV_PREFIX = 'GATEHOUSE_';

/**
 * GATEHOUSE_* variables that are not settings: the config file's path, and names read by the
 * test harnesses and SDK examples, which often share a shell with the server. Any other
 * GATEHOUSE_* name that is no setting is a typo and stops the start.
 */
export const NON_SETTING_ENV = new Set([
  'GATEHOUSE_CONFIG',
  'GATEHOUSE_REQUIRE_REAL_BACKENDS',
  'GATEHOUSE_SERVER_CMD',
  'GATEHOUSE_URL',
  'GATEHOUSE_CLIENT_ID',
  'GATEHOUSE_ADMIN_KEY',
  'GATEHOUSE_ACCESS_TOKEN',
]);

/** `google.proactive_refresh_minutes` → `GATEHOUSE_GOOGLE__PROACTIVE_REFRESH_MINUTES`. */
export function genericEnvName(path: readonly string[]): string {
  return GENERIC_ENV_PREFIX + path.map((key) => key.toUpperCase()).join('__');
}

/** The documented variable for a config path, if it has one. */
export function envNameFor(path: readonly PropertyKey[]): string | undefined {
  const key = path.join('.');
  return Object.keys(ENV_MAP).find((name) => ENV_MAP[name]!.join('.') === key);
}
