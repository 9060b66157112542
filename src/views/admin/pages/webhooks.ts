import type { Delivery, Webhook } from '../../../webhooks/webhook-store.js';
import { html, type SafeHtml } from '../../html.js';
import { timeTag } from '../../time.js';
import { actionForm, table } from '../layout.js';

export function webhooksBody(hooks: { hook: Webhook; deliveries: Delivery[] }[], csrfToken: string): SafeHtml {
  return html`<h1>Webhooks</h1>
<p class="muted">Receivers are created with the admin API or <code>gatehouse webhooks create</code> (the signing secret is shown once there).</p>
${hooks.length === 0 ? html`<p class="muted">No webhook receivers.</p>` : ''}
${hooks.map(
  ({ hook, deliveries }) => html`<h2 class="id">${hook.url}</h2>
<p class="muted">Events: ${hook.events.join(', ')} · created ${timeTag(hook.createdAt)}</p>
${table(
  ['Event', 'Attempts', 'Last answer', 'State', ''],
  deliveries.map((d) => {
    const last = d.attempts[d.attempts.length - 1];
    return html`<tr><td>${d.eventType}</td><td>${d.attempts.length}</td>
<td>${last ? html`${last.status_code ?? last.error ?? '—'} · ${timeTag(last.at, 'relative')}` : '—'}</td>
<td>${d.deliveredAt ? html`<span class="badge good">delivered</span>` : d.nextAttemptAt ? html`next ${timeTag(d.nextAttemptAt, 'relative')}` : html`<span class="badge bad">given up</span>`}</td>
<td>${actionForm(`/admin/webhooks/${hook.id}/deliveries/${d.id}/retry`, 'Retry', csrfToken, { secondary: true })}</td></tr>`;
  }),
  'No deliveries yet.',
)}`,
)}`;
}
