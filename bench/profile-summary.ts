/**
 * npx tsx bench/profile-summary.ts <file.cpuprofile> [top] [--from <s>] — self time per function
 * and per package/module, and total (inclusive) time per function, from a V8 CPU profile
 * (node --cpu-prof, e.g. `npm run bench -- --cpu-prof`). `--from` skips the first seconds of the
 * profile (start-up and module loading), so the figures describe the server under load.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const argv = process.argv.slice(2);
const fromAt = argv.indexOf('--from');
const fromUs = fromAt >= 0 ? Number(argv.splice(fromAt, 2)[1]) * 1e6 : 0;
const [file, topArg] = argv;
if (!file || Number.isNaN(fromUs)) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top] [--from <seconds>]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
let clock = 0;
for (let i = 0; i < profile.samples.length; i++) {
  clock += profile.timeDeltas[i] ?? 0;
  if (clock < fromUs) continue;
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** node_modules/<pkg>, src/<dir>, node:<internal>, or the V8 category in parentheses. */
function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/(src\/[^/]+)/.exec(url);
  if (src) return src[1]!;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}

const fnTotals = new Map<string, number>();
const modTotals = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const { functionName, url, lineNumber } = n.callFrame;
  const mod = moduleOf(url, functionName || '(anonymous)');
  const key = `${functionName || '(anonymous)'}  ${mod}${url ? `:${lineNumber + 1}` : ''}`;
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
  modTotals.set(mod, (modTotals.get(mod) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
};
// Inclusive time: a node's own samples plus its subtree's, counted once per function on a path
// (a recursive function is not counted twice).
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const keyOf = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  return `${functionName || '(anonymous)'}  ${moduleOf(url, functionName || '(anonymous)')}${url ? `:${lineNumber + 1}` : ''}`;
};
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const key = keyOf(byId.get(at)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}

console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled${fromUs ? ` after the first ${fromUs / 1e6} s` : ''}`);
print('self time by function', fnTotals);
print('self time by module', modTotals);
print('total time by function (self + callees)', inclusive);
