import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Guard of the pages that only a signed-in person may use (the browser session of the session
 * plugin, `request.user` and `request.session`): anyone else is sent to sign in and brought
 * back to `returnTo` (302 for a GET, 303 after a form POST). Register it once per scope on
 * onRequest: `app.addHook('onRequest', requireUser('/account'))`.
 */
export function requireUser(returnTo: string) {
  const signIn = `/login?${new URLSearchParams({ return_to: returnTo })}`;
  return async function requireUserGuard(request: FastifyRequest, reply: FastifyReply) {
    if (request.user && request.session) return;
    // An async hook that answers returns the reply: Fastify then runs nothing after it.
    return reply.redirect(signIn, request.method === 'GET' ? 302 : 303);
  };
}

/** The person and session `requireUser` let through (typed: a guarded scope always has both). */
export function signedIn(request: FastifyRequest): {
  user: NonNullable<FastifyRequest['user']>;
  session: NonNullable<FastifyRequest['session']>;
} {
  const { user, session } = request;
  // Only reachable from a route outside a guarded scope: a programming error, not a request's.
  if (!user || !session) throw new Error('signedIn() called outside a requireUser scope');
  return { user, session };
}
