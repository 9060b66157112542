import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Security headers on every response (product rule "Every HTML page: CSP with frame-ancestors 'none',
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
    const { always, documentOnly } = splitForDocuments(headers);
    // Routes override single headers with reply.header() (the consent page's form-action, /docs).
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(always);
      done();
    });
    app.addHook('onSend', (_request, reply, payload, done) => {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('text/html')) reply.headers(documentOnly);
      done(null, payload);
    });
  },
  { name: 'security-headers', dependencies: ['core'] },
);

/**
 * Headers that only mean something for a document a browser renders (browsing-context isolation,
 * DNS prefetch of its links, legacy IE and Flash behaviour). JSON answers (every machine
 * endpoint) skip them: six headers less on every hot path. CSP, nosniff, framing, referrer,
 * CORP and HSTS stay on every response.
 */
const DOCUMENT_ONLY = new Set([
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
]);

export function splitForDocuments(headers: Record<string, string>): {
  always: Record<string, string>;
  documentOnly: Record<string, string>;
} {
  const always: Record<string, string> = {};
  const documentOnly: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) (DOCUMENT_ONLY.has(name) ? documentOnly : always)[name] = value;
  return { always, documentOnly };
}

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
  // helmet's next() receives an Error or nothing.
  if (outcome.err) throw outcome.err as Error;
  return recorded;
}
