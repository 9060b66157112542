import type { AuditEvent } from '../audit/audit-event.js';
import type { Cache } from '../cache/cache.js';
import type { AdminActor } from '../clients/client-admin.js';
import type { Config } from '../config/schema.js';
import type { Keyring } from '../crypto/keyring.js';
import { rotateSigningKeys } from '../oauth/signing-keys.js';
import type { Repositories } from '../repositories/index.js';
import type { Database } from '../storage/database.js';

/** The signing keys as admins see them: which is active, when each was made and retired. */
export async function listSigningKeys(repos: Pick<Repositories, 'signingKeys'>) {
  const rows = await repos.signingKeys.listPublic();
  return rows.map((k) => ({
    kid: k.kid,
    algorithm: k.algorithm,
    status: k.retired_at ? ('retired' as const) : ('active' as const),
    encryption_key_id: k.encryption_key_id,
    created_at: k.created_at.toISOString(),
    retired_at: k.retired_at?.toISOString() ?? null,
  }));
}

export interface RotateDeps {
  db: Database;
  repos: Pick<Repositories, 'signingKeys'>;
  cache: Cache;
  keyring: Keyring;
  config: Config;
  audit: (event: AuditEvent) => void;
}

/** Rotates every asymmetric signing key in use (see rotateSigningKeys) and audits each rotation. */
export async function rotateSigningKeysAudited(deps: RotateDeps, by: AdminActor) {
  const results = await rotateSigningKeys(deps);
  for (const r of results) {
    deps.audit({
      event: 'admin_action',
      actor: by.actor,
      ip: by.ip ?? null,
      subject: r.kid,
      details: { action: 'keys.rotate', alg: r.alg, retired_kid: r.retiredKid },
    });
  }
  return results.map((r) => ({ alg: r.alg, kid: r.kid, retired_kid: r.retiredKid }));
}
