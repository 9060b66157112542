import type { GoogleCredential } from '../../repositories/google-credentials.js';
import type { User } from '../../repositories/users.js';
import { html } from '../html.js';
import { layout } from '../layout.js';

export interface ConnectedApp {
  client_id: string;
  app_name: string;
  scope: string;
  since: Date;
}

export function accountPage(p: {
  user: User;
  credential: GoogleCredential | null;
  apps: ConnectedApp[];
  csrfToken: string;
}): string {
  const u = p.user;
  const c = p.credential;
  const google = c
    ? html`<dl>
<dt>Status</dt><dd>${c.status === 'active' ? 'Connected' : 'Needs you to sign in again'}</dd>
<dt>Google account</dt><dd>${c.email ?? u.email ?? ''}</dd>
<dt>Offline access</dt><dd>${c.hasRefreshToken ? 'Yes' : 'No'}</dd>
<dt>Access token until</dt><dd>${c.accessTokenExpiresAt?.toISOString() ?? '—'}</dd>
</dl>
<p class="muted">Scopes granted to Gatehouse:</p>
<ul class="scopes">${c.scopes.map((s) => html`<li>${s}</li>`)}</ul>`
    : html`<p>Not connected.</p>`;
  const picture =
    u.picture && /^https:\/\//.test(u.picture) ? html`<img class="avatar" src="${u.picture}" alt="">` : '';
  return layout(
    'Your account',
    html`${picture}<h1>${u.name ?? u.username}</h1>
<dl>
<dt>Username</dt><dd>${u.username}</dd>
<dt>Email</dt><dd>${u.email ?? '—'}${u.emailVerified ? '' : ' (unverified)'}</dd>
<dt>Name</dt><dd>${[u.firstName, u.lastName].filter(Boolean).join(' ') || '—'}</dd>
</dl>
<h2>Connected apps</h2>
${
  p.apps.length === 0
    ? html`<p class="muted">No app holds access to your account.</p>`
    : html`<ul class="apps">${p.apps.map(
        (
          a,
        ) => html`<li><strong>${a.app_name}</strong> <span class="muted">${a.scope} · since ${a.since.toISOString().slice(0, 10)}</span>
<form method="post" action="/account/apps/${encodeURIComponent(a.client_id)}/revoke"><input type="hidden" name="csrf_token" value="${p.csrfToken}">
<button type="submit" class="secondary">Remove access</button></form></li>`,
      )}</ul>`
}
<h2>Google connection</h2>
${google}
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="${p.csrfToken}">
<button type="submit" class="secondary">Sign out</button></form>`,
  );
}
