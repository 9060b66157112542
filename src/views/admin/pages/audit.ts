import { AUDIT_EVENT_NAMES } from '../../../audit/audit-event.js';
import type { AuditFilterInput } from '../../../admin/audit-page.js';
import { html, type SafeHtml } from '../../html.js';
import { timeTag } from '../../time.js';
import { shortId, table } from '../layout.js';

interface AuditRow {
  occurred_at: string;
  event: string;
  actor: string | null;
  subject: string | null;
  client_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export function auditBody(events: AuditRow[], f: AuditFilterInput, me: string, nextUrl: string | null): SafeHtml {
  const input = (name: keyof AuditFilterInput, label: string, type = 'text') =>
    html`<label>${label}<input type="${type}" name="${name}" value="${String(f[name] ?? '')}"></label>`;
  return html`<h1>Audit log</h1>
<form class="filters" method="get" action="/admin/audit">
<label>Event<select name="event"><option value="">any</option>${AUDIT_EVENT_NAMES.map(
    (e) => html`<option${f.event === e ? ' selected' : ''}>${e}</option>`,
  )}</select></label>
${input('user_id', 'User (actor or subject)')}
${input('actor', 'Actor')}
${input('client_id', 'Client id')}
${input('since', 'Since (UTC)', 'datetime-local')}
${input('until', 'Until (UTC)', 'datetime-local')}
<button type="submit">Filter</button>
<a class="button small secondary" href="/admin/audit?actor=${encodeURIComponent(me)}">My actions</a>
</form>
${table(
  ['When', 'Event', 'Actor', 'Subject', 'Client', 'Address', 'Details'],
  events.map(
    (
      e,
    ) => html`<tr><td>${timeTag(e.occurred_at)}</td><td>${e.event}${typeof e.details.action === 'string' ? html`<br><span class="muted">${e.details.action}</span>` : ''}</td>
<td class="id">${shortId(e.actor)}</td><td class="id">${shortId(e.subject)}</td><td class="id">${shortId(e.client_id)}</td>
<td class="id">${e.ip ?? '—'}</td><td class="id details">${JSON.stringify(e.details)}</td></tr>`,
  ),
  'No events match.',
)}
${nextUrl ? html`<div class="pager"><a href="${nextUrl}">Older events →</a></div>` : ''}`;
}
