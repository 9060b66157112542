/**
 * What must never reach a log line or a stored audit detail: fields are matched by name at any
 * depth, query strings by parameter name pattern.
 */
const SECRET_FIELDS = [
  'authorization', 'cookie', 'set-cookie', 'x-admin-key', 'password', 'secret', 'client_secret',
  'token', 'access_token', 'refresh_token', 'id_token', 'code', 'authorization_code',
  'code_verifier', 'api_key', 'apiKey', 'admin_key', 'adminKey', 'session', 'csrf', 'csrf_token',
  'state', 'nonce', 'assertion', 'subject_token', 'new_secret', 'private_key', 'ciphertext',
];

const SECRET_PARAM = /token|secret|code|password|api_?key|session|assertion|verifier|state|nonce|csrf/i;

const SECRET_NAMES = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()));
/**
 * Field names that end like a secret (`new_client_secret`, `google_refresh_token`, `key_hash`),
 * without catching descriptive names such as `token_endpoint_auth_method` or `status_code`.
 */
const SECRET_SUFFIX = /(^|[_-])(secret|password|passwd|token|api_?key|admin_?key|private_?key|verifier|cookie|assertion|ciphertext|hash|auth_code|device_code|user_code)$/i;
const MAX_DEPTH = 6;
/** Log objects nest deeper than audit details (errors with causes, request snapshots). */
const LOG_MAX_DEPTH = 10;

/** Log objects repeat the same few field names: remember each verdict (bounded, never evicted singly). */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 4096;

export function isSecretFieldName(name: string): boolean {
  let secret = verdicts.get(name);
  if (secret === undefined) {
    secret = SECRET_NAMES.has(name.toLowerCase()) || SECRET_SUFFIX.test(name);
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(name, secret);
  }
  return secret;
}

export const CENSOR = '[REDACTED]';

/**
 * A log object with every secret-named field masked, at any depth, the way JSON.stringify would
 * see it (own enumerable fields, toJSON honoured). Nothing is mutated: unchanged branches are
 * returned as they are and changed ones are copied, so the common case allocates nothing.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= LOG_MAX_DEPTH) return '[TRUNCATED]';
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return redactSecrets(toJSON.call(value), depth);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const masked = redactSecrets(value[i], depth + 1);
      if (masked !== value[i]) (out ??= value.slice())[i] = masked;
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const v = record[key];
    const masked = redactField(key, v, depth + 1);
    if (masked !== v) (out ??= { ...record })[key] = masked;
  }
  return out ?? value;
}

/** One field of a logged object: masked whole when its name is a secret's, else walked. */
export function redactField(name: string, value: unknown, depth = 1): unknown {
  if (isSecretFieldName(name)) return value === undefined ? value : CENSOR;
  return redactSecrets(value, depth);
}

/** Error codes (ECONNREFUSED, 57P01, FST_ERR_…) are not OAuth codes: operators need them. */
const ERROR_CODE = /^[A-Z0-9_]{2,64}$/;

/** An error as pino serialises it, with secret-named fields masked but its error code kept. */
export function redactError(serialized: unknown): unknown {
  if (serialized === null || typeof serialized !== 'object') return serialized;
  const code = (serialized as { code?: unknown }).code;
  const masked = redactSecrets(serialized) as Record<string, unknown>;
  if (typeof code === 'string' && ERROR_CODE.test(code) && masked.code !== code) return { ...masked, code };
  return masked;
}

/**
 * A copy of a plain object without any field whose name is a secret's, at any depth: the same
 * names the logger redacts. Used where data is stored rather than logged (audit details), so the
 * field is dropped, not masked. Values that are not plain data (functions, class instances other
 * than Date) are dropped too, and nesting is cut off below a few levels.
 */
export function withoutSecrets(value: Record<string, unknown>): Record<string, unknown> {
  return strip(value, 0) as Record<string, unknown>;
}

function strip(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint' ? undefined : value;
  }
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return '[TRUNCATED]';
  if (Array.isArray(value)) return value.map((v) => strip(v, depth + 1)).filter((v) => v !== undefined);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isSecretFieldName(k)) continue;
    const kept = strip(v, depth + 1);
    if (kept !== undefined) out[k] = kept;
  }
  return out;
}

/** "/cb?code=abc&x=1" → "/cb?code=[REDACTED]&x=1" */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && SECRET_PARAM.test(decodeSafe(name)) ? `${name}=[REDACTED]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
