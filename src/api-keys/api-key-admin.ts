import { z } from 'zod';
import type { AdminActor } from '../clients/client-admin.js';
import type { AuditEvent } from '../audit/audit-event.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import { randomId } from '../crypto/random.js';
import { notFound } from '../oauth/errors.js';
import type { ApiKeysRepository } from '../repositories/api-keys.js';
import { defaultSubjectSchema, type DefaultSubject } from '../vault/subject.js';
import { API_KEY_SCOPES, generateApiKey, type ApiKey, type ApiKeyScope } from './api-key.js';

/** Client ids are generated (and the login client's is configured): short, printable. */
const clientIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'must be a client id');

/** POST /internal/api-keys body, and `gatehouse api-keys create` options. */
export const apiKeyCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length).optional(),
    default_subject: defaultSubjectSchema.optional(),
    allowed_clients: z.array(clientIdSchema).max(100).optional(),
  })
  .refine((k) => !k.allowed_clients?.length || (k.scopes ?? ['tokens']).includes('external'), {
    path: ['allowed_clients'],
    message: 'allowed_clients is only for keys with the external scope',
  });

export type ApiKeyCreateInput = {
  name: string;
  scopes?: readonly ApiKeyScope[] | undefined;
  default_subject?: DefaultSubject | undefined;
  allowed_clients?: readonly string[] | undefined;
};

/** API key ids are UUIDs; anything else cannot name one. */
export const apiKeyIdSchema = z.uuid();

/** Create and revoke API keys: the one implementation behind the admin HTTP API and the CLI. */
export interface ApiKeyAdminDeps {
  apiKeys: ApiKeysRepository;
  hasher: SecretHasher;
  /** Tells every instance to forget its cached copy (ApiKeyAuthenticator.changed or announceApiKeyChange). */
  changed: (key: ApiKey) => Promise<void>;
  audit: (event: AuditEvent) => void;
}

/** Returns the row and the key itself, which is shown once and stored only as an argon2id hash. */
export async function createApiKey(
  deps: ApiKeyAdminDeps,
  input: ApiKeyCreateInput,
  by: AdminActor,
): Promise<{ apiKey: ApiKey; key: string }> {
  const { key, lookupPrefix } = generateApiKey();
  const apiKey = await deps.apiKeys.insert({
    id: randomId(),
    name: input.name,
    lookupPrefix,
    keyHash: await deps.hasher.hash(key),
    scopes: [...new Set(input.scopes ?? ['tokens' as const])],
    defaultSubject: input.default_subject ?? null,
    allowedClients: [...new Set(input.allowed_clients ?? [])],
  });
  deps.audit({
    event: 'admin_action',
    actor: by.actor,
    ip: by.ip,
    subject: apiKey.id,
    details: {
      action: 'api_key.create',
      name: apiKey.name,
      scopes: apiKey.scopes,
      allowed_clients: apiKey.allowed_clients,
      has_default_subject: apiKey.default_subject !== null,
    },
  });
  return { apiKey, key };
}

/** Idempotent; 404 `not_found` when there is no such key. */
export async function revokeApiKey(deps: ApiKeyAdminDeps, id: string, by: AdminActor): Promise<ApiKey> {
  const apiKey = await deps.apiKeys.revoke(id);
  if (!apiKey) throw notFound('no such API key');
  await deps.changed(apiKey);
  deps.audit({
    event: 'admin_action',
    actor: by.actor,
    ip: by.ip,
    subject: apiKey.id,
    details: { action: 'api_key.revoke', name: apiKey.name },
  });
  return apiKey;
}
