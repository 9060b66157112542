import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfTokenFor } from '../sign-in/csrf.js';
import type { SafeHtml } from '../views/html.js';
import { adminLayout, type AdminSection } from '../views/admin/layout.js';
import { sendPage } from '../views/reply.js';

/** Every console form carries the session's CSRF token (checked by the guard). */
export const formBase = z.object({ csrf_token: z.string().max(256).optional() });

/** A text field: trimmed, at most max characters; empty is undefined. */
export const field = (max = 2000) =>
  z.preprocess((v) => (typeof v === 'string' ? v.trim() || undefined : v), z.string().max(max).optional());

/** A checkbox: present ("on") or absent. */
export const checkbox = z.preprocess((v) => v === 'on' || v === 'true', z.boolean());

/** One value per line (or comma-separated): redirect URIs, client ids. */
export function lines(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\r\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Notices after an action, by code: the query string picks one, it never carries text. */
const NOTICES: Record<string, string> = {
  client_saved: 'Client saved.',
  client_disabled: 'Client disabled: its tokens no longer work.',
  client_purged: 'Client purged: disabled, its tokens and consents deleted.',
  api_key_revoked: 'API key revoked.',
  signed_out: 'Signed out everywhere: every session and token of this person has ended.',
  user_deleted: 'User deleted.',
  keys_rotated: 'Signing keys rotated. Retired keys stay published until their tokens expire.',
  connection_deleted: 'Connection deleted.',
  delivery_retried: 'Delivery queued for another attempt.',
};

export const noticeQuery = z.object({ done: z.string().max(40).optional() });

/** Renders a console page for the signed-in admin. */
export function renderConsole(
  request: FastifyRequest,
  reply: FastifyReply,
  page: { title: string; section: AdminSection; body: SafeHtml; status?: number; notice?: string | null },
): FastifyReply {
  const done = (request.query as { done?: string } | undefined)?.done;
  const notice = page.notice ?? (done ? NOTICES[done] : undefined);
  const user = request.user!;
  return sendPage(
    reply,
    adminLayout(
      page.title,
      page.section,
      { admin: user.email ?? user.username, csrfToken: csrfTokenFor(request)!, notice },
      page.body,
    ),
    page.status ?? 200,
  );
}
