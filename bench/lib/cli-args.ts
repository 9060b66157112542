export interface BenchArgs {
  durationSeconds: number;
  rounds: number;
  connections: number;
  /** Scenario ids to run; empty = all. */
  only: string[];
  /** Write a CPU profile of Gatehouse (node --cpu-prof) into bench/results/. */
  cpuProf: boolean;
  warmupSeconds: number;
  /** Skip `npm run build` (dist/ is already this checkout's build). */
  noBuild: boolean;
}

const USAGE =
  'usage: npm run bench -- [--duration <s>] [--rounds <n>] [--connections <n>] [--only a,b] [--warmup <s>] [--cpu-prof] [--no-build]';

/** Parses the bench flags; throws with the usage line on anything unknown or out of range. */
export function parseBenchArgs(argv: string[], defaults: Partial<BenchArgs> = {}): BenchArgs {
  const args: BenchArgs = {
    durationSeconds: 10,
    rounds: 3,
    connections: 50,
    only: [],
    cpuProf: false,
    warmupSeconds: 2,
    noBuild: false,
    ...defaults,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const positive = (v: string, max: number) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || n > max)
        throw new Error(`${flag} must be a number in (0, ${max}]\n${USAGE}`);
      return n;
    };
    switch (flag) {
      case '--duration':
        args.durationSeconds = positive(value(), 600);
        break;
      case '--rounds':
        args.rounds = Math.round(positive(value(), 20));
        break;
      case '--connections':
        args.connections = Math.round(positive(value(), 1000));
        break;
      case '--warmup':
        args.warmupSeconds = Number(value());
        break;
      case '--only':
        args.only = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case '--cpu-prof':
        args.cpuProf = true;
        break;
      case '--no-build':
        args.noBuild = true;
        break;
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return args;
}
