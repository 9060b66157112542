import type { Command } from '../command.js';
import { apiKeyCommands } from './api-keys.js';
import { clientCommands } from './clients.js';
import { migrateCommand } from './migrate.js';
import { userCommands } from './users.js';
import { keyCommands } from './keys.js';
import { janitorCommands } from './janitor.js';
import { webhookCommands } from './webhooks.js';
import { connectionCommands } from './connections.js';
import { auditCommands } from './audit.js';

/**
 * Every command the CLI knows, in the order `--help` lists them.
 *
 * To add one (e.g. `keys rotate`, `keys reencrypt`, `janitor run`): write a Command in a file
 * of this folder (`keys.ts`, `janitor.ts`) and append it here; dispatch, `--help`, argument
 * parsing, JSON output and exit codes come from index.ts. Reuse the module the HTTP route or
 * the server uses, so the CLI never has its own copy of a rule.
 */
export const COMMANDS: Command[] = [
  migrateCommand,
  ...clientCommands,
  ...apiKeyCommands,
  ...userCommands,
  ...connectionCommands,
  ...auditCommands,
  ...keyCommands,
  ...janitorCommands,
  ...webhookCommands,
];
