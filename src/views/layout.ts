import { html, type SafeHtml } from './html.js';

export const STYLESHEET_PATH = '/assets/gatehouse.css';

/** The page shell every browser page shares; no scripts, one stylesheet from our origin. */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Gatehouse</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main class="card">
${body}
</main>
</body>
</html>
`.toString();
}
