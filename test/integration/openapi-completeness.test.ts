import { expect, it } from 'vitest';
import { describeBackends } from '../helpers/backends.js';
import { useTestApp } from '../helpers/use-test-app.js';

interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, unknown>;
  anyOf?: Schema[];
  allOf?: Schema[];
}
interface Response {
  description?: string;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, Response>;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
  security?: unknown[];
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);
/** Operations that take no body although they are POSTs: their path names everything. */
const BODILESS = new Set([
  'POST /internal/reload-clients',
  'POST /clients/{id}/rotate-secret',
  'POST /internal/webhooks/{id}/deliveries/{did}/retry',
  'POST /users/{id}/sign-out',
  'POST /internal/signing-keys',
]);
/** Paths that are pages, assets or the dev-mode mock Google: never API operations. */
const NOT_API = [/^\/_dev\//, /^\/account/, /^\/login$/, /^\/logout$/, /^\/auth\//, /^\/connect$/, /^\/device/];
const ERROR_REF = '#/components/schemas/Error';

/** A schema in the error shape: $ref Error, an object with its fields, or a union of such. */
function isErrorSchema(schema: Schema | undefined, components: Record<string, Schema>): boolean {
  if (!schema) return false;
  if (schema.$ref === ERROR_REF) return true;
  if (schema.$ref) return isErrorSchema(components[schema.$ref.replace('#/components/schemas/', '')], components);
  if (schema.anyOf) return schema.anyOf.every((s) => isErrorSchema(s, components));
  return ['success', 'error', 'error_description'].every((k) => schema.properties?.[k] !== undefined);
}

/** An error response in the error shape, or a page. */
function isErrorShape(response: Response, components: Record<string, Schema>): boolean {
  const content = response.content ?? {};
  if (content['text/html']) return true;
  return isErrorSchema(content['application/json']?.schema, components);
}

/** What the operation lacks, in words; empty when it is complete. */
function missing(method: string, path: string, op: Operation, components: Record<string, Schema>): string[] {
  const gaps: string[] = [];
  if (!op.summary?.trim()) gaps.push('summary');
  if (!op.tags?.length) gaps.push('tags');
  // An operation without its own `security` inherits the document's: say it explicitly.
  if (!Array.isArray(op.security)) gaps.push('security (or security: [] for a public endpoint)');
  if (['post', 'put', 'patch'].includes(method) && !op.requestBody && !BODILESS.has(`${method.toUpperCase()} ${path}`))
    gaps.push('request body schema');
  const responses = Object.entries(op.responses ?? {});
  const success = responses.filter(([status]) => /^[23]\d\d$/.test(status));
  if (success.length === 0) gaps.push('a success response');
  for (const [status, response] of success)
    if (!response.description || response.description === 'Default Response')
      gaps.push(`a described ${status} response (not "Default Response")`);
  const failures = responses.filter(([status]) => /^[45]\d\d$/.test(status));
  if (failures.length === 0) gaps.push('its error responses');
  for (const [status, response] of failures)
    if (!isErrorShape(response, components)) gaps.push(`the error shape on ${status}`);
  const secured = (op.security ?? []).some((s) => Object.keys(s as object).length > 0);
  if (secured && !op.responses?.['401']) gaps.push('401 for its security scheme');
  return gaps;
}

describeBackends('OpenAPI completeness', (backend) => {
  const t = useTestApp(backend);

  it('every public and admin operation has summary, tags, security, body and every response with the error shape', async () => {
    const res = await t.app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc: OpenApiDoc = res.json();
    const incomplete: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.has(method)) continue;
        const gaps = missing(method, path, op, doc.components?.schemas ?? {});
        if (gaps.length) incomplete.push(`${method.toUpperCase()} ${path}: lacks ${gaps.join(', ')}`);
      }
    }
    expect(incomplete).toEqual([]);
  });

  it('leaves pages, assets, the stylesheet and dev-mode mock routes out of the document', async () => {
    const doc: OpenApiDoc = (await t.app.inject({ url: '/docs/json' })).json();
    const listed = Object.keys(doc.paths).filter((p) => NOT_API.some((re) => re.test(p)) || p.endsWith('.css'));
    expect(listed).toEqual([]);
  });

  it('shows the real request bodies and responses of /oauth/token, /tokens/{subject} and /oauth/refresh', async () => {
    const doc: OpenApiDoc = (await t.app.inject({ url: '/docs/json' })).json();
    const token = doc.paths['/oauth/token']!.post!;
    const tokenBody = token.requestBody!.content!['application/x-www-form-urlencoded']!.schema!;
    expect(Object.keys(tokenBody.properties ?? {})).toEqual(
      expect.arrayContaining(['grant_type', 'code', 'code_verifier', 'refresh_token', 'subject', 'connection_id']),
    );
    expect(token.responses!['200']!.description).not.toBe('Default Response');
    const refresh = doc.paths['/oauth/refresh']!.post!;
    expect(
      Object.keys(refresh.requestBody!.content!['application/x-www-form-urlencoded']!.schema!.properties!),
    ).toEqual(expect.arrayContaining(['subject', 'connection_id', 'scope']));
    for (const op of [refresh, doc.paths['/tokens/{subject}']!.get!]) {
      expect(op.responses!['200']!.content!['application/json']!.schema!.$ref).toBe('#/components/schemas/BrokerToken');
      expect(op.security).toEqual([{ apiKey: [] }]);
    }
  });
});
