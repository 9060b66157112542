import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedEvent {
  id: string;
  type: string;
  created_at: string;
  data: Record<string, unknown>;
}

export interface Received {
  body: string;
  event: ReceivedEvent;
  signature: string | undefined;
  at: number;
}

/**
 * How the receiver answers one request: a status, 'hang' to never answer, or 'endless' for a 200
 * whose body never ends (1 MB chunks until the client goes away).
 */
export type Answer = number | 'hang' | 'endless';

/**
 * A real webhook receiver: a node http server on 127.0.0.1 recording every request. `answer`
 * decides each reply (default 200); hung requests are ended on close.
 */
export async function startReceiver(answer: (r: Received) => Answer = () => 200) {
  const received: Received[] = [];
  const hung = new Set<ServerResponse>();
  let decide = answer;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = {
        body,
        event: JSON.parse(body) as ReceivedEvent,
        signature: req.headers['gatehouse-signature'] as string | undefined,
        at: Date.now(),
      };
      received.push(r);
      const a = decide(r);
      if (a === 'hang') {
        hung.add(res);
        return;
      }
      if (a === 'endless') {
        hung.add(res);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(1024 * 1024, 120);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      res.statusCode = a;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    answer(fn: (r: Received) => Answer) {
      decide = fn;
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** What the docs tell receivers to do: recompute the HMAC over "<t>.<body>" and compare in constant time. */
export function verifySignature(secret: string, header: string | undefined, body: string): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=') as [string, string]));
  if (!parts.t || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Polls until `received` holds a matching event. */
export async function waitForEvent(
  receiver: Receiver,
  match: (e: ReceivedEvent) => boolean,
  timeoutMs = 10_000,
): Promise<Received> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const hit = receiver.received.find((r) => match(r.event));
    if (hit) return hit;
    if (Date.now() > until)
      throw new Error(
        `no matching webhook event within ${timeoutMs} ms; got ${receiver.received.map((r) => r.event.type).join(', ')}`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}
