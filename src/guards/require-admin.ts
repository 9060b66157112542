import type { FastifyRequest } from 'fastify';
import type { AdminActor } from '../clients/client-admin.js';

/**
 * Guard of the admin API: X-Admin-Key, compared in constant time, failures limited per address
 * (the admin-guard plugin holds the key and the limits). Register it once per admin scope, on
 * onRequest (it reads one header, so a caller without the key learns nothing about the body):
 * `app.addHook('onRequest', requireAdmin)`.
 */
export async function requireAdmin(request: FastifyRequest): Promise<void> {
  await request.server.requireAdminKey(request);
}

/** Who made an admin request, for the audit trail. There is one admin key, so it names no person. */
export function adminActor(request: FastifyRequest): AdminActor {
  return { actor: 'admin-key', ip: request.ip };
}
