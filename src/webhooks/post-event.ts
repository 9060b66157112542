import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PostResult {
  statusCode: number | null;
  error: string | null;
}

export interface PostOptions {
  timeoutMs: number;
  /** Bytes of the answer read before the socket is dropped (the body is never kept). */
  maxResponseBytes: number;
  signal: AbortSignal;
}

/**
 * One POST to a receiver. Bounded: the whole exchange ends by the timeout, at most
 * `maxResponseBytes` of the answer are read, redirects are not followed (a 3xx is a failure),
 * and the socket is never pooled, so a misbehaving receiver holds one socket for one timeout.
 */
export function postEvent(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: PostOptions,
): Promise<PostResult> {
  return new Promise((resolve) => {
    const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
    const send = new URL(url).protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    // Once the status line arrived it is the answer, even if the body then stalls.
    let statusCode: number | null = null;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve(result);
    };
    const req = send(url, {
      method: 'POST',
      agent: false,
      signal,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'Gatehouse-Webhooks',
      },
    });
    req.on('response', (res: IncomingMessage) => {
      statusCode = res.statusCode ?? null;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > opts.maxResponseBytes) finish({ statusCode, error: null });
      });
      res.on('end', () => finish({ statusCode, error: null }));
      res.on('error', () => finish({ statusCode, error: null }));
    });
    req.on('error', (err: Error & { code?: string }) => {
      if (statusCode !== null) return finish({ statusCode, error: null });
      const timedOut = signal.aborted && !opts.signal.aborted;
      finish({ statusCode: null, error: timedOut ? `no answer within ${opts.timeoutMs} ms` : (err.code ?? err.name) });
    });
    req.end(body);
  });
}
