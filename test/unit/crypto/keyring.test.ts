import { describe, expect, it } from 'vitest';
import { DecryptionError, createKeyring } from '../../../src/crypto/keyring.js';
import { constantTimeEqual, sha256Hex } from '../../../src/crypto/hash.js';

const k1 = { kid: 'k1', key: Buffer.alloc(32, 1) };
const k2 = { kid: 'k2', key: Buffer.alloc(32, 2) };

describe('keyring', () => {
  it('round-trips and names the active key in the ciphertext', () => {
    const ring = createKeyring([k1]);
    const c = ring.encrypt('ya29.secret-google-token');
    expect(c.startsWith('k1.')).toBe(true);
    expect(c).not.toContain('secret-google-token');
    expect(ring.kidOf(c)).toBe('k1');
    expect(ring.decrypt(c)).toBe('ya29.secret-google-token');
  });

  it('uses a fresh IV each time', () => {
    const ring = createKeyring([k1]);
    expect(ring.encrypt('same')).not.toBe(ring.encrypt('same'));
  });

  it('decrypts with an older key after rotation and encrypts with the new one', () => {
    const old = createKeyring([k1]).encrypt('before');
    const rotated = createKeyring([k2, k1]);
    expect(rotated.decrypt(old)).toBe('before');
    expect(rotated.kidOf(rotated.encrypt('after'))).toBe('k2');
  });

  it('refuses a removed key, a flipped byte, a relabelled kid and wrong associated data', () => {
    const ring = createKeyring([k1, k2]);
    const c = ring.encrypt('value', 'row-1');
    expect(() => createKeyring([k2]).decrypt(c)).toThrow(DecryptionError);
    const [kid, iv, body] = c.split('.') as [string, string, string];
    const raw = Buffer.from(body, 'base64url');
    raw[0] = raw[0]! ^ 1;
    expect(() => ring.decrypt(`${kid}.${iv}.${raw.toString('base64url')}`)).toThrow(DecryptionError);
    expect(() => ring.decrypt(`k2.${iv}.${body}`)).toThrow(DecryptionError);
    expect(() => ring.decrypt(c, 'row-2')).toThrow(DecryptionError);
    expect(() => ring.decrypt('garbage')).toThrow(DecryptionError);
    expect(ring.decrypt(c, 'row-1')).toBe('value');
  });
});

describe('hash helpers', () => {
  it('sha256Hex is the standard digest', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('constantTimeEqual compares whole values of any length', () => {
    expect(constantTimeEqual('secret', 'secret')).toBe(true);
    expect(constantTimeEqual('secret', 'secreT')).toBe(false);
    expect(constantTimeEqual('secret', 'secret-longer')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
