import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the peer servers (bench/servers/*-server.ts) are compiled to: inside node_modules so that
 * `oidc-provider`, `fastify` and `jose` resolve from the repository's node_modules, and ignored by
 * git like the rest of node_modules.
 */
export const SERVERS_OUT_DIR = join('node_modules', '.cache', 'gatehouse-bench');

/**
 * Every server the bench measures runs compiled JavaScript under plain `node`, none under tsx
 * (whose loader and source maps would tax one side and not the other): Gatehouse from dist/ as
 * `npm start` runs it, rebuilt here with `npm run build` so the run measures this checkout, and the
 * peers compiled by tsc into SERVERS_OUT_DIR.
 */
export function buildForBench(repoRoot: string, log: (line: string) => void, skipGatehouse = false): void {
  if (!skipGatehouse) {
    log('building Gatehouse (npm run build)');
    execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  } else if (!existsSync(join(repoRoot, 'dist', 'main.js'))) {
    throw new Error('dist/main.js is missing: run `npm run build` (or drop --no-build)');
  }
  log('compiling the peer servers (tsc)');
  execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'tsc'),
    [
      '--outDir',
      SERVERS_OUT_DIR,
      '--rootDir',
      'bench',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      '--skipLibCheck',
      '--esModuleInterop',
      'bench/servers/bare-fastify-server.ts',
      'bench/servers/oidc-provider-server.ts',
      'bench/types/oidc-provider.d.ts',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
}
