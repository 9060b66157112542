import { invalidScope } from './errors.js';

/** OpenID identity scopes: only meaningful with a signed-in user. */
export const IDENTITY_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/** RFC 6749 §3.3: scope = scope-token *( SP scope-token ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function parseScope(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  const tokens = value.split(' ').filter(Boolean);
  if (!tokens.every((t) => SCOPE_TOKEN.test(t)))
    throw invalidScope('scope contains characters outside RFC 6749 scope tokens');
  return [...new Set(tokens)];
}

export function formatScope(scopes: Iterable<string>): string {
  return [...scopes].join(' ');
}

/** Throws invalid_scope unless every requested scope is in allowed. */
export function requireSubset(requested: string[], allowed: Iterable<string>, description: string): void {
  const set = new Set(allowed);
  const extra = requested.filter((s) => !set.has(s));
  if (extra.length > 0) throw invalidScope(`${description}: ${extra.join(' ')}`);
}
