import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.js';
import { ENV_MAP, envNameFor } from './env-map.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/**
 * Pure: merges the parsed config.yml object with environment overrides and validates once.
 * Throws ConfigError whose message has one line per bad value, each naming its key.
 */
export function loadConfig(env: Env, file: unknown = {}): Config {
  if (file !== null && (typeof file !== 'object' || Array.isArray(file))) {
    throw new ConfigError('Invalid configuration: config.yml must be a mapping of sections');
  }
  const raw = structuredClone((file ?? {}) as Record<string, unknown>);
  for (const [name, path] of Object.entries(ENV_MAP)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, value);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    // Every bad value at once, one line each, so one failed start shows all there is to fix.
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const envName = envNameFor(issue.path);
      return `Invalid configuration: ${key}${envName ? ` (${envName})` : ''}: ${issue.message}`;
    });
    throw new ConfigError([...new Set(lines)].join('\n'));
  }
  const c = result.data;
  const public_url = (c.server.public_url ?? `http://localhost:${c.server.port}`).replace(/\/+$/, '');
  return {
    ...c,
    public_url,
    database_url: databaseUrl(c.database),
    dev_mode: !c.google.client_id && c.node_env !== 'production',
  };
}

function databaseUrl(db: Config['database']): string | undefined {
  if (db.url) return db.url;
  if (!db.host) return undefined;
  const auth = db.user
    ? `${encodeURIComponent(db.user)}${db.password ? `:${encodeURIComponent(db.password)}` : ''}@`
    : '';
  return `postgres://${auth}${db.host}:${db.port}/${encodeURIComponent(db.name ?? 'gatehouse')}`;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * Reads config.yml (GATEHOUSE_CONFIG or ./config.yml) and .env from disk. Variables already in
 * the environment win over .env, as with dotenv.
 */
export function readConfigSources(cwd = process.cwd(), env: Env = process.env): { env: Env; file: unknown } {
  const dotenvPath = resolve(cwd, '.env');
  const fromDotenv = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const merged: Env = { ...fromDotenv, ...env };
  const filePath = resolve(cwd, merged.GATEHOUSE_CONFIG ?? 'config.yml');
  if (!existsSync(filePath)) return { env: merged, file: {} };
  try {
    return { env: merged, file: parseYaml(readFileSync(filePath, 'utf8')) ?? {} };
  } catch (err) {
    const line = (err as Error).message.split('\n')[0];
    throw new ConfigError(`Invalid configuration: ${filePath} is not valid YAML: ${line}`);
  }
}
