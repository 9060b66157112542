import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { consoleActor } from '../../../admin/console-access.js';
import { listSigningKeys, rotateSigningKeysAudited } from '../../../admin/signing-keys.js';
import { signingKeysBody } from '../../../views/admin/pages/signing-keys.js';
import { formBase, noticeQuery, renderConsole } from '../../../admin/console-forms.js';

/** /admin/signing-keys: list, rotate. */
export const consoleSigningKeyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/admin/signing-keys', { schema: { hide: true, querystring: noticeQuery } }, async (request, reply) =>
    renderConsole(request, reply, {
      title: 'Signing keys',
      section: 'signing-keys',
      body: signingKeysBody(await listSigningKeys(app.repos), app.csrf.tokenFor(request.session!.idHash)),
    }),
  );

  app.post('/admin/signing-keys/rotate', { schema: { hide: true, body: formBase } }, async (request, reply) => {
    await rotateSigningKeysAudited(app, consoleActor(request));
    return reply.redirect('/admin/signing-keys?done=keys_rotated', 303);
  });
};
