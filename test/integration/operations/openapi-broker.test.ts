import { expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';

interface Schema {
  properties: Record<string, { const?: string; enum?: string[]; type?: string; format?: string }>;
  required?: string[];
}

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

describeBackends('OpenAPI: the broker calls', (backend) => {
  const t = useTestApp(backend);

  async function document() {
    const res = await t.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    return res.json<{
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Schema> };
    }>();
  }

  it('documents scope, 403 insufficient_scope and 409 reauth_required with connect_url on the GET and POST forms', async () => {
    const doc = await document();
    for (const path of ['/tokens/{subject}', '/connections/{id}/token']) {
      const op = doc.paths[path]!.get!;
      expect(
        op.parameters?.map((p) => `${p.in}:${p.name}`),
        path,
      ).toContain('query:scope');
      expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(['200', '403', '409', '502']));
      expect(JSON.stringify(op.responses['403']), path).toContain('BrokerInsufficientScope');
      expect(JSON.stringify(op.responses['409']), path).toContain('BrokerConflict');
    }
    const refresh = doc.paths['/oauth/refresh']!.post!;
    expect(
      Object.keys(refresh.requestBody!.content['application/x-www-form-urlencoded']?.schema.properties ?? {}),
    ).toEqual(expect.arrayContaining(['subject', 'connection_id', 'scope']));
    const { BrokerInsufficientScope, BrokerConflict, BrokerToken } = doc.components.schemas;
    expect(BrokerInsufficientScope!.properties.error).toMatchObject({ const: 'insufficient_scope' });
    expect(BrokerInsufficientScope!.properties.connect_url).toMatchObject({ type: 'string', format: 'uri' });
    expect(BrokerConflict!.properties.error?.enum).toContain('reauth_required');
    expect(BrokerConflict!.properties.connect_url).toMatchObject({ type: 'string' });
    expect(BrokerToken!.required).toEqual(
      expect.arrayContaining(['access_token', 'expires_in', 'expiry', 'scope', 'subject']),
    );
  });

  it('still checks the API key before the scope parameter (documentation validates nothing)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/tokens/ada?scope=%00' });
    expect(res.statusCode).toBe(401);
  });
});
