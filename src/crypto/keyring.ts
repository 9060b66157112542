import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM under ENCRYPTION_KEYS. The first key encrypts; every listed key decrypts. On a
 * fleet a new key is first added after the active one everywhere, then made first (two steps),
 * so no instance ever meets ciphertext under a key it does not hold. Ciphertext is
 * "<kid>.<iv>.<ciphertext+tag>" (base64url): it names its key, so a row never needs a guess.
 */
export interface Keyring {
  readonly activeKid: string;
  encrypt(plaintext: string, associatedData?: string): string;
  decrypt(ciphertext: string, associatedData?: string): string;
  /** The key id a ciphertext was made with (without decrypting it). */
  kidOf(ciphertext: string): string;
}

export class DecryptionError extends Error {
  override name = 'DecryptionError';

  /**
   * `missingKid` is set when the ciphertext names a key this keyring does not hold: not damage
   * but configuration, typically an instance still on the old ENCRYPTION_KEYS during a rotation.
   */
  constructor(
    message: string,
    readonly missingKid?: string,
  ) {
    super(message);
  }

  /** The same failure with where it happened in front (a row id), never any plaintext. */
  withContext(context: string): DecryptionError {
    return new DecryptionError(`${context}: ${this.message}`, this.missingKid);
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function createKeyring(keys: readonly { kid: string; key: Buffer }[]): Keyring {
  const first = keys[0];
  if (!first) throw new Error('a keyring needs at least one key');
  const byKid = new Map(keys.map((k) => [k.kid, k.key]));

  return {
    activeKid: first.kid,
    encrypt(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', first.key, iv);
      // The kid is bound into the tag, so a ciphertext cannot be relabelled with another key id.
      cipher.setAAD(Buffer.from(`${first.kid}|${associatedData ?? ''}`));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${first.kid}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    decrypt(ciphertext, associatedData) {
      const [kid, ivPart, bodyPart, extra] = ciphertext.split('.');
      if (!kid || !ivPart || !bodyPart || extra !== undefined) throw new DecryptionError('malformed ciphertext');
      const key = byKid.get(kid);
      if (!key) throw new DecryptionError(`unknown encryption key id "${kid}" (not in ENCRYPTION_KEYS)`, kid);
      const iv = Buffer.from(ivPart, 'base64url');
      const body = Buffer.from(bodyPart, 'base64url');
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new DecryptionError('malformed ciphertext');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(Buffer.from(`${kid}|${associatedData ?? ''}`));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new DecryptionError(`ciphertext failed authentication under key "${kid}"`);
      }
    },
    kidOf(ciphertext) {
      return ciphertext.slice(0, ciphertext.indexOf('.'));
    },
  };
}
