import { migrate } from '../../storage/migrate.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending migrations (safe while instances run: advisory lock)',
  synopsis: '',
  async run(ctx) {
    const applied = await migrate(await ctx.db({ migrate: false }));
    return { success: true, applied };
  },
};
