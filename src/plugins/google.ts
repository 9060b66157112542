import fp from 'fastify-plugin';
import { createGoogleClient, type GoogleClient } from '../google/client.js';
import { resolveGoogleSettings } from '../google/settings.js';
import { UserProfileCache } from '../users/profile-cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The upstream Google client, pointed at the real Google, a fake, or the dev mock. */
    google: GoogleClient;
    /** People for the per-request user endpoints, cached in process. */
    userProfiles: UserProfileCache;
  }
}

/** The upstream Google client, and the per-request people cache. */
export const googlePlugin = fp(
  async (app) => {
    app.decorate('google', createGoogleClient(resolveGoogleSettings(app.config)));
    const profiles = new UserProfileCache(app.repos.users, app.cache, app.log);
    await profiles.start();
    app.addHook('onClose', async () => profiles.stop());
    app.decorate('userProfiles', profiles);
  },
  { name: 'google', dependencies: ['core'] },
);
