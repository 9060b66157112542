import { randomBytes } from 'node:crypto';
import type { DefaultSubject } from '../vault/subject.js';

export const API_KEY_SCOPES = ['tokens', 'connections', 'external'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKey {
  id: string;
  name: string;
  lookup_prefix: string;
  key_hash: string;
  scopes: ApiKeyScope[];
  /** The broker subject used when a request names none. */
  default_subject: DefaultSubject | null;
  /** For `external` keys: the client ids it may mint tokens for (none by default). */
  allowed_clients: string[];
  created_at: string;
  last_used_at: string | null;
  revoked: boolean;
}

/**
 * `gh_<12 hex lookup prefix>_<43 base64url secret chars>`: recognisable in a leak scanner, and
 * the prefix finds the row without hashing every stored key.
 */
const FORMAT = /^gh_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function generateApiKey(): { key: string; lookupPrefix: string } {
  const lookupPrefix = randomBytes(6).toString('hex');
  return { key: `gh_${lookupPrefix}_${randomBytes(32).toString('base64url')}`, lookupPrefix };
}

export function parseApiKey(key: string): { lookupPrefix: string } | null {
  const m = FORMAT.exec(key);
  return m ? { lookupPrefix: m[1]! } : null;
}

export function apiKeyView(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    scopes: k.scopes,
    default_subject: k.default_subject,
    allowed_clients: k.allowed_clients,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    revoked: k.revoked,
  };
}
