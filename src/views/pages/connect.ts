import { html } from '../html.js';
import { layout } from '../layout.js';

/**
 * The end of a connect link, good or bad. No "try again" button: only the service that sent
 * the link can make a new one.
 */
export function connectResultPage(p: { title: string; message: string; error: boolean }): string {
  return layout(p.title, html`<h1${p.error ? html` class="error"` : ''}>${p.title}</h1>
<p>${p.message}</p>`);
}
