import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.js';
import { ENV_MAP, GENERIC_ENV_PREFIX, NON_SETTING_ENV, envNameFor, genericEnvName } from './env-map.js';
import { listSettings } from './settings.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/**
 * Pure: merges the parsed config.yml object with environment overrides and validates once.
 * Precedence, strongest first: the documented variables (PORT, GOOGLE_SCOPES, …), the generic
 * GATEHOUSE_<SECTION>__<KEY> form, config.yml, the schema's default. Every value goes through
 * the same schema whatever its source. Throws ConfigError whose message has one line per bad
 * value or unknown GATEHOUSE_* name, each naming its key.
 */
export function loadConfig(env: Env, file: unknown = {}): Config {
  if (file !== null && (typeof file !== 'object' || Array.isArray(file))) {
    throw new ConfigError('Invalid configuration: config.yml must be a mapping of sections');
  }
  const raw = structuredClone((file ?? {}) as Record<string, unknown>);
  // Which variable set each path, so an error names what the operator actually wrote.
  const setBy = new Map<string, string>();
  const unknown: string[] = [];
  const override = (name: string, path: readonly string[]) => {
    const value = env[name];
    if (value === undefined || value === '') return;
    setPath(raw, path, value);
    setBy.set(path.join('.'), name);
  };
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(GENERIC_ENV_PREFIX) || NON_SETTING_ENV.has(name)) continue;
    const path = genericPaths().get(name);
    if (path) override(name, path);
    else unknown.push(unknownVariableLine(name));
  }
  for (const [name, path] of Object.entries(ENV_MAP)) override(name, path);
  const result = configSchema.safeParse(raw);
  if (!result.success || unknown.length > 0) {
    // Every bad value at once, one line each, so one failed start shows all there is to fix.
    const lines = (result.error?.issues ?? []).map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const envName = variableFor(issue.path, setBy);
      return `Invalid configuration: ${key}${envName ? ` (${envName})` : ''}: ${issue.message}`;
    });
    throw new ConfigError([...new Set([...unknown, ...lines])].join('\n'));
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

let generic: Map<string, readonly string[]> | undefined;

/** GATEHOUSE_<SECTION>__<KEY> → config path, for every setting in the schema. */
function genericPaths(): Map<string, readonly string[]> {
  generic ??= new Map(listSettings().map((s) => [genericEnvName(s.path), s.path]));
  return generic;
}

function unknownVariableLine(name: string): string {
  // The usual slip is one underscore where the form wants two (or the other way round).
  const squash = (n: string) => n.replace(/_/g, '');
  const near = [...genericPaths().keys()].find((known) => squash(known) === squash(name));
  return `Invalid configuration: ${name}: is not a setting${near ? ` (did you mean ${near}?)` : ''}`;
}

/** The variable that set the setting an issue is about (an issue on a list item names the list). */
function variableFor(issuePath: readonly PropertyKey[], setBy: Map<string, string>): string | undefined {
  for (let n = issuePath.length; n > 0; n--) {
    const name = setBy.get(issuePath.slice(0, n).join('.'));
    if (name) return name;
  }
  return envNameFor(issuePath);
}

function databaseUrl(db: Config['database']): string | undefined {
  if (db.url) return db.url;
  if (!db.host) return undefined;
  const auth = db.user
    ? `${encodeURIComponent(db.user)}${db.password ? `:${encodeURIComponent(db.password)}` : ''}@`
    : '';
  return `postgres://${auth}${db.host}:${db.port}/${encodeURIComponent(db.name ?? 'gatehouse')}`;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
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
