import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consoleActor } from '../../../admin/console-access.js';
import { idParams } from '../../../admin/id-params.js';
import {
  disableClient,
  purgeClient,
  registerClient,
  rotateClientSecret,
  updateClient,
} from '../../../clients/client-admin.js';
import { ApiError, notFound } from '../../../oauth/errors.js';
import {
  clientCreatedBody,
  clientDetailBody,
  clientListBody,
  clientNewBody,
  type ClientFormValues,
} from '../../../views/admin/pages/clients.js';
import { checkbox, field, formBase, lines, noticeQuery, renderConsole } from '../../../admin/console-forms.js';

const clientForm = formBase.extend({
  app_name: field(100),
  contact_email: field(254),
  redirect_urls: field(22_000),
  post_logout_redirect_urls: field(22_000),
  scope: field(1000),
  first_party: checkbox,
  resource_server: checkbox,
  public_client: checkbox,
});
type ClientForm = z.infer<typeof clientForm>;

/** The registration (or patch) body a console form stands for: the API's validation applies. */
function metadataOf(f: ClientForm) {
  return {
    app_name: f.app_name,
    contact_email: f.contact_email,
    redirect_urls: lines(f.redirect_urls),
    post_logout_redirect_urls: lines(f.post_logout_redirect_urls),
    ...(f.scope ? { scope: f.scope } : {}),
    first_party: f.first_party,
    resource_server: f.resource_server,
  };
}

/** A refused form is shown again with the reason (the API's own description); anything else propagates. */
function refusal(err: unknown): string {
  if (err instanceof ApiError && err.status < 500) return `Not saved: ${err.description}.`;
  throw err;
}

/** /admin/clients: list and search, create (secret shown once), edit, rotate secret, disable, purge. */
export const consoleClientRoutes: FastifyPluginAsyncZod = async (app) => {
  const deps = app.clientAdmin;
  const find = async (id: string) => {
    const client = await app.repos.clients.findById(id);
    if (!client) throw notFound('no such client');
    return client;
  };

  app.get(
    '/admin/clients',
    { schema: { hide: true, querystring: noticeQuery.extend({ q: z.string().max(200).optional() }) } },
    async (request, reply) => {
      const q = (request.query.q ?? '').trim().toLowerCase();
      const all = await app.repos.clients.list({ limit: 1000, includeDisabled: true });
      const clients = q
        ? all.filter((c) => [c.app_name, c.id, c.contact_email].some((s) => s.toLowerCase().includes(q)))
        : all;
      return renderConsole(request, reply, {
        title: 'Clients',
        section: 'clients',
        body: clientListBody(clients, request.query.q ?? ''),
      });
    },
  );

  app.get('/admin/clients/new', { schema: { hide: true } }, async (request, reply) =>
    renderConsole(request, reply, {
      title: 'New client',
      section: 'clients',
      body: clientNewBody(request.server.csrf.tokenFor(request.session!.idHash), {}),
    }),
  );

  app.post('/admin/clients', { schema: { hide: true, body: clientForm } }, async (request, reply) => {
    const f = request.body;
    const csrf = request.server.csrf.tokenFor(request.session!.idHash);
    try {
      const body = { ...metadataOf(f), ...(f.public_client ? { token_endpoint_auth_method: 'none' } : {}) };
      const { client, secret } = await registerClient(deps, body, consoleActor(request));
      return renderConsole(request, reply, {
        title: 'Client created',
        section: 'clients',
        body: clientCreatedBody(client, secret),
        status: 201,
      });
    } catch (err) {
      const values: ClientFormValues = { ...f };
      return renderConsole(request, reply, {
        title: 'New client',
        section: 'clients',
        body: clientNewBody(csrf, values, refusal(err)),
        status: 400,
      });
    }
  });

  app.get(
    '/admin/clients/:id',
    { schema: { hide: true, params: idParams, querystring: noticeQuery } },
    async (request, reply) => {
      const client = await find(request.params.id);
      return renderConsole(request, reply, {
        title: client.app_name,
        section: 'clients',
        body: clientDetailBody(client, request.server.csrf.tokenFor(request.session!.idHash)),
      });
    },
  );

  app.post(
    '/admin/clients/:id',
    { schema: { hide: true, params: idParams, body: clientForm } },
    async (request, reply) => {
      const client = await find(request.params.id);
      try {
        await updateClient(deps, client.id, metadataOf(request.body), consoleActor(request));
        return reply.redirect(`/admin/clients/${encodeURIComponent(client.id)}?done=client_saved`, 303);
      } catch (err) {
        return renderConsole(request, reply, {
          title: client.app_name,
          section: 'clients',
          body: clientDetailBody(
            client,
            request.server.csrf.tokenFor(request.session!.idHash),
            refusal(err),
            request.body,
          ),
          status: 400,
        });
      }
    },
  );

  app.post(
    '/admin/clients/:id/rotate-secret',
    { schema: { hide: true, params: idParams, body: formBase } },
    async (request, reply) => {
      const { client, secret } = await rotateClientSecret(deps, request.params.id, consoleActor(request));
      return renderConsole(request, reply, {
        title: 'New secret',
        section: 'clients',
        body: clientCreatedBody(client, secret, true),
      });
    },
  );

  app.post(
    '/admin/clients/:id/disable',
    { schema: { hide: true, params: idParams, body: formBase } },
    async (request, reply) => {
      const client = await disableClient(deps, request.params.id, consoleActor(request));
      return reply.redirect(`/admin/clients/${encodeURIComponent(client.id)}?done=client_disabled`, 303);
    },
  );

  app.post(
    '/admin/clients/:id/purge',
    { schema: { hide: true, params: idParams, body: formBase } },
    async (request, reply) => {
      await purgeClient(deps, request.params.id, consoleActor(request));
      return reply.redirect('/admin/clients?done=client_purged', 303);
    },
  );
};
