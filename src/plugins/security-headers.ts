import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Security headers on every response (SPEC "Every HTML page: CSP with frame-ancestors 'none',
 * X-Frame-Options: DENY, Referrer-Policy: no-referrer"). Pages need no script at all; styles
 * come from our origin; images may be Google profile pictures (https).
 */
export const securityHeadersPlugin = fp(
  async (app) => {
    const https = new URL(app.config.public_url).protocol === 'https:';
    const headers = staticHeaders({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'none'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'https:', 'data:'],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
          'base-uri': ["'none'"],
        },
      },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      // HSTS means nothing over http and would only confuse a developer on localhost.
      strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    });
    // Routes override single headers with reply.header() (the consent page's form-action, /docs).
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });
  },
  { name: 'security-headers', dependencies: ['core'] },
);

/**
 * helmet decides the headers; they depend on nothing in the request, so it runs once here and
 * every response gets the recorded set. (@fastify/helmet rebuilt helmet's whole configuration
 * on every request: 3 % of the CPU of a /health benchmark.)
 */
export function staticHeaders(options: HelmetOptions): Record<string, string> {
  const recorded: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number) {
      recorded[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete recorded[name.toLowerCase()];
    },
  };
  let outcome: { err?: unknown } | undefined;
  helmet(options)({} as never, response as never, (err?: unknown) => {
    outcome = { err };
  });
  // helmet's middleware is synchronous; if that ever changes, fail at start rather than serve without headers.
  if (!outcome) throw new Error('helmet did not finish synchronously');
  if (outcome.err) throw outcome.err;
  return recorded;
}
