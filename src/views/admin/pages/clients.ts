import type { Client } from '../../../clients/client.js';
import { html, type SafeHtml } from '../../html.js';
import { timeTag } from '../../time.js';
import { actionForm, csrfField, table } from '../layout.js';

export function clientListBody(clients: Client[], query: string): SafeHtml {
  return html`<h1>Clients</h1>
<form class="filters" method="get" action="/admin/clients" role="search">
<label>Search<input type="search" name="q" value="${query}" placeholder="name, client id or contact"></label>
<button type="submit">Search</button>
<a class="button small secondary" href="/admin/clients/new">New client</a>
</form>
${table(
  ['Name', 'Client id', 'Type', 'Redirect URIs', 'Status', 'Created'],
  clients.map(
    (
      c,
    ) => html`<tr><td><a href="/admin/clients/${c.id}">${c.app_name}</a>${c.first_party ? html` <span class="badge">first-party</span>` : ''}</td>
<td class="id">${c.id}</td>
<td>${c.token_endpoint_auth_method === 'none' ? 'public' : 'confidential'}</td>
<td>${c.redirect_uris.length}</td>
<td>${c.disabled ? html`<span class="badge bad">disabled</span>` : html`<span class="badge good">active</span>`}</td>
<td>${timeTag(c.created_at)}</td></tr>`,
  ),
  query ? 'No client matches.' : 'No clients yet.',
)}`;
}

export interface ClientFormValues {
  app_name?: string | undefined;
  contact_email?: string | undefined;
  redirect_urls?: string | undefined;
  post_logout_redirect_urls?: string | undefined;
  scope?: string | undefined;
  first_party?: boolean | undefined;
  resource_server?: boolean | undefined;
  public_client?: boolean | undefined;
}

function clientFields(v: ClientFormValues, creating: boolean): SafeHtml {
  return html`<label for="app_name">Name</label><input type="text" id="app_name" name="app_name" required maxlength="100" value="${v.app_name ?? ''}">
<label for="contact_email">Contact email</label><input type="email" id="contact_email" name="contact_email" required value="${v.contact_email ?? ''}">
<label for="redirect_urls">Redirect URIs <span class="muted">(one per line; https, or http on 127.0.0.1 / localhost)</span></label>
<textarea id="redirect_urls" name="redirect_urls" required>${v.redirect_urls ?? ''}</textarea>
<label for="post_logout_redirect_urls">Post-logout redirect URIs <span class="muted">(optional, one per line)</span></label>
<textarea id="post_logout_redirect_urls" name="post_logout_redirect_urls">${v.post_logout_redirect_urls ?? ''}</textarea>
<label for="scope">Scopes <span class="muted">(space-separated; empty: openid profile email)</span></label>
<input type="text" id="scope" name="scope" value="${v.scope ?? ''}">
${creating ? html`<label class="check"><input type="checkbox" name="public_client"${v.public_client ? ' checked' : ''}> Public client (no secret; PKCE, e.g. a desktop or mobile app)</label>` : ''}
<label class="check"><input type="checkbox" name="first_party"${v.first_party ? ' checked' : ''}> First-party (no consent screen)</label>
<label class="check"><input type="checkbox" name="resource_server"${v.resource_server ? ' checked' : ''}> Resource server (may introspect any token)</label>`;
}

export function clientNewBody(csrfToken: string, values: ClientFormValues, error?: string): SafeHtml {
  return html`<h1>New client</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="stack" method="post" action="/admin/clients">${csrfField(csrfToken)}
${clientFields(values, true)}
<button type="submit">Create client</button></form>`;
}

export function clientCreatedBody(client: Client, secret: string | undefined, rotated = false): SafeHtml {
  return html`<h1>${rotated ? 'New secret' : 'Client created'}: ${client.app_name}</h1>
<dl><dt>Client id</dt><dd><code>${client.id}</code></dd></dl>
${
  secret
    ? html`<div class="secret"><strong>Client secret — shown once.</strong> Copy it now; Gatehouse keeps only a hash and cannot show it again.
<code id="client-secret">${secret}</code></div>`
    : html`<p class="muted">Public client: no secret. It must use PKCE.</p>`
}
<a class="button small" href="/admin/clients/${client.id}">Continue to the client</a>`;
}

export function clientDetailBody(
  client: Client,
  csrfToken: string,
  error?: string,
  values?: ClientFormValues,
): SafeHtml {
  const v: ClientFormValues = values ?? {
    app_name: client.app_name,
    contact_email: client.contact_email,
    redirect_urls: client.redirect_uris.join('\n'),
    post_logout_redirect_urls: client.post_logout_redirect_uris.join('\n'),
    scope: client.scope,
    first_party: client.first_party,
    resource_server: client.resource_server,
  };
  const base = `/admin/clients/${client.id}`;
  return html`<h1>${client.app_name} ${client.disabled ? html`<span class="badge bad">disabled</span>` : ''}</h1>
<dl>
<dt>Client id</dt><dd><code>${client.id}</code></dd>
<dt>Type</dt><dd>${client.token_endpoint_auth_method === 'none' ? 'public (PKCE)' : `confidential (${client.token_endpoint_auth_method})`}</dd>
<dt>Grant types</dt><dd>${client.grant_types.join(', ')}</dd>
<dt>Created</dt><dd>${timeTag(client.created_at)}</dd>
<dt>Changed</dt><dd>${timeTag(client.updated_at)}</dd>
</dl>
<div class="actions">
${client.token_endpoint_auth_method === 'none' ? '' : actionForm(`${base}/rotate-secret`, 'Rotate secret', csrfToken, { secondary: true })}
${client.disabled ? '' : actionForm(`${base}/disable`, 'Disable', csrfToken, { danger: true, secondary: true })}
${actionForm(`${base}/purge`, 'Purge (disable and delete its tokens)', csrfToken, { danger: true })}
</div>
<h2>Edit</h2>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="stack" method="post" action="${base}">${csrfField(csrfToken)}
${clientFields(v, false)}
<button type="submit">Save changes</button></form>`;
}
