import { html } from '../html.js';
import { layout } from '../layout.js';

/** GET / in a browser: what this is, and where a person goes next. */
export function landingPage(p: { signedInAs: string | null; admin: boolean }): string {
  return layout(
    'Gatehouse',
    html`<h1>Gatehouse</h1>
<p>This is the company's sign-in service. Apps send you here to sign in with your Google account.</p>
${
  p.signedInAs
    ? html`<p>Signed in as <strong>${p.signedInAs}</strong>.</p>
<a class="button" href="/account">Your account</a>
${p.admin ? html`<a class="button secondary" href="/admin">Admin console</a>` : ''}`
    : html`<a class="button" href="/login">Sign in</a>`
}
<p class="muted">Developers: <a href="/docs">API documentation</a>.</p>`,
  );
}

/** A page that does not exist, for a browser. */
export function notFoundPage(): string {
  return layout(
    'Page not found',
    html`<h1>Page not found</h1>
<p>There is nothing at this address. It may have been mistyped, or the link is out of date.</p>
<a class="button" href="/">Go to the start page</a>`,
  );
}

/** The favicon: a gate, in the accent colour. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1a56db"/><path d="M8 26V12a8 8 0 0 1 16 0v14h-4V12a4 4 0 0 0-8 0v14z" fill="#fff"/></svg>`;
