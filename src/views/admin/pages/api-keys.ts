import { API_KEY_SCOPES, type ApiKey } from '../../../api-keys/api-key.js';
import { html, type SafeHtml } from '../../html.js';
import { timeTag } from '../../time.js';
import { actionForm, csrfField, table } from '../layout.js';

function defaultSubjectText(k: ApiKey): string {
  if (!k.default_subject) return '—';
  return 'subject' in k.default_subject ? k.default_subject.subject : `connection ${k.default_subject.connection_id}`;
}

export function apiKeysBody(keys: ApiKey[], csrfToken: string, error?: string): SafeHtml {
  return html`<h1>API keys</h1>
${table(
  ['Name', 'Scopes', 'Default subject', 'Allowed clients', 'Created', 'Last used', ''],
  keys.map(
    (k) => html`<tr><td>${k.name}<br><span class="muted id">${k.id}</span></td>
<td>${k.scopes.join(', ')}</td><td>${defaultSubjectText(k)}</td><td class="id">${k.allowed_clients.join(', ') || '—'}</td>
<td>${timeTag(k.created_at)}</td><td>${k.last_used_at ? timeTag(k.last_used_at, 'relative') : 'never'}</td>
<td>${k.revoked ? html`<span class="badge bad">revoked</span>` : actionForm(`/admin/api-keys/${k.id}/revoke`, 'Revoke', csrfToken, { danger: true, secondary: true })}</td></tr>`,
  ),
  'No API keys yet.',
)}
<h2>New API key</h2>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="stack" method="post" action="/admin/api-keys">${csrfField(csrfToken)}
<label for="name">Name</label><input type="text" id="name" name="name" required maxlength="100">
<fieldset><legend>Scopes</legend>${API_KEY_SCOPES.map(
    (s) =>
      html`<label class="check"><input type="checkbox" name="scope_${s}"${s === 'tokens' ? ' checked' : ''}> ${s}</label>`,
  )}</fieldset>
<label for="default_subject">Default subject <span class="muted">(optional: a user id, username or verified email)</span></label>
<input type="text" id="default_subject" name="default_subject">
<label for="default_connection">…or default connection id <span class="muted">(optional)</span></label>
<input type="text" id="default_connection" name="default_connection">
<label for="allowed_clients">Allowed clients <span class="muted">(external keys only; client ids, one per line)</span></label>
<textarea id="allowed_clients" name="allowed_clients"></textarea>
<button type="submit">Create API key</button></form>`;
}

export function apiKeyCreatedBody(k: ApiKey, key: string): SafeHtml {
  return html`<h1>API key created: ${k.name}</h1>
<div class="secret"><strong>API key — shown once.</strong> Copy it now; Gatehouse keeps only a hash.
<code id="api-key">${key}</code></div>
<a class="button small" href="/admin/api-keys">Back to API keys</a>`;
}
