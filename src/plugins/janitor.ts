import fp from 'fastify-plugin';
import { JanitorSchedule } from '../janitor/scheduler.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Periodic clean-up of expired and retired rows (janitor.interval_seconds; 0 = off). */
    janitor: JanitorSchedule;
  }
}

export const janitorPlugin = fp(
  async (app) => {
    const janitor = new JanitorSchedule(
      {
        db: app.db,
        config: app.config,
        repos: app.repos,
        google: app.google,
        log: app.log.child({ component: 'janitor' }),
      },
      { intervalMs: app.config.janitor.interval_seconds * 1000 },
    );
    app.decorate('janitor', janitor);
    // Start once the app is ready, so a pass never runs against a half-registered app; stop
    // before the caller closes the database.
    app.addHook('onReady', async () => janitor.start());
    app.addHook('onClose', async () => janitor.stop());
  },
  { name: 'janitor', dependencies: ['core', 'google'] },
);
