import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/** The asymmetric algorithms Gatehouse generates and stores keys for (HS256 uses JWT_SECRET). */
export type AsymmetricAlgorithm = 'ES256' | 'EdDSA' | 'RS256';

export interface GeneratedSigningKey {
  /** RFC 7638 thumbprint of the public key: stable, and derived from nothing secret. */
  kid: string;
  /** Public members only, with kid, alg and use. */
  publicJwk: JWK;
  /** The full private JWK. Callers encrypt it at once and drop it. */
  privateJwk: JWK;
}

/**
 * The public members of each key type (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2) plus the
 * RFC 7517 §4 parameters a verifier uses. A whitelist, not a blacklist: a private member
 * (d, p, q, dp, dq, qi, oth, k) can never be copied by accident.
 */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
};
const METADATA_MEMBERS = ['kid', 'alg', 'use'] as const;

export function publicMembersOf(jwk: JWK): JWK {
  const members = PUBLIC_MEMBERS[jwk.kty ?? ''];
  if (!members) throw new Error(`no public form for key type ${String(jwk.kty)}`);
  const out: Record<string, unknown> = {};
  for (const name of [...members, ...METADATA_MEMBERS]) {
    const value = (jwk as Record<string, unknown>)[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

export async function generateSigningKey(alg: AsymmetricAlgorithm): Promise<GeneratedSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    // RFC 7518 §3.3: a key of size 2048 bits or larger MUST be used with RS256.
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const bare = publicMembersOf(await exportJWK(publicKey));
  const kid = await calculateJwkThumbprint(bare, 'sha256');
  const publicJwk: JWK = { ...bare, kid, alg, use: 'sig' };
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg };
  return { kid, publicJwk, privateJwk };
}

/** Imports a stored private JWK as a non-extractable signing key, after checking it belongs to publicJwk. */
export async function importPrivateKey(privateJwk: JWK, publicJwk: JWK, alg: AsymmetricAlgorithm): Promise<CryptoKey> {
  const expected = publicMembersOf(publicJwk);
  for (const name of PUBLIC_MEMBERS[expected.kty!]!) {
    if ((privateJwk as Record<string, unknown>)[name] !== (expected as Record<string, unknown>)[name]) {
      throw new Error(`stored private key does not match public key ${String(publicJwk.kid)}`);
    }
  }
  return (await importJWK(privateJwk, alg)) as CryptoKey;
}

export async function importPublicKey(publicJwk: JWK, alg: AsymmetricAlgorithm): Promise<CryptoKey> {
  return (await importJWK(publicMembersOf(publicJwk), alg)) as CryptoKey;
}
