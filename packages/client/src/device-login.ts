import * as oauth from 'oauth4webapi';
import type { ServerContext } from './discovery.js';
import { GatehouseClientError, loginFailed } from './errors.js';

/** What the application shows the person (RFC 8628 §3.3): where to go and which code to type. */
export interface DeviceCode {
  /** The code to type, e.g. WDJB-MJHT. */
  userCode: string;
  /** The page to open, e.g. https://auth.example.com/device. */
  verificationUri: string;
  /** The same page with the code filled in (for a QR code or a link), when the server gives one. */
  verificationUriComplete?: string;
  /** Seconds until the code expires. */
  expiresIn: number;
}

export interface DeviceLoginOptions {
  /** Called once with the code to show; login waits for the person to approve elsewhere. */
  onCode: (code: DeviceCode) => void | Promise<void>;
  /** Stops waiting: loginWithDevice rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** RFC 8628 §3.5 slow_down: "the interval MUST be increased by 5 seconds for this and all subsequent requests". */
const SLOW_DOWN_STEP_SECONDS = 5;
/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
const DEFAULT_INTERVAL_SECONDS = 5;

/**
 * The device authorization grant (RFC 8628 §3.1–3.5) for a public client: asks for a code,
 * hands it to onCode, then polls the token endpoint at the server's interval until the person
 * approves (the token response), denies or lets the code expire (a GatehouseClientError).
 */
export async function runDeviceLogin(
  server: ServerContext,
  scopes: string[],
  opts: DeviceLoginOptions,
): Promise<oauth.TokenEndpointResponse> {
  const { as, client, http } = server;
  if (!as.device_authorization_endpoint) throw loginFailed('the server does not offer the device authorization grant');
  const started = await oauth.deviceAuthorizationRequest(
    as,
    client,
    oauth.None(),
    { scope: scopes.join(' ') },
    { ...http, signal: opts.signal },
  );
  const authorization = await withServerErrors(() => oauth.processDeviceAuthorizationResponse(as, client, started));
  await opts.onCode({
    userCode: authorization.user_code,
    verificationUri: authorization.verification_uri,
    ...(authorization.verification_uri_complete
      ? { verificationUriComplete: authorization.verification_uri_complete }
      : {}),
    expiresIn: authorization.expires_in,
  });
  let interval = authorization.interval ?? DEFAULT_INTERVAL_SECONDS;
  for (;;) {
    await sleep(interval * 1000, opts.signal);
    const response = await oauth.deviceCodeGrantRequest(as, client, oauth.None(), authorization.device_code, {
      ...http,
      signal: opts.signal,
    });
    try {
      return await oauth.processDeviceCodeResponse(as, client, response);
    } catch (err) {
      if (!(err instanceof oauth.ResponseBodyError))
        throw loginFailed(`the token response was refused (${(err as Error).message})`, err);
      if (err.error === 'authorization_pending') continue;
      if (err.error === 'slow_down') {
        interval += SLOW_DOWN_STEP_SECONDS;
        continue;
      }
      if (err.error === 'expired_token')
        throw new GatehouseClientError('login_timeout', 'the code expired before the person approved it', {
          cause: err,
        });
      if (err.error === 'access_denied') throw loginFailed('the person denied the request', err);
      throw loginFailed(
        `the server answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
        err,
      );
    }
  }
}

async function withServerErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError)
      throw loginFailed(
        `the server answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
        err,
      );
    throw err;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** AbortSignal.reason is an AbortError unless the caller aborted with a value of their own. */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}
