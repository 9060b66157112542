import { html, type SafeHtml } from './html.js';

export const STYLESHEET_PATH = '/assets/gatehouse.css';

/** Every page's document start, to the end of its head: no scripts, stylesheets from our origin. */
export function documentHead(title: string, stylesheets: readonly string[] = [STYLESHEET_PATH]): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
${stylesheets.map((href, i) => html`${i > 0 ? '\n' : ''}<link rel="stylesheet" href="${href}">`)}
</head>`;
}

/** The page shell every browser page shares; no scripts, one stylesheet from our origin. */
export function layout(title: string, body: SafeHtml): string {
  return html`${documentHead(`${title} · Gatehouse`)}
<body>
<main class="card">
${body}
</main>
</body>
</html>
`.toString();
}
