import { expect, it } from 'vitest';
import { createKeyring } from '../../../src/crypto/keyring.js';
import { runJanitorPass, type JanitorDeps, type JanitorLog } from '../../../src/janitor/janitor-pass.js';
import { createRepositories, repositoryOptions } from '../../../src/repositories/index.js';
import type { Database } from '../../../src/storage/database.js';
import { describeBackends } from '../../helpers/backends.js';
import { saveGoogleGrant } from '../../helpers/vault.js';
import { useTestStorage } from '../../helpers/use-test-app.js';
import { testConfig, type TestApp } from '../../helpers/app.js';
import { countSeeded, seedLifecycleRows } from '../../helpers/lifecycle.js';
import { seedUser } from '../../helpers/oauth.js';
import { msUntil } from '../../helpers/wait.js';

/** Collects what the janitor logs, to assert the summary and that nothing secret is in it. */
function captureLog(): JanitorLog & { lines: { level: string; obj: object; msg: string }[] } {
  const lines: { level: string; obj: object; msg: string }[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

/** A pass over db with its repositories built as the server builds them. */
function passOn(db: Database, deps: Omit<JanitorDeps, 'db' | 'repos'>) {
  const keyring = createKeyring(deps.config.secrets.encryption_keys!);
  return runJanitorPass({ db, repos: createRepositories(db, repositoryOptions(deps.config, keyring)), ...deps });
}

describeBackends('janitor', (backend) => {
  const s = useTestStorage(backend);
  const config = testConfig();

  it('deletes expired rows of every kind and keeps live ones and those inside a keep window', async () => {
    const seed = await seedLifecycleRows(s.db, { expired: 3, live: 2 });
    const log = captureLog();
    const result = await passOn(s.db, { config, log });

    expect(result.failed).toEqual([]);
    for (const [kind, n] of Object.entries(seed.expired))
      expect(result.counts[kind as keyof typeof result.counts], kind).toBe(n);
    expect(result.counts.google_credentials).toBe(0);
    expect(await countSeeded(s.db, seed.tag)).toEqual(seed.kept);

    const summary = log.lines.filter((l) => l.msg === 'janitor pass');
    expect(summary).toHaveLength(1);
    expect(summary[0]!.obj).toMatchObject({ janitor: { deleted: result.counts, failed: [] } });
    expect(JSON.stringify(log.lines)).not.toContain(seed.tag);

    // A second pass finds nothing left to do.
    const again = await passOn(s.db, { config, log });
    expect(Object.values(again.counts).every((n) => n === 0)).toBe(true);
    expect(await countSeeded(s.db, seed.tag)).toEqual(seed.kept);
  });

  it('keeps audit events for audit.retention_days', async () => {
    const seed = await seedLifecycleRows(s.db, { expired: 1, live: 1 });
    // Retention 30 days: the 89-day-old event goes too.
    const short = testConfig({}, { audit: { retention_days: 30 } });
    const older = await s.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE occurred_at < now() - interval '30 days'`,
    );
    expect(older.rows[0]!.n).toBeGreaterThanOrEqual(2);
    const result = await passOn(s.db, { config: short, log: captureLog() });
    expect(result.counts.audit_events).toBe(older.rows[0]!.n);
    expect((await countSeeded(s.db, seed.tag)).audit_events).toBe(0);
  });

  it('keeps finished webhook deliveries for webhooks.delivery_retention_days, then their events', async () => {
    const seed = await seedLifecycleRows(s.db, { expired: 1, live: 1 });
    // Retention 20 days: the deliveries finished 29 days ago go too (with their events); the due one stays.
    const short = testConfig({}, { webhooks: { delivery_retention_days: 20 } });
    const result = await passOn(s.db, { config: short, log: captureLog() });
    expect(result.failed).toEqual([]);
    const left = await countSeeded(s.db, seed.tag);
    expect(left.webhook_deliveries).toBe(1);
    expect(left.webhook_events).toBe(1);
    const due = await s.db.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE id LIKE $1', [
      `${seed.tag}-%`,
    ]);
    expect(due.rows.map((r) => r.id)).toEqual([`${seed.tag}-wd-due-1`]);
  });

  it('two instances running a pass at once delete every row exactly once, without errors', async () => {
    const seed = await seedLifecycleRows(s.db, { expired: 1200, live: 50 });
    // The real backend gets a second pool, as a second server would have; PGlite is one
    // connection, so there the passes interleave on it.
    const second: Database = backend.name === 'real' ? s.storage.database.connectAgain() : s.db;
    const logs = [captureLog(), captureLog()];
    const [a, b] = await Promise.all([
      passOn(s.db, { config, log: logs[0]!, batchSize: 100 }),
      passOn(second, { config, log: logs[1]!, batchSize: 100 }),
    ]);
    expect(a.failed).toEqual([]);
    expect(b.failed).toEqual([]);
    expect(logs.flatMap((l) => l.lines).filter((l) => l.level !== 'info')).toEqual([]);
    for (const [kind, n] of Object.entries(seed.expired)) {
      const k = kind as keyof typeof a.counts;
      expect(a.counts[k] + b.counts[k], kind).toBe(n);
    }
    expect(await countSeeded(s.db, seed.tag)).toEqual(seed.kept);
  }, 120_000);

  it('stops between batches when its signal is aborted', async () => {
    const seed = await seedLifecycleRows(s.db, { expired: 50, live: 0 });
    const abort = new AbortController();
    abort.abort();
    const result = await passOn(s.db, { config, log: captureLog(), signal: abort.signal });
    expect(Object.values(result.counts).every((n) => n === 0)).toBe(true);
    expect((await countSeeded(s.db, seed.tag)).authorization_codes).toBe(50);
    // leave nothing behind for the other tests' exact counts
    await passOn(s.db, { config, log: captureLog() });
  });

  it('reports a kind that failed and carries on with the others', async () => {
    const seed = await seedLifecycleRows(s.db, { expired: 2, live: 0 });
    const broken: Database = {
      ...s.db,
      query: (sql, params) =>
        sql.includes('FROM sessions') ? Promise.reject(new Error('boom')) : s.db.query(sql, params),
    };
    const log = captureLog();
    const result = await passOn(broken, { config, log });
    expect(result.failed).toEqual(['sessions']);
    expect(result.counts.authorization_codes).toBe(2);
    expect(result.counts.audit_events).toBe(2);
    expect(log.lines.some((l) => l.level === 'error' && (l.obj as { kind?: string }).kind === 'sessions')).toBe(true);
    await passOn(s.db, { config, log: captureLog() });
    expect((await countSeeded(s.db, seed.tag)).sessions).toBe(0);
  });

  it('runs inside the server every janitor.interval_seconds and stops when the app closes', async () => {
    const seed = await seedLifecycleRows(s.db, { expired: 2, live: 1 });
    const t = await s.build({ file: { janitor: { interval_seconds: 1 } } });
    try {
      // The summary is logged when the pass has finished.
      await msUntil(Date.now(), async () => t.logs.text.includes('"msg":"janitor pass"'), 10_000);
      expect(await countSeeded(t.db, seed.tag)).toEqual(seed.kept);
    } finally {
      await t.close();
    }
    // Closed: no pass runs any more.
    const later = await seedLifecycleRows(s.db, { expired: 1, live: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await countSeeded(s.db, later.tag)).authorization_codes).toBe(1);
    await passOn(s.db, { config, log: captureLog() });
  }, 30_000);

  it('a pass on one instance never overlaps itself', async () => {
    const t = await s.build();
    try {
      const first = t.app.janitor.runNow();
      expect(t.app.janitor.runNow()).toBe(first);
      await first;
    } finally {
      await t.close();
    }
  });

  it('with janitor.interval_seconds 0 no pass runs', async () => {
    const seed = await seedLifecycleRows(s.db, { expired: 1, live: 0 });
    const t = await s.build({ file: { janitor: { interval_seconds: 0 } } });
    await new Promise((r) => setTimeout(r, 300));
    await t.close();
    expect((await countSeeded(s.db, seed.tag)).authorization_codes).toBe(1);
    expect(t.logs.text).not.toContain('janitor pass');
    await passOn(s.db, { config, log: captureLog() });
  });
});

describeBackends('janitor: google.drop_unused_after_days', (backend) => {
  const s = useTestStorage(backend, { google: true });

  /** A janitor pass with the app's Google client and keyring, as the scheduled one runs. */
  const passWithGoogle = (t: TestApp, log = captureLog()) =>
    runJanitorPass({ db: t.db, repos: t.app.repos, config: t.config, google: t.app.google, log });

  async function credentialFor(t: TestApp, idleDays: number) {
    const user = await seedUser(t.db);
    const { credential: saved, tokens: grant } = await saveGoogleGrant(t.app, s.google, {
      userId: user.id,
      googleEmail: user.email,
    });
    await t.db.query(
      `UPDATE google_credentials SET last_refreshed_at = now() - make_interval(days => $2), updated_at = now() - make_interval(days => $2),
         last_used_at = now() - make_interval(days => $2) WHERE id = $1`,
      [saved.id, idleDays],
    );
    return { id: saved.id, refreshToken: grant.refresh_token! };
  }

  it('revokes idle credentials at Google, then deletes them; recent ones stay', async () => {
    const t = await s.build({ file: { google: { drop_unused_after_days: 180 } } });
    try {
      const idle = await credentialFor(t, 200);
      const recent = await credentialFor(t, 10);
      s.google.control.reset();
      const log = captureLog();
      const result = await passWithGoogle(t, log);
      expect(result.counts.google_credentials).toBe(1);
      expect(s.google.control.calls('revoke')).toBe(1);
      await expect(t.app.google.refreshAccessToken(idle.refreshToken)).rejects.toMatchObject({ kind: 'invalid_grant' });
      expect(await t.app.repos.googleCredentials.findById(idle.id)).toBeNull();
      expect(await t.app.repos.googleCredentials.findById(recent.id)).not.toBeNull();
      expect(JSON.stringify(log.lines)).not.toContain(idle.refreshToken);
    } finally {
      await t.close();
    }
  });

  it('still deletes when Google cannot be reached, and logs it without the token', async () => {
    const t = await s.build({ file: { google: { drop_unused_after_days: 180 } } });
    try {
      const idle = await credentialFor(t, 365);
      s.google.control.reset();
      s.google.control.failNext('revoke', 1, 'server_error');
      const log = captureLog();
      const result = await passWithGoogle(t, log);
      expect(result.counts.google_credentials).toBe(1);
      expect(result.failed).toEqual([]);
      expect(log.lines.some((l) => l.level === 'warn' && l.msg.includes('could not revoke'))).toBe(true);
      expect(JSON.stringify(log.lines)).not.toContain(idle.refreshToken);
      expect(await t.app.repos.googleCredentials.findById(idle.id)).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('keeps every credential when the setting is off', async () => {
    const t = await s.build();
    try {
      const idle = await credentialFor(t, 2000);
      s.google.control.reset();
      const result = await passWithGoogle(t);
      expect(result.counts.google_credentials).toBe(0);
      expect(s.google.control.calls('revoke')).toBe(0);
      expect(await t.app.repos.googleCredentials.findById(idle.id)).not.toBeNull();
    } finally {
      await t.close();
    }
  });
});
