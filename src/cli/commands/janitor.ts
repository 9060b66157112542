import { runJanitorPass } from '../../janitor/janitor-pass.js';
import type { Command } from '../command.js';

const stderrLog = {
  info: () => {},
  warn: (_obj: unknown, msg: string) => console.error(`gatehouse: ${msg}`),
  error: (_obj: unknown, msg: string) => console.error(`gatehouse: ${msg}`),
};

const run: Command = {
  name: 'janitor run',
  summary: 'one clean-up pass now (expired codes, tokens, sessions, links, old audit events)',
  synopsis: '',
  async run(ctx) {
    const result = await runJanitorPass({
      db: await ctx.db(),
      repos: await ctx.repos(),
      config: ctx.config,
      log: stderrLog,
    });
    // A kind that failed is retried by the next pass; the command still reports it as a failure.
    if (result.failed.length > 0) process.exitCode = 1;
    return { success: result.failed.length === 0, ...result };
  },
};

export const janitorCommands: Command[] = [run];
