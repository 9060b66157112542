import type { ConnectionStatus, ConnectionPageRow } from '../../../repositories/connections.js';
import { html, type SafeHtml } from '../../html.js';
import { timeTag } from '../../time.js';
import { actionForm, table } from '../layout.js';

const STATUS_LABELS: Record<ConnectionStatus, string> = {
  active: 'connected',
  reauth_required: 'needs sign-in again',
  not_connected: 'not connected',
};

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
${nextUrl ? html`<div class="pager"><a href="${nextUrl}">Next page →</a></div>` : ''}`;
}
