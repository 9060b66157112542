import type { RouteOptions } from 'fastify';
import { beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { adminHeaders } from '../../helpers/admin.js';

interface OpenApiDoc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
        responses: Record<string, unknown>;
      }
    >
  >;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
}

/** Fastify's /clients/:id → OpenAPI's /clients/{id}. */
const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describeBackends('OpenAPI and /docs', (backend) => {
  const t = useTestApp(backend, {
    onRoute: (r: RouteOptions) => {
      // Pages, assets and the dev-mode mock Google are left out of the API document.
      const hidden = r.schema?.hide === true || r.url.startsWith('/_dev/');
      for (const method of [r.method].flat()) routes.push({ method, url: r.url, hidden });
    },
  });
  const routes: { method: string; url: string; hidden: boolean }[] = [];
  let doc: OpenApiDoc;
  beforeAll(async () => {
    const res = await t.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  }, 60_000);

  it('documents every registered route except HEAD duplicates, the /docs pages and hidden pages', () => {
    const documented = routes.filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs') && !r.hidden);
    expect(documented.length).toBeGreaterThanOrEqual(12);
    for (const r of documented) {
      expect(doc.paths[openapiPath(r.url)]?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
    }
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/docs'))).toEqual([]);
  });

  it('is OpenAPI 3.1 with the four security schemes and the shared error shape', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes).toMatchObject({
      adminKey: { type: 'apiKey', in: 'header', name: 'X-Admin-Key' },
      clientBasic: { type: 'http', scheme: 'basic' },
      apiKey: { type: 'http', scheme: 'bearer' },
      accessToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
    expect(doc.components.schemas.Error).toMatchObject({ required: ['success', 'error', 'error_description'] });
    const register = doc.paths['/clients/register']!.post!;
    expect(register.security).toEqual([{ adminKey: [] }]);
    expect(register.responses['400']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    });
    expect(Object.keys(register.requestBody!.content['application/json']!.schema.properties)).toContain(
      'redirect_urls',
    );
    expect(doc.paths['/health']!.get!.security).toEqual([]);
  });

  it('keeps hand validation of POST /clients/register: the documented body does not validate first', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/clients/register',
      headers: adminHeaders,
      payload: { app_name: 'x', contact_email: 'a@b.co', redirect_url: 'http://evil.example/cb' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_redirect_uri' });
  });

  it('serves the Swagger UI at /docs with its own assets and a CSP that forbids framing', async () => {
    const page = await t.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(2);
    for (const asset of assets) {
      expect(asset.startsWith('/docs/'), asset).toBe(true);
      expect((await t.app.inject({ url: asset })).statusCode, asset).toBe(200);
    }
    expect((await t.app.inject({ url: '/docs/json' })).json().openapi).toBe('3.1.0');
  });
});
