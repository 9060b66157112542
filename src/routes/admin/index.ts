import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminAuditRoutes } from './audit-events.js';
import { adminConnectionRoutes } from './connections.js';
import { adminSigningKeyRoutes } from './signing-keys.js';
import { adminUserRoutes } from './users.js';

/** The admin API the console's operations mirror (X-Admin-Key); each module guards its own scope. */
export const adminApiRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(adminUserRoutes);
  await app.register(adminConnectionRoutes);
  await app.register(adminAuditRoutes);
  await app.register(adminSigningKeyRoutes);
};
