/** The console's own stylesheet, after the shared one: wider pages, tables, compact buttons. */
export const ADMIN_STYLESHEET_PATH = '/assets/admin.css';

export const ADMIN_STYLESHEET = `
body.admin { padding: 0 0 40px; display: block; }
.admin-top { background: var(--card); border-bottom: 1px solid var(--line); padding: 10px 16px;
  display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; }
.admin-top .brand { font-weight: 700; margin-right: 8px; }
.admin-top nav { display: flex; flex-wrap: wrap; gap: 4px 14px; }
.admin-top nav a { text-decoration: none; padding: 4px 0; }
.admin-top nav a[aria-current=page] { font-weight: 700; text-decoration: underline; }
.admin-top .who { margin-left: auto; display: flex; gap: 10px; align-items: center; font-size: .9rem; }
.admin-top .who form { margin: 0; }
.admin main.card { max-width: 1040px; margin: 20px auto; }
@media (max-width: 600px) { .admin main.card { margin: 12px 8px; width: auto; padding: 18px 14px; }
  .admin-top .who { margin-left: 0; width: 100%; } }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: 8px 10px 8px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; }
td.details { min-width: 260px; }
td.id, code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; overflow-wrap: anywhere; }
time { white-space: nowrap; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
.actions form { margin: 0; }
button.small, .button.small { display: inline-block; width: auto; padding: 6px 12px; margin: 0; font-size: .9rem; }
button.danger { background: var(--danger); border-color: var(--danger); }
button.danger.secondary { background: transparent; color: var(--danger); }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; margin: 8px 0 12px; }
form.filters label { margin: 0; font-weight: 600; font-size: .85rem; }
form.filters input, form.filters select { display: block; margin-top: 4px; }
form.filters button { width: auto; margin: 0; padding: 9px 16px; }
form.stack { max-width: 560px; }
input[type=search], input[type=url], input[type=datetime-local], select, textarea { width: 100%; padding: 9px 12px;
  border: 1px solid var(--line); border-radius: 8px; font: inherit; background: var(--bg); color: var(--fg); }
textarea { min-height: 84px; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .88rem; }
form.stack button { width: auto; padding: 10px 20px; }
.check { display: flex; gap: 8px; align-items: center; font-weight: 400; margin: 8px 0; }
.notice { border: 1px solid var(--accent); border-radius: 8px; padding: 10px 12px; margin: 0 0 16px; }
.secret { border: 2px solid var(--danger); border-radius: 8px; padding: 12px; margin: 8px 0 16px; }
.secret code { display: block; font-size: 1rem; padding: 8px; margin: 6px 0; background: var(--bg); border-radius: 6px;
  user-select: all; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; border: 1px solid var(--line); font-size: .8rem;
  white-space: nowrap; }
.badge.bad { border-color: var(--danger); color: var(--danger); }
.badge.good { border-color: var(--accent); color: var(--accent); }
.pager { display: flex; gap: 12px; margin: 12px 0; }
`;
