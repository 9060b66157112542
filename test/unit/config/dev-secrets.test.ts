import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withDevSecrets } from '../../../src/config/dev-secrets.js';
import { loadConfig } from '../../../src/config/load.js';

describe('withDevSecrets', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('fills only the missing secret: one set as GATEHOUSE_SECRETS__* or in config.yml stands', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-dev-secrets-'));
    dirs.push(dir);
    const adminKey = 'g'.repeat(40);
    const env = { DATA_DIR: dir, GATEHOUSE_SECRETS__ADMIN_KEY: adminKey };
    const config = withDevSecrets(loadConfig(env), env, {}, () => {});
    expect(config.secrets.admin_key).toBe(adminKey);
    expect(config.secrets.encryption_keys?.[0]?.key.length).toBe(32);

    const fileKey = 'f'.repeat(40);
    const file = { secrets: { admin_key: fileKey } };
    const fromFile = withDevSecrets(loadConfig({ DATA_DIR: dir }, file), { DATA_DIR: dir }, file, () => {});
    expect(fromFile.secrets.admin_key).toBe(fileKey);
  });
});
