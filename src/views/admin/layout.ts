import { documentHead, STYLESHEET_PATH } from '../layout.js';
import { html, type SafeHtml } from '../html.js';
import { ADMIN_STYLESHEET_PATH } from './style.js';

export const ADMIN_SECTIONS = [
  ['clients', 'Clients'],
  ['api-keys', 'API keys'],
  ['users', 'Users'],
  ['connections', 'Connections'],
  ['audit', 'Audit log'],
  ['signing-keys', 'Signing keys'],
  ['webhooks', 'Webhooks'],
] as const;

export type AdminSection = (typeof ADMIN_SECTIONS)[number][0];

/** What every console page knows about the request. */
export interface AdminPageContext {
  /** The signed-in admin's email, shown in the header. */
  admin: string;
  csrfToken: string;
  /** A one-line notice after an action ("Client disabled."). */
  notice?: string | null | undefined;
}

/** The console shell: header with the sections, the admin and sign-out; no scripts. */
export function adminLayout(title: string, section: AdminSection, ctx: AdminPageContext, body: SafeHtml): string {
  return html`${documentHead(`${title} · Gatehouse admin`, [STYLESHEET_PATH, ADMIN_STYLESHEET_PATH])}
<body class="admin">
<header class="admin-top">
<a class="brand" href="/admin">Gatehouse admin</a>
<nav aria-label="Admin sections">${ADMIN_SECTIONS.map(
    ([id, label]) => html`<a href="/admin/${id}"${section === id ? html` aria-current="page"` : ''}>${label}</a>`,
  )}</nav>
<div class="who"><span class="muted">${ctx.admin}</span>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="${ctx.csrfToken}">
<button type="submit" class="small secondary">Sign out</button></form></div>
</header>
<main class="card">
${ctx.notice ? html`<p class="notice" role="status">${ctx.notice}</p>` : ''}
${body}
</main>
</body>
</html>
`.toString();
}

/** A hidden CSRF field; every console form carries one. */
export const csrfField = (token: string) => html`<input type="hidden" name="csrf_token" value="${token}">`;

/** A one-button POST form (an action on a row). */
export function actionForm(
  action: string,
  label: string,
  csrfToken: string,
  opts: { danger?: boolean; secondary?: boolean; fields?: Record<string, string> } = {},
): SafeHtml {
  const cls = ['small', opts.danger ? 'danger' : '', opts.secondary ? 'secondary' : ''].filter(Boolean).join(' ');
  return html`<form method="post" action="${action}">${csrfField(csrfToken)}${Object.entries(opts.fields ?? {}).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}<button type="submit" class="${cls}">${label}</button></form>`;
}

/** A table that scrolls sideways on a phone instead of overflowing the page. */
export function table(headers: string[], rows: SafeHtml[], empty: string): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<div class="table-wrap"><table><thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

/** A long id in a table cell: its start, the whole of it in the tooltip (and in copy-paste). */
export function shortId(id: string | null): SafeHtml | string {
  if (id === null) return '—';
  if (id.length <= 14) return id;
  return html`<span title="${id}">${id.slice(0, 8)}…</span>`;
}
