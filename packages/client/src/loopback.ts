import { timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackCallback {
  /** The full callback URL, with code, state and iss (or error). */
  url: URL;
  /** Answers the browser, then closes the connection; the app decides what the page says. */
  respond(outcome: 'ok' | 'failed'): Promise<void>;
}

export interface LoopbackListener {
  /** http://127.0.0.1:<port><path>, the redirect_uri for this login. */
  redirectUri: string;
  /** Settles with the first request to the callback path that carries this login's state. */
  callback: Promise<LoopbackCallback>;
  close(): Promise<void>;
}

/**
 * RFC 8252 §7.3: "Native apps that are able to open a port on the loopback network interface
 * without needing special permissions ... can use the loopback interface to receive the OAuth
 * redirect." The port is the OS's choice (listen on 0); §8.3 prefers the IP literal to
 * `localhost`, so nothing else on the machine can answer for the name.
 *
 * Exactly one callback is accepted: the first request to the path whose `state` is this
 * login's. RFC 6749 §10.12 binds the response to the request through `state`, and any local
 * process can reach the port, so a request with another state (or none) is not this login's
 * answer: it gets a 400 page and the listener keeps waiting for the real one (login() times out
 * otherwise). After the accepted callback the listener stops; later requests, and any other
 * path such as /favicon.ico, get 404.
 */
export async function startLoopbackListener(path: string, expectedState: string): Promise<LoopbackListener> {
  let deliver!: (callback: LoopbackCallback) => void;
  const callback = new Promise<LoopbackCallback>((resolve) => (deliver = resolve));
  let accepted = false;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (accepted || req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    if (!sameState(url.searchParams.get('state'), expectedState)) {
      void answer(res, 'foreign');
      return;
    }
    accepted = true;
    // Stop listening now; this request's socket stays open for the answer.
    server.close();
    deliver({ url: new URL(`${redirectUri}${url.search}`), respond: (outcome) => answer(res, outcome) });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const redirectUri = `http://127.0.0.1:${port}${path}`;

  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  return {
    redirectUri,
    callback,
    async close() {
      if (server.listening) server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Constant-time, so a local process cannot learn the state a byte at a time. */
function sameState(received: string | null, expected: string): boolean {
  if (received === null) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const PAGES = {
  ok: {
    status: 200,
    title: 'Signed in',
    message: 'You are signed in. You can close this window and return to the application.',
  },
  failed: {
    status: 400,
    title: 'Sign-in failed',
    message: 'Sign-in did not complete. You can close this window; the application explains what went wrong.',
  },
  foreign: {
    status: 400,
    title: 'Not this sign-in',
    message:
      'This address does not belong to the sign-in the application is waiting for. Start the sign-in again from the application.',
  },
} as const;

function answer(res: ServerResponse, outcome: keyof typeof PAGES): Promise<void> {
  const page = PAGES[outcome];
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${page.title}</title></head>` +
    `<body style="font-family:system-ui,sans-serif;margin:4rem auto;max-width:32rem"><h1>${page.title}</h1><p>${page.message}</p></body></html>`;
  return new Promise((resolve) => {
    res.writeHead(page.status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The address bar holds the code: no page resource may carry it away in a Referer.
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      connection: 'close',
    });
    res.end(html, () => resolve());
  });
}
