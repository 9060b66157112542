import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_MAP } from '../../../src/config/env-map.js';

describe('.env.example', () => {
  it('lists every environment variable the config loader reads', () => {
    const text = readFileSync('.env.example', 'utf8');
    const listed = new Set([...text.matchAll(/^#?\s*(?:\(prod\)\s*)?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    for (const name of [...Object.keys(ENV_MAP), 'GATEHOUSE_CONFIG']) expect(listed, name).toContain(name);
  });
});
