/** The one stylesheet, served from /assets/gatehouse.css (CSP style-src 'self'; no inline CSS). */
export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6475; --bg: #f4f5f8; --card: #fff;
  --line: #dde1e8; --accent: #1a56db; --danger: #b42318; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e8ee; --muted: #9aa3b5; --bg: #12151c; --card: #1b1f29; --line: #2c3342;
    --accent: #6b9cff; --danger: #ff8a80; }
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  display: flex; align-items: flex-start; justify-content: center; padding: 6vh 16px; }
.card { width: 100%; max-width: 440px; background: var(--card); border: 1px solid var(--line);
  border-radius: 12px; padding: 28px 24px; }
h1 { font-size: 1.4rem; margin: 0 0 12px; }
h2 { font-size: 1.05rem; margin: 24px 0 8px; }
p { margin: 0 0 12px; }
.muted { color: var(--muted); font-size: .92rem; }
.error { color: var(--danger); }
a { color: var(--accent); }
.button, button { display: block; width: 100%; text-align: center; padding: 12px 16px; margin: 12px 0 0;
  border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: #fff;
  font: inherit; font-weight: 600; text-decoration: none; cursor: pointer; }
.button.secondary, button.secondary { background: transparent; color: var(--accent); }
label { display: block; font-weight: 600; margin: 12px 0 4px; }
input[type=email], input[type=text] { width: 100%; padding: 10px 12px; border: 1px solid var(--line);
  border-radius: 8px; font: inherit; background: var(--bg); color: var(--fg); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.avatar { width: 56px; height: 56px; border-radius: 50%; float: right; }
ul.scopes { padding-left: 18px; margin: 4px 0; overflow-wrap: anywhere; }
.notice { border: 1px solid var(--accent); border-radius: 8px; padding: 10px 12px; margin: 0 0 16px; }
time { white-space: nowrap; }
.banner { border: 2px dashed var(--danger); border-radius: 8px; padding: 8px 12px; margin-bottom: 16px; }
`;
