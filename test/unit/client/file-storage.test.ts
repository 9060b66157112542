import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileTokenStorage, defaultTokenPath } from '../../../packages/client/src/file-storage.js';
import { tempDir } from '../../helpers/processes.js';

const session = {
  accessToken: 'at',
  refreshToken: 'rt',
  expiresAt: 1_700_000_000_000,
  scope: 'openid',
  idTokenUser: { sub: 'u1' },
};

describe('defaultTokenPath', () => {
  it('lives under XDG_CONFIG_HOME, one file per issuer host and client', () => {
    expect(defaultTokenPath('http://127.0.0.1:8080', 'cli-app', { XDG_CONFIG_HOME: '/cfg' })).toBe(
      '/cfg/gatehouse/127.0.0.1_8080-cli-app.json',
    );
    expect(defaultTokenPath('https://auth.example.com/', 'a/b', {})).toBe(
      join(homedir(), '.config', 'gatehouse', 'auth.example.com-a_b.json'),
    );
  });
});

describe('FileTokenStorage', () => {
  it('round-trips a session in a 0600 file, without temp files left behind', async () => {
    const dir = tempDir('gatehouse-fs-');
    const storage = new FileTokenStorage(join(dir, 'deep', 's.json'));
    expect(await storage.get()).toBeNull();
    await storage.set(session);
    expect(await storage.get()).toEqual(session);
    expect((await stat(storage.path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'deep'))).toEqual(['s.json']);
    await storage.clear();
    expect(await storage.get()).toBeNull();
    await storage.clear();
  });

  it('replaces a file that had looser permissions instead of writing into it', async () => {
    const path = join(tempDir('gatehouse-fs-'), 's.json');
    await writeFile(path, '{}');
    await chmod(path, 0o644);
    await new FileTokenStorage(path).set(session);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(session);
  });

  it.each([
    ['not JSON', '{"accessToken":'],
    ['a foreign shape', '{"access_token":"x"}'],
  ])('reads %s as no session', async (_name, text) => {
    const path = join(tempDir('gatehouse-fs-'), 's.json');
    await writeFile(path, text);
    expect(await new FileTokenStorage(path).get()).toBeNull();
  });
});
