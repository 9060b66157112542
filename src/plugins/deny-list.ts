import fp from 'fastify-plugin';
import { DenyList } from '../oauth/deny-list.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Revoked access tokens and families, checked without a network round trip. */
    denyList: DenyList;
  }
}

export const denyListPlugin = fp(
  async (app) => {
    const denyList = new DenyList(app.repos.accessDenials, app.cache);
    await denyList.start();
    app.decorate('denyList', denyList);
    app.addHook('onClose', async () => denyList.stop());
  },
  { name: 'deny-list', dependencies: ['core'] },
);
