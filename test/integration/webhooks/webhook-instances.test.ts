import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminHeaders } from '../../helpers/admin.js';
import { type TestApp } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestStorage } from '../../helpers/use-test-app.js';
import { seedUser } from '../../helpers/oauth.js';
import { startReceiver, waitForEvent, type Receiver } from '../../helpers/webhook-receiver.js';

const WEBHOOKS = { webhooks: { poll_interval_ms: 100, retry_seconds: [1], timeout_ms: 3000 } };

describeBackends('webhook delivery across instances', (backend) => {
  const storage = useTestStorage(backend);
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver?.close());

  const admin = (t: TestApp, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: adminHeaders, ...(payload ? { payload } : {}) });

  it('an instance closed mid-delivery loses no event: another instance delivers it, same id', async () => {
    const first = await storage.build({ file: WEBHOOKS });
    let second: TestApp | undefined;
    const hook = (
      await admin(first, 'POST', '/internal/webhooks', { url: receiver.url, events: ['user.deleted'] })
    ).json();
    try {
      receiver.answer(() => 'hang');
      const user = await seedUser(first.db);
      expect((await admin(first, 'DELETE', `/users/${user.id}`)).statusCode).toBe(200);
      const caught = await waitForEvent(receiver, (e) => e.data.user_id === user.id);
      // The first instance is inside the attempt: close it now.
      await first.close();

      receiver.answer(() => 200);
      second = await storage.build({ ownConnections: true, file: WEBHOOKS });
      await waitForEvent(receiver, () => receiver.received.length >= 2);
      expect(receiver.received[1]!.event.id).toBe(caught.event.id);
      await expect
        .poll(
          async () => (await admin(second!, 'GET', `/internal/webhooks/${hook.id}/deliveries`)).json().deliveries[0],
        )
        .toMatchObject({ delivered_at: expect.any(String), attempts: [{ status_code: 200, error: null }] });
    } finally {
      if (second) await admin(second, 'DELETE', `/internal/webhooks/${hook.id}`);
      await first.close();
      await second?.close();
    }
  });

  it('two instances polling the same outbox deliver each event once (SKIP LOCKED)', async () => {
    receiver.received.length = 0;
    receiver.answer(() => 200);
    const a = await storage.build({ file: WEBHOOKS });
    const b = await storage.build({ ownConnections: true, file: WEBHOOKS });
    const hook = (await admin(a, 'POST', '/internal/webhooks', { url: receiver.url, events: ['user.deleted'] })).json();
    try {
      const users = await Promise.all(Array.from({ length: 20 }, () => seedUser(a.db)));
      await Promise.all(users.map((u, i) => admin(i % 2 ? a : b, 'DELETE', `/users/${u.id}`)));
      await waitForEvent(receiver, () => receiver.received.length >= 20);
      // Past the point every due delivery was claimed twice over, had the lock allowed it.
      await new Promise((r) => setTimeout(r, 500));
      const ids = receiver.received.map((r) => r.event.id);
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
    } finally {
      await admin(a, 'DELETE', `/internal/webhooks/${hook.id}`);
      await a.close();
      await b.close();
    }
  });

  it('a delivery claimed by an instance that died (no hand-back) is delivered when its lease ends', async () => {
    receiver.received.length = 0;
    receiver.answer(() => 200);
    // Polling off: this instance only writes the event; claimDue plays the instance that dies.
    const writer = await storage.build({ file: { webhooks: { ...WEBHOOKS.webhooks, poll_interval_ms: 0 } } });
    let deliverer: TestApp | undefined;
    const hook = (
      await admin(writer, 'POST', '/internal/webhooks', { url: receiver.url, events: ['user.deleted'] })
    ).json();
    try {
      const user = await seedUser(writer.db);
      await admin(writer, 'DELETE', `/users/${user.id}`);
      const claimedAt = Date.now();
      const [claimed] = await writer.app.webhooks.claimDue(10, 2000);
      expect(claimed).toBeDefined();
      deliverer = await storage.build({ ownConnections: true, file: WEBHOOKS });
      const r = await waitForEvent(receiver, (e) => e.id === claimed!.event.id);
      // Not before the lease ended (less clock slack between Postgres and this process).
      expect(r.at - claimedAt).toBeGreaterThanOrEqual(1800);
    } finally {
      await admin(writer, 'DELETE', `/internal/webhooks/${hook.id}`);
      await writer.close();
      await deliverer?.close();
    }
  });
});
