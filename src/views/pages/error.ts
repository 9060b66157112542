import { html } from '../html.js';
import { layout } from '../layout.js';

/** A friendly page for anything that went wrong in a browser flow; never a stack or a token. */
export function errorPage(p: {
  title: string;
  message: string;
  /** Where the button goes; null shows no button (nothing the person can retry). */
  retryUrl?: string | null;
  retryLabel?: string;
}): string {
  return layout(
    p.title,
    html`<h1 class="error">${p.title}</h1>
<p>${p.message}</p>
${p.retryUrl === null ? '' : html`<a class="button" href="${p.retryUrl ?? '/login'}">${p.retryLabel ?? 'Try again'}</a>`}`,
  );
}
