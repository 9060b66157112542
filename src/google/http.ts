import { GoogleError, type GoogleEndpoint } from './errors.js';

/** Seconds to wait after a 429 that carried no usable Retry-After. */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;
/**
 * The longest Google may make us wait: one 429 with an absurd Retry-After (a typo, a proxy,
 * 315360000 s) must not freeze every refresh for every subject for years.
 */
export const MAX_RETRY_AFTER_SECONDS = 300;

export interface GoogleRequest {
  endpoint: GoogleEndpoint;
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  form?: Record<string, string>;
  timeoutMs: number;
}

/**
 * One HTTP exchange with Google. Every failure becomes a GoogleError; nothing Google sent back
 * is copied into a message except its error code, and nothing we sent (tokens, codes, secrets)
 * ever is. The timeout covers the whole exchange, body included.
 */
export async function callGoogle(req: GoogleRequest): Promise<unknown> {
  const signal = AbortSignal.timeout(req.timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: {
        accept: 'application/json',
        ...(req.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...req.headers,
      },
      body: req.form ? new URLSearchParams(req.form).toString() : undefined,
      redirect: 'manual',
      signal,
    });
    text = await res.text();
  } catch (err) {
    throw transportError(req, err);
  }

  if (res.status >= 200 && res.status < 300) {
    if (text === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new GoogleError('invalid_response', req.endpoint, `status ${res.status} with a body that is not JSON`, {
        status: res.status,
      });
    }
  }
  throw statusError(req.endpoint, res, text);
}

function transportError(req: GoogleRequest, err: unknown): GoogleError {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new GoogleError('unavailable', req.endpoint, `no answer within ${req.timeoutMs} ms`, { cause: err });
  }
  // undici reports refused/reset connections and DNS failures as TypeError("fetch failed")
  // with the system error as its cause; the code is safe to show, the URL is not needed.
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : 'network error';
  return new GoogleError('unavailable', req.endpoint, `connection failed (${code})`, { cause: err });
}

function statusError(endpoint: GoogleEndpoint, res: Response, text: string): GoogleError {
  const status = res.status;
  const googleError = errorCode(text);
  const detail = `status ${status}${googleError ? ` (${googleError})` : ''}`;
  const opts = { status, ...(googleError ? { googleError } : {}) };
  // RFC 6749 §5.2: "invalid_grant: The provided authorization grant ... or refresh token is
  // invalid, expired, revoked ..." — the one answer that means "sign in again".
  if (googleError === 'invalid_grant') return new GoogleError('invalid_grant', endpoint, detail, opts);
  if (status === 429) {
    return new GoogleError('rate_limited', endpoint, detail, {
      ...opts,
      retryAfter: parseRetryAfter(res.headers.get('retry-after')),
    });
  }
  if (status >= 500) return new GoogleError('unavailable', endpoint, detail, opts);
  if (status >= 400) return new GoogleError('rejected', endpoint, detail, opts);
  return new GoogleError('invalid_response', endpoint, `unexpected status ${status}`, opts);
}

/** Google's error bodies are `{"error": "...", "error_description": "..."}`; keep only a safe code. */
function errorCode(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    const code = typeof body?.error === 'string' ? body.error : (body?.error as { status?: unknown })?.status;
    return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RFC 9110 §10.2.3: Retry-After is delay-seconds or an HTTP-date. Honoured up to
 * MAX_RETRY_AFTER_SECONDS.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number {
  return Math.min(MAX_RETRY_AFTER_SECONDS, retryAfterSeconds(value, now));
}

function retryAfterSeconds(value: string | null, now: number): number {
  if (!value) return DEFAULT_RETRY_AFTER_SECONDS;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) return DEFAULT_RETRY_AFTER_SECONDS;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** When a back-off that Google asked for ends, never later than MAX_RETRY_AFTER_SECONDS from now. */
export function backOffUntil(retryAfterSeconds: number, now = Date.now()): number {
  return now + Math.min(Math.max(0, retryAfterSeconds), MAX_RETRY_AFTER_SECONDS) * 1000;
}
