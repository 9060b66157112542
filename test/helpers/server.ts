import type { BuildOptions, TestApp, TestStorage } from './app.js';
import { buildTestApp } from './app.js';
import { freePort } from './processes.js';

export interface ListeningTestApp extends TestApp {
  /** Where the app listens, e.g. http://127.0.0.1:41234 */
  url: string;
}

/**
 * A test app on a real port (127.0.0.1). PUBLIC_URL defaults to that address, so redirects
 * and the dev-mode mock Google (which the app fetches over HTTP) work end to end.
 */
export async function listenTestApp(storage: TestStorage, opts: BuildOptions = {}): Promise<ListeningTestApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await buildTestApp(storage, { ...opts, env: { PUBLIC_URL: url, ...opts.env } });
  await t.app.listen({ host: '127.0.0.1', port });
  return { ...t, url };
}
