import { html } from '../html.js';
import { layout } from '../layout.js';

/** A friendly page for anything that went wrong in a browser flow; never a stack or a token. */
export function errorPage(p: { title: string; message: string; retryUrl?: string }): string {
  return layout(
    p.title,
    html`<h1 class="error">${p.title}</h1>
<p>${p.message}</p>
<a class="button" href="${p.retryUrl ?? '/login'}">Try again</a>`,
  );
}
