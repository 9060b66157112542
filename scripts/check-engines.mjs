// Lists every installed package whose engines.node does not accept the lowest Node.js version
// this project declares (package.json engines.node), so that floor can be kept honest:
//   node scripts/check-engines.mjs        → exit 1 and one line per package that needs more
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const semver = require('semver');
const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const floor = semver.minVersion(root.engines.node).version;
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));

const bad = [];
for (const [path, meta] of Object.entries(lock.packages)) {
  const wanted = meta.engines?.node ?? (Array.isArray(meta.engines) ? undefined : undefined);
  if (!path || typeof wanted !== 'string') continue;
  if (!semver.satisfies(floor, wanted, { includePrerelease: true }))
    bad.push(
      `${path.replace(/^.*node_modules\//, '')}@${meta.version}${meta.dev ? ' (dev)' : ''} needs node ${wanted}`,
    );
}
if (bad.length) {
  console.error(`engines.node is ${root.engines.node}, but:\n  ${bad.join('\n  ')}`);
  process.exit(1);
}
console.log(`every package in package-lock.json accepts node ${floor} (engines.node ${root.engines.node})`);
