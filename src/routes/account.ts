import type { FastifyInstance } from 'fastify';
import { csrfTokenFor } from '../sessions/csrf.js';
import { accountPage } from '../views/pages/account.js';
import { sendPage } from '../views/reply.js';
import { useHtmlErrors } from './html-errors.js';

/** GET /account: the signed-in person's profile and Google connection. */
export async function accountRoutes(app: FastifyInstance): Promise<void> {
  useHtmlErrors(app);
  app.get('/account', async (request, reply) => {
    const user = request.user ? await app.users.findById(request.user.id) : null;
    if (!user || !request.session) {
      return reply.header('cache-control', 'no-store').redirect(`/login?${new URLSearchParams({ return_to: '/account' })}`, 302);
    }
    const credential = await app.googleCredentials.findByOwner({ userId: user.id });
    return sendPage(reply, accountPage({ user, credential, csrfToken: csrfTokenFor(request)! }));
  });
}
