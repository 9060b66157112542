import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startGatehouse, tempDir, waitForHttp, type Spawned } from '../helpers/processes.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;

const running: Spawned[] = [];
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

// `npm run build` is what `npm install` runs (prepare); build here so the test never judges a
// stale dist/.
beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: ROOT });
}, 180_000);

describe('the compiled build (dist/)', () => {
  it('`node dist/main.js` serves /health, started from another directory (migrations resolve from dist/)', async () => {
    const port = await freePort();
    const cwd = tempDir();
    const metricsToken = 'scrape-'.repeat(5);
    const p = startGatehouse(
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: `${cwd}/data`,
        LOG_LEVEL: 'warn',
        METRICS_TOKEN: metricsToken,
      },
      [`${ROOT}dist/main.js`],
      cwd,
    );
    running.push(p);
    const health = await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000);
    expect(health.status).toBe(200);
    // /ready runs a query: the schema was migrated from the files the compiled code found.
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    // The commit was recorded at build time (GIT_COMMIT, else git), not looked up per request.
    const commit = process.env.GIT_COMMIT || (await run('git', ['rev-parse', 'HEAD'], { cwd: ROOT })).stdout.trim();
    expect(JSON.parse(readFileSync(`${ROOT}dist/build-info.json`, 'utf8'))).toEqual({ commit });
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(`gatehouse_build_info{version="${VERSION}",commit="${commit}"} 1`);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 90_000);

  it.each([
    ['dist/cli/index.js', ['--version']],
    ['bin/gatehouse.js', ['--version']],
    ['bin/gatehouse.js', ['-V']],
  ])('`node %s %s` prints the package version', async (file, args) => {
    const { stdout } = await run(process.execPath, [`${ROOT}${file}`, ...args], { cwd: tempDir() });
    expect(stdout).toBe(`${VERSION}\n`);
  });

  it('runs without tsx: no compiled file imports TypeScript tooling', async () => {
    const { stdout } = await run('grep', ['-rlE', "from '(tsx|esbuild|typescript|vitest)", `${ROOT}dist`]).catch(
      (err: { code: number; stdout: string }) => {
        if (err.code === 1) return { stdout: '' };
        throw err;
      },
    );
    expect(stdout).toBe('');
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { dependencies: Record<string, string> };
    for (const tool of ['tsx', 'esbuild', 'typescript', 'pino-pretty'])
      expect(pkg.dependencies).not.toHaveProperty(tool);
  });

  it('imports only production dependencies: the image keeps no others (npm prune --omit=dev)', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { dependencies: Record<string, string> };
    const files = readdirSync(`${ROOT}dist`, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    // A bare specifier after `from `, `import `, `import(` or `require(`; prose in strings ("…came
    // from', labelNames") is not a package name.
    const bare =
      /(?:\bfrom\s+|\bimport\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)(['"])((?:@[\w.-]+\/)?[\w.-]+(?:\/[\w./-]+)?)\1/g;
    const imported = new Set<string>();
    for (const file of files) {
      const code = readFileSync(`${ROOT}dist/${file}`, 'utf8');
      for (const [, , specifier = ''] of code.matchAll(bare)) {
        if (specifier.startsWith('.') || builtinModules.includes(specifier)) continue;
        imported.add(specifier.split('/', specifier.startsWith('@') ? 2 : 1).join('/'));
      }
    }
    expect(imported.size).toBeGreaterThan(10);
    expect([...imported].filter((name) => !(name in pkg.dependencies)).sort()).toEqual([]);
  });
});

// No container engine runs on the machines that test Gatehouse: these tests keep the Docker files
// honest by what can be checked without one, after the same build.
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

/** Dockerfile instructions, continuation lines joined. */
function instructions(): { op: string; args: string }[] {
  return read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.indexOf(' ') + 1).trim() }));
}

/** A .dockerignore pattern as a regex over context-relative paths (`*`, `**`, `!` negation). */
function ignoreRules(): { negate: boolean; re: RegExp }[] {
  return read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const glob = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const body = glob
        .split(/(\*\*\/|\*)/)
        .map((part) =>
          part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      return { negate, re: new RegExp(`^${body}$`) };
    });
}

/** Whether the path, or a folder above it, is left out of the build context. */
function ignored(path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let out = false;
  for (const rule of ignoreRules()) if (candidates.some((c) => rule.re.test(c))) out = !rule.negate;
  return out;
}

describe('Dockerfile', () => {
  const copies = instructions().filter((i) => i.op === 'COPY');

  it('copies from the build context only paths that exist and that .dockerignore lets through', () => {
    const sources = copies
      .filter((c) => !c.args.startsWith('--from'))
      .flatMap((c) =>
        c.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(`${ROOT}${source}`), source).toBe(true);
      expect(ignored(source), `${source} is excluded by .dockerignore`).toBe(false);
    }
  });

  it('copies from the build stage what `npm run build` produces', () => {
    const fromBuild = copies.filter((c) => c.args.startsWith('--from=build')).map((c) => c.args.split(/\s+/)[1]!);
    expect(fromBuild).toEqual(['/app/node_modules', '/app/dist']);
    for (const path of fromBuild) expect(existsSync(`${ROOT}${path.replace('/app/', '')}`), path).toBe(true);
    expect(existsSync(`${ROOT}dist/main.js`)).toBe(true);
    expect(existsSync(`${ROOT}dist/cli/index.js`)).toBe(true);
  });

  it('keeps secrets, local state and build output out of the build context', () => {
    for (const path of [
      '.env',
      '.git',
      'node_modules',
      'data/dev-secrets.json',
      'logs/login.log',
      'dist/main.js',
      'packages/client/node_modules',
      'packages/client/dist',
      // The Python guide's virtual environment, and the Python SDK the image never runs.
      '.venv/bin/python',
      'packages/python-client/src/gatehouse_client/__init__.py',
      'packages/python-client/tests/__pycache__/support.cpython-311.pyc',
    ]) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('runs dist/main.js as a non-root user, checks health on $PORT, and puts the CLI on PATH', () => {
    const ops = instructions();
    const last = (op: string) => ops.filter((i) => i.op === op).at(-1)?.args;
    expect(last('CMD')).toBe('["node", "dist/main.js"]');
    expect(last('USER')).toBe('node');
    expect(last('HEALTHCHECK')).toContain('process.env.PORT');
    expect(last('HEALTHCHECK')).toContain('/health');
    expect(
      ops.some((i) => i.op === 'RUN' && i.args.includes('ln -s /app/bin/gatehouse.js /usr/local/bin/gatehouse')),
    ).toBe(true);
    // The symlinked bin must be executable for `gatehouse` to run from PATH.
    expect(statSync(`${ROOT}bin/gatehouse.js`).mode & 0o111).not.toBe(0);
    expect(ops.filter((i) => i.op === 'FROM').map((i) => i.args)).toEqual([
      'node:20-bookworm-slim AS build',
      'node:20-bookworm-slim',
    ]);
  });
});

describe('docker-compose.yml', () => {
  interface Service {
    image?: string;
    build?: unknown;
    restart?: string;
    ports?: string[];
    expose?: string[];
    environment?: Record<string, string>;
    env_file?: string;
    volumes?: string[];
  }
  const compose = parseYaml(read('docker-compose.yml')) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };

  it('parses, and every service restarts', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['caddy', 'gatehouse', 'postgres', 'redis']);
    for (const [name, service] of Object.entries(compose.services))
      expect(service.restart, name).toBe('unless-stopped');
  });

  it('puts TLS-terminating Caddy in front: only Caddy publishes ports, Gatehouse trusts one proxy hop', () => {
    const { caddy, gatehouse } = compose.services;
    expect(caddy!.ports).toContain('443:443');
    for (const [name, service] of Object.entries(compose.services))
      if (name !== 'caddy') expect(service.ports, name).toBeUndefined();
    expect(gatehouse!.environment!.TRUST_PROXY).toBe('1');
    expect(gatehouse!.environment!.PUBLIC_URL).toMatch(/^https:\/\//);
    expect(gatehouse!.expose).toEqual(['8000']);
    expect(read('Caddyfile')).toMatch(/reverse_proxy gatehouse:8000/);
  });

  it('pins PORT to the port Caddy forwards to and the image exposes, whatever .env says', () => {
    // environment wins over env_file: a PORT copied into .env cannot move Gatehouse away from
    // Caddy's upstream (the health check would still pass on $PORT while every request got a 502).
    const { gatehouse } = compose.services;
    expect(gatehouse!.environment!.PORT).toBe('8000');
    expect(instructions().find((i) => i.op === 'EXPOSE')?.args).toBe('8000');
  });

  it('hard-codes no password: secrets come from .env', () => {
    const { gatehouse, postgres } = compose.services;
    expect(gatehouse!.env_file).toBe('.env');
    for (const service of Object.values(compose.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|KEY/.test(key)) expect(value, key).toMatch(/^\$\{[A-Z_]+:\?/);
      }
    }
    expect(postgres!.environment!.POSTGRES_PASSWORD).toBe(gatehouse!.environment!.DB_PASSWORD);
    const example = read('.env.example');
    for (const name of read('docker-compose.yml').matchAll(/\$\{([A-Z_]+)/g))
      expect(example, name[1]).toMatch(new RegExp(`^# ${name[1]}=`, 'm'));
  });

  it('keeps what must persist in named volumes', () => {
    expect(compose.services.postgres!.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(compose.services.caddy!.volumes).toContain('caddy-data:/data');
    expect(compose.services.gatehouse!.volumes).toContain('gatehouse-logs:/app/logs');
    expect(Object.keys(compose.volumes).sort()).toEqual(['caddy-config', 'caddy-data', 'gatehouse-logs', 'pgdata']);
  });
});
