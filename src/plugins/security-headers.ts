import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';

/**
 * Security headers on every response (SPEC "Every HTML page: CSP with frame-ancestors 'none',
 * X-Frame-Options: DENY, Referrer-Policy: no-referrer"). Pages need no script at all; styles
 * come from our origin; images may be Google profile pictures (https).
 */
export const securityHeadersPlugin = fp(
  async (app) => {
    const https = new URL(app.config.public_url).protocol === 'https:';
    await app.register(helmet, {
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
  },
  { name: 'security-headers', dependencies: ['core'] },
);
