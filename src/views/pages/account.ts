import type { GoogleCredential } from '../../repositories/google-credentials.js';
import type { User } from '../../repositories/users.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import { timeTag } from '../time.js';

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
  /** Why the last username change was refused, shown by the form. */
  usernameError?: string | null;
  /** The notice after a change ("Username changed."). */
  notice?: string | null;
}): string {
  const u = p.user;
  const c = p.credential;
  // Two apps with one name are told apart by their client id.
  const sameName = (a: ConnectedApp) => p.apps.filter((b) => b.app_name === a.app_name).length > 1;
  const google = c
    ? html`<dl>
<dt>Status</dt><dd>${c.status === 'active' ? 'Connected' : 'Needs you to sign in again'}</dd>
<dt>Google account</dt><dd>${c.email ?? u.email ?? ''}</dd>
<dt>Offline access</dt><dd>${c.hasRefreshToken ? 'Yes' : 'No'}</dd>
<dt>Access token until</dt><dd>${timeTag(c.accessTokenExpiresAt)}</dd>
</dl>
<p class="muted">Scopes granted to Gatehouse:</p>
<ul class="scopes">${c.scopes.map((s) => html`<li>${s}</li>`)}</ul>`
    : html`<p>Not connected.</p>`;
  const picture =
    u.picture && /^https?:\/\//.test(u.picture) ? html`<img class="avatar" src="${u.picture}" alt="">` : '';
  return layout(
    'Your account',
    html`${p.notice ? html`<p class="notice" role="status">${p.notice}</p>` : ''}${picture}<h1>${u.name ?? u.username}</h1>
<dl>
<dt>Username</dt><dd>${u.username}</dd>
<dt>Email</dt><dd>${u.email ?? '—'}${u.emailVerified ? '' : ' (unverified)'}</dd>
<dt>Name</dt><dd>${[u.firstName, u.lastName].filter(Boolean).join(' ') || '—'}</dd>
</dl>
<form method="post" action="/account/username" class="username-form"><input type="hidden" name="csrf_token" value="${p.csrfToken}">
<label for="new_username">Change username</label>
<input type="text" id="new_username" name="new_username" required minlength="3" maxlength="32" pattern="[A-Za-z0-9_.\-]{3,32}" value="${u.username}" autocomplete="username">
<p class="muted">3 to 32 characters: letters, digits, _ . and -.</p>
${p.usernameError ? html`<p class="error" role="alert">${p.usernameError}</p>` : ''}
<button type="submit" class="secondary">Save username</button></form>
<h2>Connected apps</h2>
${
  p.apps.length === 0
    ? html`<p class="muted">No app holds access to your account.</p>`
    : html`<ul class="apps">${p.apps.map(
        (
          a,
        ) => html`<li><strong>${a.app_name}</strong>${sameName(a) ? html` <span class="muted">(${a.client_id.slice(0, 8)}…)</span>` : ''}<br><span class="muted">${a.scope} · since ${timeTag(a.since)}</span>
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
