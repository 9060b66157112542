import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it, vi } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import type { AuditRepository } from '../../../src/repositories/audit.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestStorage } from '../../helpers/use-test-app.js';
import { adminHeaders, basicAuth, registerClient } from '../../helpers/admin.js';
import { postAs, redeemCode, seedUser } from '../../helpers/oauth.js';
import { tempDir } from '../../helpers/processes.js';

interface AuditRow {
  event: string;
  actor: string | null;
  subject: string | null;
  client_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

const silent = { warn: () => {}, error: () => {} };

describeBackends('audit log', (backend) => {
  const storage = useTestStorage(backend);
  /** The audit repository as the server builds it (createRepositories, app.repos). */
  let repository: AuditRepository;
  beforeAll(async () => {
    repository = (await storage.build()).app.repos.audit;
  }, 60_000);

  const rows = async (where: string, params: unknown[] = []) =>
    (
      await storage.db.query<AuditRow>(
        `SELECT event, actor, subject, client_id, ip, details FROM audit_events WHERE ${where} ORDER BY id`,
        params,
      )
    ).rows;
  const fileLines = (file: string) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRow & { time: string });

  it('records admin actions with the caller address in the table and the file, without secrets', async () => {
    const file = join(tempDir(), 'nested', 'login.log');
    const t = await storage.build({ file: { audit: { file } } });
    try {
      const client = await registerClient(t.app);
      const rotate = await t.app.inject({
        method: 'POST',
        url: `/clients/${client.client_id}/rotate-secret`,
        headers: adminHeaders,
        remoteAddress: '10.9.0.1',
      });
      expect(rotate.statusCode).toBe(200);
      await t.app.auditLog.flush();
      const stored = await rows('subject = $1', [client.client_id]);
      expect(stored.map((r) => r.details.action)).toEqual(['client.register', 'client.rotate_secret']);
      expect(stored[1]).toMatchObject({
        event: 'admin_action',
        actor: 'admin-key',
        ip: '10.9.0.1',
        client_id: client.client_id,
      });
      const lines = fileLines(file).filter((l) => l.subject === client.client_id);
      expect(lines.map((l) => l.details.action)).toEqual(['client.register', 'client.rotate_secret']);
      expect(lines[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT/);
      const secrets = [client.client_secret!, rotate.json().client_secret as string];
      for (const s of secrets) {
        expect(JSON.stringify(stored)).not.toContain(s);
        expect(readFileSync(file, 'utf8')).not.toContain(s);
      }
    } finally {
      await t.close();
    }
  });

  // Product rule (operations): "an audit event is committed before the response that reports its
  // action", so a crash right after a response loses none.
  it('commits the events a request records before its response is sent', async () => {
    const t = await storage.build();
    try {
      const client = await registerClient(t.app, { grant_types: ['client_credentials'] });
      expect(await rows('subject = $1', [client.client_id])).toHaveLength(1); // client.register
      const issued = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: {
          authorization: basicAuth(client.client_id, client.client_secret!),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: 'grant_type=client_credentials',
      });
      expect(issued.statusCode).toBe(200);
      // No flush, no wait: the row is there when the response is.
      const stored = await rows('subject = $1 AND event = $2', [client.client_id, 'token_issued']);
      expect(stored).toHaveLength(1);
      expect(t.app.auditLog.pending).toBe(0);
    } finally {
      await t.close();
    }
  });

  // The refresh's row is written by its rotation statement (AuditLog.stage); the file line still
  // goes through the queue, and the response still waits for it.
  it("a refresh's event is in the table and the file, the same, when its response is sent", async () => {
    const file = join(tempDir(), 'refresh.log');
    const t = await storage.build({ file: { audit: { file } } });
    try {
      const client = await registerClient(t.app, { scope: 'openid' });
      const user = await seedUser(storage.db);
      const { refresh_token } = await redeemCode({ app: t.app, db: storage.db }, client, user.id);
      await t.app.auditLog.flush();
      const res = await postAs(t.app, client, '/oauth/token', { grant_type: 'refresh_token', refresh_token });
      expect(res.statusCode, res.body).toBe(200);
      // No flush, no wait.
      const [row] = await rows('event = $1 AND client_id = $2', ['refresh', client.client_id]);
      expect(row).toEqual({
        event: 'refresh',
        actor: null,
        subject: null,
        client_id: client.client_id,
        ip: '10.9.0.1',
        details: { grant_type: 'refresh_token' },
      });
      const lines = fileLines(file).filter((l) => l.event === 'refresh' && l.client_id === client.client_id);
      expect(lines).toEqual([{ ...row, time: expect.any(String) }]);
      const {
        rows: [stored],
      } = await storage.db.query<{ occurred_at: Date }>(
        "SELECT occurred_at FROM audit_events WHERE event = 'refresh' AND client_id = $1",
        [client.client_id],
      );
      expect(new Date(stored!.occurred_at).getTime()).toBe(Date.parse(lines[0]!.time));
      expect(t.app.auditLog.pending).toBe(0);
    } finally {
      await t.close();
    }
  });

  // Migration 015: the events of every token response have no event-index entry; the admin
  // page's event filter still finds a rare event without reading the table.
  it('the audit page finds a rare event through the partial event index, a token event by the primary key', async () => {
    const t = await storage.build();
    try {
      await storage.db.query(
        `INSERT INTO audit_events (event, client_id, details)
         SELECT CASE WHEN g % 2 = 0 THEN 'token_issued' ELSE 'refresh' END, 'index-probe', '{}' FROM generate_series(1, 20000) g`,
      );
      t.app.audit({ event: 'admin_action', subject: 'index-probe', details: { action: 'client.register' } });
      await t.app.auditLog.flush();
      await storage.db.exec('ANALYZE audit_events');
      const plan = async (event: string) =>
        JSON.stringify(
          (
            await storage.db.query(
              'EXPLAIN (FORMAT JSON) SELECT id FROM audit_events WHERE event = $1 ORDER BY id DESC LIMIT 51',
              [event],
            )
          ).rows,
        );
      const rare = await plan('admin_action');
      expect(rare).toContain('audit_events_rare_event_idx');
      expect(rare).not.toContain('Seq Scan');
      expect(rare).not.toContain('"Sort"');
      expect(await plan('refresh')).not.toContain('audit_events_rare_event_idx');
      const page = await t.app.repos.audit.page({ event: 'admin_action', limit: 50 });
      expect(page.map((e) => e.subject)).toContain('index-probe');
    } finally {
      await t.close();
    }
  });

  it('writes in the background: an event reaches the table within the flush interval', async () => {
    const t = await storage.build();
    try {
      t.app.audit({ event: 'login_success', subject: 'user-bg', ip: '10.9.0.2' });
      expect(t.app.auditLog.pending).toBe(1);
      await vi.waitFor(async () => expect(await rows('subject = $1', ['user-bg'])).toHaveLength(1), {
        timeout: 2000,
        interval: 50,
      });
    } finally {
      await t.close();
    }
  });

  it('writes a burst of 500 events as 500 rows and 500 lines, and close() flushes what is pending', async () => {
    const file = join(tempDir(), 'burst.log');
    const t = await storage.build({ file: { audit: { file } } });
    for (let i = 0; i < 500; i++) t.app.audit({ event: 'token_issued', subject: 'burst', details: { n: i } });
    t.app.audit({ event: 'revoke', subject: 'burst-last' });
    await t.close();
    const burst = await rows('subject = $1', ['burst']);
    expect(burst).toHaveLength(500);
    expect(new Set(burst.map((r) => r.details.n)).size).toBe(500);
    expect(await rows('subject = $1', ['burst-last'])).toHaveLength(1);
    expect(fileLines(file)).toHaveLength(501);
  });

  it('stores awkward strings, nulls and nested details exactly, in the table and the file', async () => {
    const file = join(tempDir(), 'awkward.log');
    const log = new AuditLog({ repository, file, log: silent });
    const awkward = 'a "quoted", {braced} \\ back\\slash, NULL, é ✓';
    log.record({
      event: 'admin_action',
      actor: awkward,
      subject: 'awkward',
      client_id: null,
      details: { text: awkward, list: [1, null, 'x'], deep: { n: 2.5 } },
    });
    await log.close();
    const [row] = await rows('subject = $1', ['awkward']);
    expect(row).toMatchObject({ event: 'admin_action', actor: awkward, client_id: null, ip: null });
    expect(row!.details).toEqual({ text: awkward, list: [1, null, 'x'], deep: { n: 2.5 } });
    const line = fileLines(file)[0]!;
    expect(line).toEqual({
      time: expect.any(String),
      event: 'admin_action',
      actor: awkward,
      subject: 'awkward',
      client_id: null,
      ip: null,
      details: row!.details,
    });
    const {
      rows: [stored],
    } = await storage.db.query<{ occurred_at: Date }>('SELECT occurred_at FROM audit_events WHERE subject = $1', [
      'awkward',
    ]);
    expect(new Date(stored!.occurred_at).getTime()).toBe(Date.parse(line.time));
  });

  it('keeps the file open between flushes and follows it to a new file once the old one was moved away', async () => {
    const dir = tempDir();
    const file = join(dir, 'rotated.log');
    const log = new AuditLog({ repository, file, log: silent, fileReopenMs: 50 });
    log.record({ event: 'refresh', subject: 'before-move' });
    await log.flush();
    renameSync(file, join(dir, 'rotated.log.1'));
    // moved while open: the next write still lands, whole, at the end of the moved file
    log.record({ event: 'refresh', subject: 'while-open' });
    await log.flush();
    await new Promise((r) => setTimeout(r, 60));
    log.record({ event: 'refresh', subject: 'after-reopen' });
    await log.close();
    expect(fileLines(join(dir, 'rotated.log.1')).map((l) => l.subject)).toEqual(['before-move', 'while-open']);
    expect(fileLines(file).map((l) => l.subject)).toEqual(['after-reopen']);
  });

  it('drops secret-named detail fields before storing', async () => {
    const file = join(tempDir(), 'secrets.log');
    const log = new AuditLog({ repository, file, log: silent });
    log.record({
      event: 'refresh',
      subject: 'redacted',
      details: {
        grant: 'refresh_token',
        refresh_token: 'rt-SECRET',
        nested: { client_secret: 'cs-SECRET', scope: 'openid' },
      },
    });
    await log.close();
    const [row] = await rows('subject = $1', ['redacted']);
    expect(row!.details).toEqual({ grant: 'refresh_token', nested: { scope: 'openid' } });
    expect(readFileSync(file, 'utf8')).not.toContain('SECRET');
  });

  it('keeps events whose database write failed and writes them on the next flush, once per destination', async () => {
    const file = join(tempDir(), 'retry.log');
    let failNext = true;
    // The real repository behind a switch that refuses one write, as an outage would.
    const flaky: Pick<AuditRepository, 'insertMany'> = {
      insertMany: (records) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('connection terminated'));
        }
        return repository.insertMany(records);
      },
    };
    const warnings: string[] = [];
    const log = new AuditLog({
      repository: flaky,
      file,
      log: { warn: (_o, m) => warnings.push(m), error: () => {} },
    });
    log.record({ event: 'reuse_detected', subject: 'retry' });
    await log.flush();
    expect(log.pending).toBe(1);
    expect(warnings[0]).toContain('retrying on the next flush');
    expect(await rows('subject = $1', ['retry'])).toHaveLength(0);
    await log.flush();
    expect(log.pending).toBe(0);
    expect(await rows('subject = $1', ['retry'])).toHaveLength(1);
    expect(fileLines(file)).toHaveLength(1);
  });
});
