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
