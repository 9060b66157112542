import { beforeAll, expect, it } from 'vitest';
import { createKeyring } from '../../../src/crypto/keyring.js';
import {
  createGoogleCredentialsRepository,
  type GoogleCredentialsRepository,
} from '../../../src/repositories/google-credentials.js';
import { createUsersRepository, type UsersRepository } from '../../../src/repositories/users.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestStorage } from '../../helpers/use-test-app.js';

const key = (kid: string, byte: number) => ({ kid, key: Buffer.alloc(32, byte) });

describeBackends('users and Google credential repositories', (backend) => {
  const storage = useTestStorage(backend);
  let users: UsersRepository;
  let creds: GoogleCredentialsRepository;

  beforeAll(async () => {
    users = createUsersRepository(storage.db, { loginClientId: 'gatehouse' });
    creds = createGoogleCredentialsRepository(storage.db, createKeyring([key('k1', 1)]));
  }, 60_000);

  it('upserts by Google sub, never by email', async () => {
    const a = await users.upsertFromGoogle({
      sub: 'sub-1',
      email: 'Same@Example.com',
      emailVerified: true,
      name: 'A One',
      givenName: 'A',
    });
    expect(a.username).toBe('same');
    const again = await users.upsertFromGoogle({
      sub: 'sub-1',
      email: 'new@example.com',
      emailVerified: true,
      name: 'A Renamed',
    });
    expect(again.id).toBe(a.id);
    expect(again.username).toBe('same'); // a username is chosen once
    expect(again).toMatchObject({ email: 'new@example.com', name: 'A Renamed' });
    const b = await users.upsertFromGoogle({ sub: 'sub-2', email: 'new@example.com' });
    expect(b.id).not.toBe(a.id);
    expect(await users.findById(a.id)).toMatchObject({ googleSub: 'sub-1' });
    expect((await users.findByEmail('NEW@example.com'))?.id).toBeDefined();
    expect((await users.findByUsername('ＳＡＭＥ'))?.id).toBe(a.id); // canonicalised at lookup too
    expect(await users.findByUsername('no such name!')).toBeNull();
  });

  it('adds a numeric suffix on collision and refuses reserved names', async () => {
    const names = [];
    for (let i = 0; i < 3; i++)
      names.push((await users.upsertFromGoogle({ sub: `coll-${i}`, email: 'collide@example.com' })).username);
    expect(names).toEqual(['collide', 'collide2', 'collide3']);
    expect((await users.upsertFromGoogle({ sub: 'adm', email: 'admin@example.com' })).username).toBe('admin2');
    expect((await users.upsertFromGoogle({ sub: 'gh', email: 'Gatehouse@example.com' })).username).toBe('gatehouse2');
  });

  it('concurrent sign-ups of the same name all succeed with distinct usernames (the constraint decides)', async () => {
    const all = await Promise.all(
      Array.from({ length: 6 }, (_, i) => users.upsertFromGoogle({ sub: `race-${i}`, email: 'race@example.com' })),
    );
    const names = all.map((u) => u.username);
    expect(new Set(names).size).toBe(6);
    expect(names.sort()).toEqual(['race', 'race2', 'race3', 'race4', 'race5', 'race6']);
  });

  it('stores tokens encrypted, bound to their row and field, and keeps the refresh token when none comes', async () => {
    const user = await users.upsertFromGoogle({ sub: 'cred-1', email: 'cred@example.com' });
    const saved = await creds.save(
      { userId: user.id },
      {
        accessToken: 'ya29.first',
        expiresIn: 3600,
        refreshToken: '1//refresh-one',
        scope: 'openid email profile',
        googleSub: 'cred-1',
      },
    );
    expect(saved).toMatchObject({
      userId: user.id,
      connectionId: null,
      scopes: ['email', 'openid', 'profile'],
      hasRefreshToken: true,
      status: 'active',
      keyId: 'k1',
    });
    expect(JSON.stringify(saved)).not.toContain('ya29.first');
    expect(JSON.stringify(saved)).not.toContain('refresh-one');

    await creds.markReauthRequired(saved.id);
    const updated = await creds.save({ userId: user.id }, { accessToken: 'ya29.second', expiresIn: 60 });
    expect(updated.id).toBe(saved.id);
    expect(updated.status).toBe('active'); // reconnect resets the status
    expect(updated.scopes).toEqual(['email', 'openid', 'profile']); // no scope sent: kept
    expect(updated.accessTokenExpiresAt!.getTime()).toBeLessThan(Date.now() + 61_000);
    expect(await creds.decryptTokens(saved.id)).toEqual({ accessToken: 'ya29.second', refreshToken: '1//refresh-one' });

    // A ciphertext moved to another field or row does not decrypt.
    const other = await users.upsertFromGoogle({ sub: 'cred-2', email: 'cred2@example.com' });
    const otherCred = await creds.save(
      { userId: other.id },
      { accessToken: 'ya29.other', expiresIn: 3600, refreshToken: '1//other' },
    );
    await storage.db.query(
      `UPDATE google_credentials SET refresh_token_enc = (SELECT refresh_token_enc FROM google_credentials WHERE id = $1) WHERE id = $2`,
      [saved.id, otherCred.id],
    );
    await expect(creds.decryptTokens(otherCred.id)).rejects.toThrow(/failed authentication/);
    await storage.db.query(`UPDATE google_credentials SET access_token_enc = refresh_token_enc WHERE id = $1`, [
      saved.id,
    ]);
    await expect(creds.decryptTokens(saved.id)).rejects.toThrow(/failed authentication/);
  });

  it('saves for a connection through the same path, and re-encrypts a kept token under a new active key', async () => {
    await storage.db.query(`INSERT INTO connections (id) VALUES ('shop-42')`);
    const c = await creds.save(
      { connectionId: 'shop-42' },
      { accessToken: 'ya29.shop', expiresIn: 3600, refreshToken: '1//shop' },
    );
    expect(c).toMatchObject({ connectionId: 'shop-42', userId: null, keyId: 'k1' });
    expect((await creds.findByOwner({ connectionId: 'shop-42' }))?.id).toBe(c.id);

    const rotated = createGoogleCredentialsRepository(storage.db, createKeyring([key('k2', 2), key('k1', 1)]));
    const after = await rotated.save({ connectionId: 'shop-42' }, { accessToken: 'ya29.shop2', expiresIn: 3600 });
    expect(after.keyId).toBe('k2');
    const row = (
      await storage.db.query<{ access_token_enc: string; refresh_token_enc: string }>(
        'SELECT access_token_enc, refresh_token_enc FROM google_credentials WHERE id = $1',
        [c.id],
      )
    ).rows[0]!;
    expect(row.access_token_enc.startsWith('k2.')).toBe(true);
    expect(row.refresh_token_enc.startsWith('k2.')).toBe(true);
    expect(await rotated.decryptTokens(c.id)).toEqual({ accessToken: 'ya29.shop2', refreshToken: '1//shop' });
  });

  it('concurrent first saves for one owner end in one row that decrypts', async () => {
    const user = await users.upsertFromGoogle({ sub: 'cred-race', email: 'credrace@example.com' });
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        creds.save(
          { userId: user.id },
          { accessToken: `ya29.race-${i}`, expiresIn: 3600, refreshToken: `1//race-${i}` },
        ),
      ),
    );
    const rows = await storage.db.query<{ id: string }>('SELECT id FROM google_credentials WHERE user_id = $1', [
      user.id,
    ]);
    expect(rows.rowCount).toBe(1);
    const tokens = (await creds.decryptTokens(rows.rows[0]!.id))!;
    expect(tokens.accessToken).toMatch(/^ya29\.race-\d$/);
  });
});
