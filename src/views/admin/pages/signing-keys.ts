import { html, type SafeHtml } from '../../html.js';
import { timeTag } from '../../time.js';
import { actionForm, table } from '../layout.js';

interface KeyRow {
  kid: string;
  algorithm: string;
  status: 'active' | 'retired';
  encryption_key_id: string;
  created_at: string;
  retired_at: string | null;
}

export function signingKeysBody(keys: KeyRow[], csrfToken: string): SafeHtml {
  return html`<h1>Signing keys</h1>
<p class="muted">Access and ID tokens are signed with the active key of each algorithm. A rotation retires them; retired
keys stay in the JWKS until the tokens they signed have expired.</p>
<div class="actions">${actionForm('/admin/signing-keys/rotate', 'Rotate signing keys', csrfToken)}</div>
${table(
  ['Key id', 'Algorithm', 'Status', 'Created', 'Retired', 'Encrypted under'],
  keys.map(
    (k) => html`<tr><td class="id">${k.kid}</td><td>${k.algorithm}</td>
<td>${k.status === 'active' ? html`<span class="badge good">active</span>` : html`<span class="badge">retired</span>`}</td>
<td>${timeTag(k.created_at)}</td><td>${timeTag(k.retired_at)}</td><td class="id">${k.encryption_key_id}</td></tr>`,
  ),
  'No signing keys yet (they are made on first use).',
)}`;
}
