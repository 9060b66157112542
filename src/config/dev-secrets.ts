import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import type { Config } from './schema.js';

export const DEV_SECRETS_FILE = 'dev-secrets.json';

interface DevSecrets {
  admin_key: string;
  encryption_keys: string;
}

/**
 * Outside production, fills a missing ADMIN_KEY / ENCRYPTION_KEYS from DATA_DIR/dev-secrets.json,
 * generating that file (mode 0600) on first run so a newcomer needs no setup. The admin key is
 * printed once, when it is generated; later starts only say where the file is.
 */
export function withDevSecrets(
  config: Config,
  env: Record<string, string | undefined>,
  file: unknown,
  print: (line: string) => void,
): Config {
  if (config.node_env === 'production') return config;
  if (config.secrets.admin_key && config.secrets.encryption_keys) return config;
  const path = join(config.data_dir, DEV_SECRETS_FILE);
  let secrets: DevSecrets;
  if (existsSync(path)) {
    secrets = JSON.parse(readFileSync(path, 'utf8')) as DevSecrets;
    print(`dev mode: using generated secrets from ${path}`);
  } else {
    secrets = {
      admin_key: randomBytes(32).toString('base64url'),
      encryption_keys: `dev1:${randomBytes(32).toString('base64')}`,
    };
    mkdirSync(config.data_dir, { recursive: true });
    writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    print(`dev mode: generated ${path} (kept for later starts)`);
    if (!config.secrets.admin_key) print(`dev mode: ADMIN_KEY for X-Admin-Key is ${secrets.admin_key}`);
  }
  return loadConfig(
    {
      ...env,
      // Only the missing ones: a key set in config.yml or as GATEHOUSE_SECRETS__* must stand.
      ...(config.secrets.admin_key ? {} : { ADMIN_KEY: secrets.admin_key }),
      ...(config.secrets.encryption_keys ? {} : { ENCRYPTION_KEYS: secrets.encryption_keys }),
    },
    file,
  );
}
