import autocannon from 'autocannon';

/** One request template; setupRequest/onResponse run per request on that connection's context. */
export interface LoadRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** `stop()` ends the run early (a pool of single-use credentials is running out). */
  setupRequest?: (
    req: autocannon.Request,
    context: Record<string, unknown>,
    stop: () => void,
  ) => autocannon.Request | null;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

export interface LoadOptions {
  baseUrl: string;
  request: LoadRequest;
  connections: number;
  durationSeconds: number;
}

export interface LoadResult {
  /** 2xx responses per second over the run's real duration: errors are not throughput. */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  /** The scenario ended the run before its duration (its pool ran out). */
  stoppedEarly: boolean;
}

/** Runs autocannon in this process (the bench pins itself to the load-generator core). */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const r = o.request;
  let instance: autocannon.Instance | undefined;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    instance?.stop();
  };
  const setupRequest = r.setupRequest;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: o.baseUrl,
        connections: o.connections,
        duration: o.durationSeconds,
        timeout: 10,
        // Responses are only read when a scenario needs them (refresh chains); recording bodies costs.
        requests: [
          {
            method: r.method ?? 'GET',
            path: r.path,
            headers: r.headers,
            body: r.body,
            ...(setupRequest
              ? {
                  setupRequest: ((req: autocannon.Request, ctx: Record<string, unknown>) =>
                    setupRequest(req, ctx, stop)) as never,
                }
              : {}),
            ...(r.onResponse ? { onResponse: r.onResponse as never } : {}),
          },
        ],
      },
      (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
    );
  });
  const seconds = Math.max(0.001, result.duration);
  const ok = result['2xx'];
  return {
    rps: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds,
    stoppedEarly: stopped,
  };
}
