import type { ConnectionStatus, ConnectionPageRow } from '../../../repositories/connections.js';
import { html, type SafeHtml } from '../../html.js';
import { timeTag } from '../../time.js';
import { actionForm, csrfField, table } from '../layout.js';

const STATUS_LABELS: Record<ConnectionStatus, string> = {
  active: 'connected',
  reauth_required: 'needs sign-in again',
  not_connected: 'not connected',
};

export interface ConnectLinkValues {
  connection_id?: string;
  return_to?: string;
}

/** The "create a connect link" form: a connection id and, optionally, where the person returns to. */
export function connectLinkForm(csrfToken: string, values: ConnectLinkValues = {}, error?: string): SafeHtml {
  return html`<h2>Create a connect link</h2>
<p class="muted">A single-use link (15 minutes) a person opens to connect their Google account to a connection.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="stack" method="post" action="/admin/connections/link">${csrfField(csrfToken)}
<label for="connection_id">Connection id <span class="muted">(letters, digits and . _ : -; not a UUID)</span></label>
<input type="text" id="connection_id" name="connection_id" required maxlength="200" value="${values.connection_id ?? ''}">
<label for="return_to">Return to <span class="muted">(optional: where the person is sent afterwards)</span></label>
<input type="url" id="return_to" name="return_to" maxlength="2048" value="${values.return_to ?? ''}">
<button type="submit">Create link</button></form>`;
}

export function connectLinkCreatedBody(connectionId: string, url: string, expiresAt: Date): SafeHtml {
  return html`<h1>Connect link created</h1>
<dl><dt>Connection id</dt><dd><code>${connectionId}</code></dd><dt>Expires</dt><dd>${timeTag(expiresAt, 'relative')}</dd></dl>
<div class="secret"><strong>Connect link — shown once.</strong> Send it to the person who connects their Google account; it works once.
<code id="connect-url">${url}</code></div>
<a class="button small" href="/admin/connections">Back to connections</a>`;
}

export function connectionsBody(
  rows: ConnectionPageRow[],
  status: string,
  nextUrl: string | null,
  csrfToken: string,
): SafeHtml {
  return html`<h1>Connections</h1>
<form class="filters" method="get" action="/admin/connections">
<label>Status<select name="status">
<option value="">any</option>
${(Object.keys(STATUS_LABELS) as ConnectionStatus[]).map(
  (s) => html`<option value="${s}"${status === s ? ' selected' : ''}>${STATUS_LABELS[s]}</option>`,
)}
</select></label>
<button type="submit">Filter</button></form>
${table(
  ['Connection id', 'Status', 'Google account', 'Scopes', 'Last refresh', 'Created', ''],
  rows.map(
    (c) => html`<tr><td class="id">${c.id}</td>
<td><span class="badge${c.status === 'reauth_required' ? ' bad' : c.status === 'active' ? ' good' : ''}">${STATUS_LABELS[c.status]}</span></td>
<td>${c.googleEmail ?? '—'}</td><td>${c.scopes.join(' ') || '—'}</td>
<td>${c.lastRefreshedAt ? timeTag(c.lastRefreshedAt, 'relative') : 'never'}</td><td>${timeTag(c.createdAt)}</td>
<td>${actionForm(`/admin/connections/${encodeURIComponent(c.id)}/delete`, 'Revoke and delete', csrfToken, { danger: true, secondary: true })}</td></tr>`,
  ),
  'No connections match.',
)}
${nextUrl ? html`<div class="pager"><a href="${nextUrl}">Next page →</a></div>` : ''}
${connectLinkForm(csrfToken)}`;
}
