import { createHash } from 'node:crypto';

/**
 * What must never reach a log line or a stored audit detail. Two nets: names that mean a secret
 * (header, query, form and JSON names, at any depth) and values that look like one under any
 * name (our API keys, Google access and refresh tokens, JWTs).
 */
export const CENSOR = '[REDACTED]';

const SECRET_FIELDS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'key',
  'x-admin-key',
  'x-api-key',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'authorization_code',
  'code_verifier',
  'api_key',
  'apiKey',
  'admin_key',
  'adminKey',
  'session',
  'csrf',
  'csrf_token',
  'state',
  'nonce',
  'assertion',
  'client_assertion',
  'subject_token',
  'new_secret',
  'private_key',
  'ciphertext',
  'jwt',
  'bearer',
  'signature',
  'sig',
  'credential',
  'credentials',
  'otp',
];

const SECRET_NAMES = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()));
/**
 * Field names that end like a secret (`new_client_secret`, `google_refresh_token`, `key_hash`,
 * `x-goog-api-key`, `accessToken`), without catching descriptive names such as
 * `token_endpoint_auth_method`, `api_key_id` or `status_code`.
 */
const SECRET_SUFFIX =
  /(^|[_.-])(secret|password|passwd|token|key|api_?key|admin_?key|private_?key|verifier|cookie|assertion|ciphertext|hash|auth_code|device_code|user_code|jwt|bearer|signature|sig|credentials?|otp)$/i;
/** Words that make a name a secret's wherever they stand (`private_key_pem`, `password_new`). */
const SECRET_WORD = /(^|[_.-])(password|passwd|private)([_.-]|$)/i;
const MAX_DEPTH = 6;
/** Log objects nest deeper than audit details (errors with causes, request snapshots). */
const LOG_MAX_DEPTH = 10;

/** Log objects repeat the same few field names: remember each verdict (bounded, never evicted singly). */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 4096;

export function isSecretFieldName(name: string): boolean {
  let secret = verdicts.get(name);
  if (secret === undefined) {
    // camelCase reads as snake_case: accessToken → access_token.
    const snake = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    secret =
      SECRET_NAMES.has(name.toLowerCase()) ||
      SECRET_NAMES.has(snake) ||
      SECRET_SUFFIX.test(snake) ||
      SECRET_WORD.test(snake);
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(name, secret);
  }
  return secret;
}

/**
 * Values in a secret's format, whatever they are called: Gatehouse API keys (`gh_<prefix>_<secret>`),
 * Google access tokens (`ya29.`), Google refresh tokens (`1//`), and JWTs (three base64url parts,
 * the first a JSON header `eyJ…`).
 */
const SECRET_SHAPE =
  /gh_[A-Za-z0-9]{4,}_[A-Za-z0-9_-]{16,}|ya29\.[A-Za-z0-9_.~+/=-]+|(?<![A-Za-z0-9:/])1\/\/[A-Za-z0-9_.~+/=-]{8,}|eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** A cheap test first: most strings contain none of these. */
const SHAPE_HINT = /gh_|ya29\.|1\/\/|eyJ/;

/** A string with every secret-shaped run replaced by the censor. */
export function redactSecretShapes(text: string): string {
  if (!SHAPE_HINT.test(text)) return text;
  return text.replace(SECRET_SHAPE, CENSOR);
}

/**
 * A log object with every secret-named field masked, at any depth, the way JSON.stringify would
 * see it (own enumerable fields, toJSON honoured). Nothing is mutated: unchanged branches are
 * returned as they are and changed ones are copied, so the common case allocates nothing.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecretShapes(value);
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
  if (typeof value === 'string') return redactSecretShapes(value);
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

/**
 * Query parameter names that hide their value in a logged URL. Broader than field names (a
 * substring is enough): a URL is only ever logged, and a parameter such as `?x-admin-key=` or
 * `?authorization=` is a secret sent in the wrong place, not a description.
 */
const SECRET_PARAM =
  /token|secret|code|pass|key|auth|cookie|session|assertion|verifier|state|nonce|csrf|jwt|bearer|sig|credential|otp|private/i;

/**
 * Path segments that name a person or a connection (`/tokens/<email>`, `/connections/<id>/token`)
 * are logged as `sha256:<first 12 hex>`: the same subject gives the same tag, so lines still
 * correlate, and the log holds no email address.
 */
const SUBJECT_PATH = /^(\/(?:tokens|connections)\/)([^/?#]+)/;

/**
 * A request URL fit for a log line: subjects in paths hashed, secret-named query parameters and
 * secret-shaped values masked. "/cb?code=abc&x=1" → "/cb?code=[REDACTED]&x=1".
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = redactSecretShapes(hashSubjectInPath(q < 0 ? url : url.slice(0, q)));
  if (q < 0) return path;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      if (!hasSecretShape(name) && !(eq >= 0 && (SECRET_PARAM.test(decodeSafe(name)) || hasSecretShape(value))))
        return pair;
      return `${hasSecretShape(name) ? CENSOR : name}=${CENSOR}`;
    });
  return `${path}?${params.join('&')}`;
}

/** Whether a URL part, once percent-decoded, holds a secret-shaped value. */
function hasSecretShape(part: string): boolean {
  const decoded = decodeSafe(part);
  return SHAPE_HINT.test(decoded) && redactSecretShapes(decoded) !== decoded;
}

function hashSubjectInPath(path: string): string {
  const match = SUBJECT_PATH.exec(path);
  if (!match) return path;
  const digest = createHash('sha256').update(decodeSafe(match[2]!)).digest('hex').slice(0, 12);
  return `${match[1]}sha256:${digest}${path.slice(match[0].length)}`;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
