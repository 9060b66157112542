import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { formatUserCode, normalizeUserCode } from '../oauth/user-code.js';
import { type DeviceAuthorizationView } from '../repositories/device-authorizations.js';
import { FailureLimiter } from '../security/rate-limiter.js';
import { csrfTokenFor, verifyCsrf } from '../sign-in/csrf.js';
import { consentPage } from '../views/pages/consent.js';
import { deviceCodePage, deviceDonePage } from '../views/pages/device.js';
import { errorPage } from '../views/pages/error.js';
import { sendPage } from '../views/reply.js';
import { htmlErrorHandler } from '../http/html-errors.js';
import { noStore } from '../http/no-store.js';
import { DEVICE_VERIFICATION_PATH } from './oauth/device-authorization.js';

/** Wrong user codes one address may enter per minute (RFC 8628 §5.1: user code brute forcing). */
const WRONG_USER_CODES_PER_MINUTE = 10;

const userCodeField = z.string().max(64).optional();
const csrfField = z.string().max(256).optional();

/**
 * /device (RFC 8628 §3.3): the signed-in person enters the user code, sees the consent page for
 * that client and scope, and approves or denies. The consent form carries only the user code
 * and the CSRF token: what is granted is what the device authorization stored.
 */
export const deviceRoutes: FastifyPluginAsyncZod = async (app) => {
  app.setErrorHandler(htmlErrorHandler());
  app.addHook('onRequest', noStore);
  const limiter = new FailureLimiter(app.cache, 'device-user-code', WRONG_USER_CODES_PER_MINUTE, 60_000);

  // RFC 8628 §3.3.1 verification_uri_complete: the code arrives prefilled; the person still
  // confirms it, so a link alone never reaches the consent page (§5.4 remote phishing).
  app.get(
    DEVICE_VERIFICATION_PATH,
    { schema: { hide: true, querystring: z.object({ user_code: userCodeField }) } },
    async (request, reply) => {
      const typed = request.query.user_code;
      if (!request.session) return signIn(reply, typed);
      const normalized = typed === undefined ? null : normalizeUserCode(typed);
      return sendPage(
        reply,
        deviceCodePage({
          csrfToken: csrfTokenFor(request)!,
          userCode: normalized ? formatUserCode(normalized) : typed,
        }),
      );
    },
  );

  app.post(
    DEVICE_VERIFICATION_PATH,
    { schema: { hide: true, body: z.object({ user_code: userCodeField, csrf_token: csrfField }) } },
    async (request, reply) => {
      if (!request.session || !request.user) return signIn(reply, request.body.user_code, 303);
      if (!verifyCsrf(request, request.body.csrf_token)) return formExpired(reply);
      const found = await lookUp(request, reply, request.body.user_code);
      if (!found) return reply;
      const client = await app.clientStore.findById(found.authorization.clientId);
      if (!client || client.disabled) return unknownCode(request, reply, found.userCode);
      return sendPage(
        reply,
        consentPage({
          appName: client.app_name,
          username: request.user.username,
          scopes: found.authorization.scope.split(' ').filter(Boolean),
          fields: { user_code: formatUserCode(found.userCode), csrf_token: csrfTokenFor(request)! },
          action: `${DEVICE_VERIFICATION_PATH}/decision`,
        }),
      );
    },
  );

  app.post(
    `${DEVICE_VERIFICATION_PATH}/decision`,
    {
      schema: {
        hide: true,
        body: z.object({ user_code: userCodeField, csrf_token: csrfField, decision: z.string().max(32).optional() }),
      },
    },
    async (request, reply) => {
      if (!request.session || !request.user) return signIn(reply, request.body.user_code, 303);
      if (!verifyCsrf(request, request.body.csrf_token)) return formExpired(reply);
      // A blocked address guesses no further, here either.
      if (await refuseBlocked(request, reply)) return reply;
      const userCode = normalizeUserCode(request.body.user_code ?? '');
      const approve = request.body.decision === 'approve';
      const decided = userCode
        ? await app.repos.deviceAuthorizations.decide(userCode, {
            userId: request.user.id,
            authTime: request.session.authTime,
            approve,
          })
        : null;
      if (!decided) {
        // Not pending any more (or never was): say which, through the same checks as the entry.
        const found = await lookUp(request, reply, request.body.user_code);
        return found ? alreadyUsed(reply) : reply;
      }
      const client = await app.clientStore.findById(decided.clientId);
      app.audit({
        event: approve ? 'consent_granted' : 'consent_denied',
        actor: request.user.id,
        client_id: decided.clientId,
        ip: request.ip,
        details: { scope: decided.scope, grant_type: 'device_code' },
      });
      return sendPage(reply, deviceDonePage({ approved: approve, appName: client?.app_name ?? 'The application' }));
    },
  );

  /**
   * The live, pending authorization a typed code names, or null after answering with the
   * page that says why. Unknown codes count toward the per-address limit.
   */
  async function lookUp(
    request: FastifyRequest,
    reply: FastifyReply,
    typed: string | undefined,
  ): Promise<{ userCode: string; authorization: DeviceAuthorizationView } | null> {
    if (await refuseBlocked(request, reply)) return null;
    const userCode = normalizeUserCode(typed ?? '');
    const authorization = userCode ? await app.repos.deviceAuthorizations.findByUserCode(userCode) : null;
    if (!userCode || !authorization) {
      await unknownCode(request, reply, typed ?? '');
      return null;
    }
    if (authorization.status !== 'pending') {
      alreadyUsed(reply);
      return null;
    }
    if (authorization.expired) {
      sendPage(
        reply,
        errorPage({
          title: 'This code has expired',
          message: 'Codes work for 10 minutes. Start again on your device to get a new one.',
          retryUrl: DEVICE_VERIFICATION_PATH,
        }),
        400,
      );
      return null;
    }
    return { userCode, authorization };
  }

  /** True after answering 429 when this address has used up its wrong codes for the minute. */
  async function refuseBlocked(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const blocked = await limiter.isBlocked(request.ip);
    if (!blocked) return false;
    reply.header('retry-after', String(blocked.retryAfterSeconds));
    sendPage(
      reply,
      errorPage({
        title: 'Too many attempts',
        message: 'Too many wrong codes were entered from your network. Please wait a minute and try again.',
        retryUrl: DEVICE_VERIFICATION_PATH,
      }),
      429,
    );
    return true;
  }

  async function unknownCode(request: FastifyRequest, reply: FastifyReply, typed: string) {
    // A wrong code is an attempt that is never credited back: it counts toward the per-IP limit.
    await limiter.attempt(request.ip);
    app.audit({ event: 'device_user_code_refused', actor: request.user?.id ?? null, ip: request.ip });
    return sendPage(
      reply,
      deviceCodePage({
        csrfToken: csrfTokenFor(request)!,
        userCode: typed.slice(0, 32),
        problem: 'That code was not recognised. Check the code on your device and try again.',
      }),
      400,
    );
  }

  function alreadyUsed(reply: FastifyReply) {
    return sendPage(
      reply,
      errorPage({
        title: 'This code has already been used',
        message: 'Each code works once. If your device is not signed in, start again on it to get a new code.',
        retryUrl: DEVICE_VERIFICATION_PATH,
      }),
      400,
    );
  }

  function formExpired(reply: FastifyReply) {
    return sendPage(
      reply,
      errorPage({
        title: 'This form has expired',
        message: 'Please reload the page and enter the code again.',
        retryUrl: DEVICE_VERIFICATION_PATH,
      }),
      403,
    );
  }

  /** Sign in through Google first, then back to /device with the code still filled in. */
  function signIn(reply: FastifyReply, typed: string | undefined, status: 302 | 303 = 302) {
    const normalized = typed === undefined ? null : normalizeUserCode(typed);
    const returnTo = normalized
      ? `${DEVICE_VERIFICATION_PATH}?${new URLSearchParams({ user_code: formatUserCode(normalized) })}`
      : DEVICE_VERIFICATION_PATH;
    return reply.redirect(`/login?${new URLSearchParams({ return_to: returnTo })}`, status);
  }
};
