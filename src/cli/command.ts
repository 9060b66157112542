import type { ParseArgsConfig } from 'node:util';
import type { CliContext } from './context.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/**
 * One CLI command: `name` is what the user types (`clients create`), `run` returns what is
 * printed to stdout as JSON. Throw UsageError for bad arguments (exit 2).
 */
export interface Command {
  name: string;
  summary: string;
  /** Everything after `gatehouse <name>` in the usage line, e.g. `<id>` or `--name <name>`. */
  synopsis: string;
  /** One line per option for --help. */
  details?: string[];
  options?: OptionSpec;
  /** Exactly this many positional arguments (default 0). */
  positionals?: string[];
  run(ctx: CliContext, args: ParsedArgs): Promise<unknown>;
}

/** Bad arguments or input: one line on stderr and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function requiredString(args: ParsedArgs, name: string): string {
  const v = args.values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function stringList(args: ParsedArgs, name: string): string[] | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v])
    .map(String)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

export function positiveInt(args: ParsedArgs, name: string, fallback: number, max: number): number {
  const v = args.values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be an integer from 1 to ${max}`);
  return n;
}
