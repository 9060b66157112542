import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../src/storage/pg-database.js';
import type { Database } from '../../src/storage/database.js';
import { mintCode, seedUser } from '../helpers/oauth.js';
import { tempDir } from '../helpers/processes.js';
import { call, clientPost, registerOver, startServer, type RunningGatehouse } from './harness.js';
import {
  startPgBouncer,
  startPrivatePostgres,
  type PrivatePgBouncer,
  type PrivatePostgres,
} from './private-services.js';

const LOAD_MS = 20_000;
const REDIRECT = 'https://app.example.com/callback';

/**
 * Gatehouse behind PgBouncer 1.18 in transaction mode, with `database.prepared_statements:
 * false` as docs/scaling.md says: mixed load (code exchanges, refresh chains, client_credentials,
 * introspection) answers no 5xx at all. The default configuration also connects (no startup
 * parameter PgBouncer refuses).
 */
describe('PgBouncer in transaction mode', () => {
  let pg: PrivatePostgres;
  let bouncer: PrivatePgBouncer;
  let db: Database;
  let gh: RunningGatehouse;
  let byDefault: RunningGatehouse;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    bouncer = await startPgBouncer(pg);
    const configFile = join(tempDir(), 'config.yml');
    writeFileSync(configFile, 'database:\n  prepared_statements: false\n');
    gh = await startServer({ DATABASE_URL: bouncer.url, GATEHOUSE_CONFIG: configFile });
    byDefault = await startServer({ DATABASE_URL: bouncer.url });
    db = createPgDatabase({ url: pg.url, poolMax: 4, statementTimeoutMs: 10_000 });
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([gh?.stop('SIGKILL'), byDefault?.stop('SIGKILL')]);
    await db?.close();
    await bouncer?.stop();
    await pg?.destroy();
  });

  it('connects with the default configuration (no refused startup parameter)', async () => {
    const client = await registerOver(byDefault.url, {});
    const r = await clientPost(`${byDefault.url}/oauth/token`, client, { grant_type: 'client_credentials' });
    expect(r.status).toBe(200);
    expect((await call(`${byDefault.url}/ready`)).status).toBe(200);
  });

  it('answers mixed load with no 5xx when prepared statements are off', async () => {
    const client = await registerOver(gh.url, {});
    const token = (form: Record<string, string>) => clientPost(`${gh.url}/oauth/token`, client, form);
    const user = await seedUser(db);
    const deadline = Date.now() + LOAD_MS;
    const statuses = new Map<number, number>();
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);

    const chainWorker = async () => {
      while (Date.now() < deadline) {
        const code = await mintCode(db, { clientId: client.client_id, userId: user.id, redirectUri: REDIRECT });
        const first = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
        count(first.status);
        if (first.status !== 200) continue;
        let refresh = first.body.refresh_token as string;
        for (let i = 0; i < 5 && Date.now() < deadline; i++) {
          const next = await token({ grant_type: 'refresh_token', refresh_token: refresh });
          count(next.status);
          if (next.status !== 200) break;
          refresh = next.body.refresh_token;
        }
      }
    };
    const clientWorker = async () => {
      while (Date.now() < deadline) {
        const r = await token({ grant_type: 'client_credentials' });
        count(r.status);
        if (r.status !== 200) continue;
        const intro = await clientPost(`${gh.url}/oauth/introspect`, client, { token: r.body.access_token });
        count(intro.status);
      }
    };
    await Promise.all([...Array.from({ length: 4 }, chainWorker), ...Array.from({ length: 4 }, clientWorker)]);
    const all = Object.fromEntries(statuses);
    expect(Object.keys(all)).toEqual(['200']);
    expect(all[200]).toBeGreaterThan(100);
  }, 120_000);
});
