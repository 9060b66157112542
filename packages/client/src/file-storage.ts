import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { isStoredSession, type StoredSession, type TokenStorage } from './storage.js';

/**
 * `$XDG_CONFIG_HOME/gatehouse/<issuer-host>-<clientId>.json` (XDG Base Directory; ~/.config
 * when unset), one file per issuer and client so two apps never share a session. Characters
 * that are not safe in file names on every OS (the port's colon) become `_`.
 */
export function defaultTokenPath(issuer: string, clientId: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return join(base, 'gatehouse', `${safe(new URL(issuer).host)}-${safe(clientId)}.json`);
}

/**
 * A session in one JSON file readable by its owner only (0600, directory 0700): it holds a
 * refresh token. Writes go to a temp file in the same directory, then rename, so a crash or a
 * concurrent reader never sees half a file, and a file that had looser permissions is replaced
 * rather than rewritten in place.
 */
export class FileTokenStorage implements TokenStorage {
  constructor(readonly path: string) {}

  async get(): Promise<StoredSession | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    // A corrupt or foreign file is no session: the next login overwrites it.
    try {
      const value: unknown = JSON.parse(text);
      return isStoredSession(value) ? value : null;
    } catch {
      return null;
    }
  }

  async set(session: StoredSession): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    // 'wx': never follow or reuse an existing file at the temp path.
    const file = await open(temp, 'wx', 0o600);
    try {
      try {
        await file.writeFile(JSON.stringify(session));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
