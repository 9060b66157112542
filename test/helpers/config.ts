import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

/** A 32-byte key, base64, as ENCRYPTION_KEYS entries carry them. */
export const key32 = Buffer.alloc(32, 1).toString('base64');

/** Everything production requires, so a test can vary one setting from a valid start. */
export const prodEnv = {
  NODE_ENV: 'production',
  ADMIN_KEY: 'a'.repeat(32),
  ENCRYPTION_KEYS: `k1:${key32}`,
  GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'secret',
  PUBLIC_URL: 'https://auth.example.com',
  DATABASE_URL: 'postgres://gatehouse@db.internal:5432/gatehouse',
};

/** The ConfigError message loadConfig throws for these settings; fails the test when it loads. */
export function configFailure(env: Record<string, string>, file: unknown = {}): string {
  try {
    loadConfig(env, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected loadConfig to throw');
}
