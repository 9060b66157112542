import fp from 'fastify-plugin';
import { createGoogleClient, type GoogleClient } from '../google/client.js';
import { resolveGoogleSettings } from '../google/settings.js';
import {
  createGoogleCredentialsRepository,
  type GoogleCredentialsRepository,
} from '../repositories/google-credentials.js';
import { createUsersRepository, type UsersRepository } from '../repositories/users.js';
import { UserProfileCache } from '../users/profile-cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The upstream Google client, pointed at the real Google, a fake, or the dev mock. */
    google: GoogleClient;
    users: UsersRepository;
    /** People for the per-request user endpoints, cached in process. */
    userProfiles: UserProfileCache;
    googleCredentials: GoogleCredentialsRepository;
  }
}

/** Google and the people and credentials that come from it. */
export const googlePlugin = fp(
  async (app) => {
    app.decorate('google', createGoogleClient(resolveGoogleSettings(app.config)));
    const users = createUsersRepository(app.db, { loginClientId: app.config.google.login_client_id });
    app.decorate('users', users);
    const profiles = new UserProfileCache(users, app.cache, app.log);
    await profiles.start();
    app.addHook('onClose', async () => profiles.stop());
    app.decorate('userProfiles', profiles);
    app.decorate('googleCredentials', createGoogleCredentialsRepository(app.db, app.keyring));
  },
  { name: 'google', dependencies: ['core'] },
);
