import { parseArgs } from 'node:util';
import { buildInfo } from '../build-info.js';
import { ConfigError } from '../config/load.js';
import { ApiError } from '../oauth/errors.js';
import { describeFailure } from '../startup-failure.js';
import { UsageError, type Command, type ParsedArgs } from './command.js';
import { CliContext } from './context.js';
import { COMMANDS } from './commands/index.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const HELP = new Set(['--help', '-h', 'help']);
const VERSION = new Set(['--version', '-V', 'version']);

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: gatehouse <command> [options]      (npm run cli -- <command> [options])',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command prints JSON on stdout and reads configuration like the server (config.yml, .env,',
    'environment). `gatehouse <command> --help` for its options; `gatehouse --version` prints the version.',
    'Exit codes: 0 ok, 1 failed, 2 bad arguments.',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [
    `usage: gatehouse ${c.name}${c.synopsis ? ` ${c.synopsis}` : ''}`,
    '',
    `  ${c.summary}`,
    ...(c.details ?? []).map((d) => `  ${d}`),
  ].join('\n');
}

/** The command named by the first one or two words, and the arguments after it. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

function parse(command: Command, rest: string[]): ParsedArgs & { help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // node:util messages are multi-line; the first line names the problem.
    throw new UsageError((err as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, ''));
  }
  const { help, ...values } = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (help) return { values, positionals: parsed.positionals, help: true };
  const expected = command.positionals ?? [];
  if (parsed.positionals.length !== expected.length) {
    throw new UsageError(
      expected.length === 0
        ? `unexpected argument '${parsed.positionals[0]}'`
        : `expected ${expected.map((p) => `<${p}>`).join(' ')}`,
    );
  }
  return { values, positionals: parsed.positionals, help: false };
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runCli(
  argv: string[],
  io: CliIo,
  openContext: () => CliContext = () => CliContext.load(),
): Promise<number> {
  if (argv.length === 0 || (argv.length === 1 && HELP.has(argv[0]!))) {
    (argv.length === 0 ? io.err : io.out)(usage());
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  if (argv.length === 1 && VERSION.has(argv[0]!)) {
    io.out(buildInfo().version);
    return EXIT_OK;
  }
  const found = findCommand(argv);
  if (!found) {
    io.err(`gatehouse: unknown command '${argv.slice(0, 2).join(' ')}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  const { command, rest } = found;
  let ctx: CliContext | undefined;
  try {
    const args = parse(command, rest);
    if (args.help) {
      io.out(commandHelp(command));
      return EXIT_OK;
    }
    ctx = openContext();
    const result = await command.run(ctx, args);
    io.out(JSON.stringify(result, null, 2));
    return EXIT_OK;
  } catch (err) {
    return report(err, command, io);
  } finally {
    await ctx?.close();
  }
}

/** One line on stderr. Bad input (usage, or a 400 from the shared validation) exits 2. */
function report(err: unknown, command: Command, io: CliIo): number {
  if (err instanceof UsageError) {
    io.err(`gatehouse ${command.name}: ${err.message} (see gatehouse ${command.name} --help)`);
    return EXIT_USAGE;
  }
  if (err instanceof ApiError) {
    io.err(`gatehouse ${command.name}: ${err.error}: ${err.description}`);
    return err.status === 400 ? EXIT_USAGE : EXIT_FAILED;
  }
  if (err instanceof ConfigError) {
    io.err(err.message);
    return EXIT_FAILED;
  }
  io.err(`gatehouse ${command.name}: ${describeFailure(err)}`);
  return EXIT_FAILED;
}
