import type { UserDetail } from '../../../admin/user-detail.js';
import type { UserSummary } from '../../../repositories/users.js';
import { html, type SafeHtml } from '../../html.js';
import { timeTag } from '../../time.js';
import { actionForm, csrfField, table } from '../layout.js';

export function userListBody(users: UserSummary[], query: string, nextUrl: string | null): SafeHtml {
  return html`<h1>Users</h1>
<form class="filters" method="get" action="/admin/users" role="search">
<label>Search<input type="search" name="query" value="${query}" placeholder="email, username, name or id"></label>
<button type="submit">Search</button></form>
${table(
  ['Name', 'Email', 'Username', 'Joined'],
  users.map(
    (u) => html`<tr><td><a href="/admin/users/${u.id}">${u.name ?? u.username}</a></td>
<td>${u.email ?? '—'}${u.email && !u.email_verified ? html` <span class="badge bad">unverified</span>` : ''}</td>
<td>${u.username}</td><td>${timeTag(u.created_at)}</td></tr>`,
  ),
  query ? 'Nobody matches.' : 'No users yet.',
)}
${nextUrl ? html`<div class="pager"><a href="${nextUrl}">Next page →</a></div>` : ''}`;
}

export function userDetailBody(u: UserDetail, csrfToken: string): SafeHtml {
  const base = `/admin/users/${u.id}`;
  const g = u.google;
  return html`<h1>${u.name ?? u.username}</h1>
<dl>
<dt>User id</dt><dd><code>${u.id}</code></dd>
<dt>Username</dt><dd>${u.username}</dd>
<dt>Email</dt><dd>${u.email ?? '—'}${u.email_verified ? '' : ' (unverified)'}</dd>
<dt>Joined</dt><dd>${timeTag(u.created_at)}</dd>
</dl>
<h2>Google connection</h2>
<dl>
<dt>Status</dt><dd>${
    g.status === 'active'
      ? html`<span class="badge good">connected</span>`
      : g.status === 'reauth_required'
        ? html`<span class="badge bad">needs sign-in again</span>`
        : html`<span class="badge">not connected</span>`
  }</dd>
<dt>Offline access</dt><dd>${g.offline ? 'Yes' : 'No'}</dd>
<dt>Last refresh</dt><dd>${g.last_refreshed_at ? timeTag(g.last_refreshed_at, 'relative') : 'never'}</dd>
<dt>Scopes</dt><dd>${g.scopes.length ? html`<ul class="scopes">${g.scopes.map((s) => html`<li>${s}</li>`)}</ul>` : '—'}</dd>
</dl>
<h2>Sessions</h2>
${table(
  ['Signed in', 'Last seen', 'Ends'],
  u.sessions.map(
    (s) =>
      html`<tr><td>${timeTag(s.created_at)}</td><td>${timeTag(s.last_seen_at, 'relative')}</td><td>${timeTag(s.expires_at)}</td></tr>`,
  ),
  'No live sessions.',
)}
<h2>Connected apps</h2>
${table(
  ['App', 'Client id', 'Scopes', 'Since'],
  u.apps.map(
    (a) =>
      html`<tr><td>${a.app_name}</td><td class="id">${a.client_id}</td><td>${a.scope}</td><td>${timeTag(a.since)}</td></tr>`,
  ),
  'No app holds access.',
)}
<h2>Actions</h2>
<div class="actions">
${actionForm(`${base}/sign-out`, 'Sign out everywhere', csrfToken)}
<a class="button small secondary" href="/admin/audit?user_id=${encodeURIComponent(u.id)}">Audit events</a>
</div>
<form class="stack" method="post" action="${base}/delete">${csrfField(csrfToken)}
<label class="check"><input type="checkbox" name="confirm" required> Delete this person and everything that names them (cannot be undone)</label>
<button type="submit" class="small danger">Delete user</button></form>`;
}
