#!/usr/bin/env node
// The `gatehouse` command: runs the compiled CLI (dist/, built by `npm run build`, which
// `npm install` runs through the prepare script). Arguments reach it unchanged in process.argv.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('gatehouse: dist/ is missing; run `npm run build` (npm install runs it) first\n');
  process.exit(1);
}
await import(cli.href);
