import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONFIGURATION_REFERENCE_PATH,
  renderConfigurationReference,
} from '../../../src/config/configuration-reference.js';
import { describeSettings } from '../../../src/config/describe-settings.js';
import { ENV_MAP } from '../../../src/config/env-map.js';

describe('describeSettings', () => {
  const settings = describeSettings();

  it('lists every config.yml key with a description, a type and its variables', () => {
    const paths = settings.map((s) => s.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toEqual(expect.arrayContaining(['node_env', 'server.port', 'google.proactive_refresh_minutes']));
    for (const s of settings) {
      expect(s.description, s.path).not.toBe('');
      expect(s.type, s.path).not.toBe('');
      expect(s.env.at(-1), s.path).toBe(`GATEHOUSE_${s.path.toUpperCase().replace(/\./g, '__')}`);
    }
  });

  it('names every documented variable first, beside its generic form', () => {
    for (const [name, path] of Object.entries(ENV_MAP)) {
      expect(settings.find((s) => s.path === path.join('.'))?.env).toEqual([
        name,
        `GATEHOUSE_${path.map((k) => k.toUpperCase()).join('__')}`,
      ]);
    }
  });

  it('gives the schema defaults and types', () => {
    const byPath = new Map(settings.map((s) => [s.path, s]));
    expect(byPath.get('server.port')).toMatchObject({
      default: 8000,
      type: 'integer 0–65535',
      env: ['PORT', 'GATEHOUSE_SERVER__PORT'],
    });
    expect(byPath.get('server.public_url')).toMatchObject({ default: undefined, type: 'URL' });
    expect(byPath.get('database.prepared_statements')).toMatchObject({ default: true, type: 'boolean' });
    expect(byPath.get('security.jwt_algorithm')).toMatchObject({
      default: 'ES256',
      type: 'one of ES256 | EdDSA | RS256 | HS256',
    });
    expect(byPath.get('webhooks.retry_seconds')?.default).toEqual([10, 30, 120, 600, 3600]);
  });
});

describe(CONFIGURATION_REFERENCE_PATH, () => {
  it('is what `npm run docs:config` writes (run it after changing a setting)', () => {
    expect(readFileSync(CONFIGURATION_REFERENCE_PATH, 'utf8')).toBe(renderConfigurationReference());
  });
});
