import { z } from 'zod';
import type { Repositories } from '../repositories/index.js';

/** A person as the admin API lists them. */
export const userSummarySchema = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  email_verified: z.boolean(),
  created_at: z.string(),
});

/** One person in full: the summary, their Google connection, sessions and connected apps. */
export const userDetailSchema = userSummarySchema.extend({
  picture: z.string().nullable(),
  google: z.object({
    status: z.enum(['active', 'reauth_required', 'not_connected']),
    email: z.string().nullable(),
    scopes: z.array(z.string()),
    offline: z.boolean(),
    last_refreshed_at: z.string().nullable(),
  }),
  sessions: z.array(z.object({ created_at: z.string(), last_seen_at: z.string(), expires_at: z.string() })),
  apps: z.array(z.object({ client_id: z.string(), app_name: z.string(), scope: z.string(), since: z.string() })),
});

export type UserDetail = z.infer<typeof userDetailSchema>;

export interface UserDetailDeps {
  repos: Pick<Repositories, 'users' | 'googleCredentials' | 'sessions' | 'tokenFamilies'>;
}

/** What the admin API and console show of a person; null when there is none. */
export async function loadUserDetail(deps: UserDetailDeps, id: string): Promise<UserDetail | null> {
  const user = await deps.repos.users.findById(id);
  if (!user) return null;
  const [credential, sessions, apps] = await Promise.all([
    deps.repos.googleCredentials.findByOwner({ userId: id }),
    deps.repos.sessions.listForUser(id),
    deps.repos.tokenFamilies.appsOfUser(id),
  ]);
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    name: user.name,
    email_verified: user.emailVerified,
    created_at: user.createdAt.toISOString(),
    picture: user.picture,
    google: {
      status: credential?.status ?? 'not_connected',
      email: credential?.email ?? null,
      scopes: credential?.scopes ?? [],
      offline: credential?.hasRefreshToken ?? false,
      last_refreshed_at: credential?.lastRefreshedAt?.toISOString() ?? null,
    },
    sessions: sessions.map((s) => ({
      created_at: s.createdAt.toISOString(),
      last_seen_at: s.lastSeenAt.toISOString(),
      expires_at: s.expiresAt.toISOString(),
    })),
    apps: apps.map((a) => ({
      client_id: a.client_id,
      app_name: a.app_name,
      scope: a.scope,
      since: new Date(a.since).toISOString(),
    })),
  };
}
