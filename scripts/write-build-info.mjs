// Records the commit this build came from in dist/build-info.json, so the running server
// reports it (gatehouse_build_info) without calling git at request time. GIT_COMMIT wins (a
// Docker build has no .git); otherwise `git rev-parse HEAD`; otherwise "unknown".
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

function commit() {
  if (process.env.GIT_COMMIT) return process.env.GIT_COMMIT.trim();
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

const outDir = new URL('../dist/', import.meta.url);
mkdirSync(outDir, { recursive: true });
writeFileSync(new URL('build-info.json', outDir), `${JSON.stringify({ commit: commit() })}\n`);
