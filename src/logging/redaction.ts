/**
 * What must never reach a log line. Field names are matched at any of the first levels of a
 * logged object (pino redact needs explicit paths); query strings are scrubbed by name pattern.
 */
const SECRET_FIELDS = [
  'authorization', 'cookie', 'set-cookie', 'x-admin-key', 'password', 'secret', 'client_secret',
  'token', 'access_token', 'refresh_token', 'id_token', 'code', 'authorization_code',
  'code_verifier', 'api_key', 'apiKey', 'admin_key', 'adminKey', 'session', 'csrf', 'csrf_token',
  'state', 'nonce', 'assertion', 'subject_token', 'new_secret', 'private_key', 'ciphertext',
];

const bracket = (f: string) => (/^[A-Za-z_$][\w$]*$/.test(f) ? `.${f}` : `["${f}"]`);

export const REDACT_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-admin-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS.flatMap((f) => [bracket(f).replace(/^\./, ''), `*${bracket(f)}`, `*.*${bracket(f)}`]),
];

const SECRET_PARAM = /token|secret|code|password|api_?key|session|assertion|verifier|state|nonce|csrf/i;

const SECRET_NAMES = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()));
/**
 * Field names that end like a secret (`new_client_secret`, `google_refresh_token`, `key_hash`),
 * without catching descriptive names such as `token_endpoint_auth_method` or `status_code`.
 */
const SECRET_SUFFIX = /(^|[_-])(secret|password|passwd|token|api_?key|admin_?key|private_?key|verifier|cookie|assertion|ciphertext|hash|auth_code|device_code|user_code)$/i;
const MAX_DEPTH = 6;

export function isSecretFieldName(name: string): boolean {
  return SECRET_NAMES.has(name.toLowerCase()) || SECRET_SUFFIX.test(name);
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
  const proto = Object.getPrototypeOf(value);
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
