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

/**
 * A command about one thing named by id (`gatehouse clients disable <client id>`): the id is the
 * only positional and, when `idSchema` is given, bad ids are a usage error naming `idMeaning`.
 */
export function idCommand(c: {
  name: string;
  summary: string;
  /** What the usage line calls the id, e.g. `client id`. */
  id: string;
  idSchema?: { safeParse(value: unknown): { success: boolean } };
  /** "an API key id (a UUID)": how a bad id is explained. */
  idMeaning?: string;
  details?: string[];
  options?: OptionSpec;
  /** What follows `<id>` in the usage line (options). */
  synopsis?: string;
  run(ctx: CliContext, id: string, args: ParsedArgs): Promise<unknown>;
}): Command {
  return {
    name: c.name,
    summary: c.summary,
    synopsis: `<${c.id}>${c.synopsis ? ` ${c.synopsis}` : ''}`,
    positionals: [c.id],
    ...(c.details ? { details: c.details } : {}),
    ...(c.options ? { options: c.options } : {}),
    async run(ctx, args) {
      const id = args.positionals[0]!;
      if (c.idSchema && !c.idSchema.safeParse(id).success)
        throw new UsageError(`'${id}' is not ${c.idMeaning ?? `a ${c.id}`}`);
      return c.run(ctx, id, args);
    },
  };
}
