import type { CryptoKey, JWK } from 'jose';
import type { Cache } from '../cache/cache.js';
import { ID_TOKEN_ALGORITHMS as CLIENT_ID_TOKEN_ALGORITHMS } from '../clients/client.js';
import type { Config } from '../config/schema.js';
import { hmacSha256 } from '../crypto/hash.js';
import type { Keyring } from '../crypto/keyring.js';
import {
  generateSigningKey,
  importPrivateKey,
  importPublicKey,
  publicMembersOf,
  type AsymmetricAlgorithm,
} from '../crypto/signing-key-material.js';
import type { Repositories } from '../repositories/index.js';
import {
  ONE_ACTIVE_KEY_INDEX,
  type NewSigningKey,
  type SigningKeysRepository,
  type UsableSigningKeyRow,
} from '../repositories/signing-keys.js';
import { isUniqueViolation, type Database } from '../storage/database.js';

export type SigningAlgorithm = Config['security']['jwt_algorithm'];

/** Every instance reloads its key set when a message arrives here (a rotation happened). */
export const SIGNING_KEYS_CHANNEL = 'signing-keys';

/**
 * A retired key keeps verifying for one access-token lifetime plus this margin, which covers the
 * 5 s verification clock tolerance, the time a rotation message takes to reach every instance,
 * and modest clock skew between instances.
 */
export const RETENTION_MARGIN_SECONDS = 60;

/** A key that verifies signatures. */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** CryptoKey for asymmetric algorithms; the shared secret for HS256. */
  readonly key: CryptoKey | Uint8Array;
  /** Epoch milliseconds after which this key verifies nothing; Infinity while it is active. */
  readonly usableUntil: number;
}

/** The key new tokens are signed with. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly key: CryptoKey | Uint8Array;
}

export interface SigningKeyStore {
  readonly algorithm: SigningAlgorithm;
  signingKey(): SigningKey;
  /** The key for kid while it is within its window; undefined otherwise. No I/O. */
  verificationKey(kid: string): VerificationKey | undefined;
  /**
   * Like verificationKey, but an unknown kid triggers one reload (at most every few seconds),
   * so an instance that missed a rotation message still accepts tokens signed with the new key.
   */
  resolveVerificationKey(kid: string): Promise<VerificationKey | undefined>;
  /** Public JWKs of the keys within their window, active key first; empty for HS256. */
  publicJwks(): JWK[];
  /** Reads the key set from the database again; concurrent calls share one read. */
  reload(): Promise<void>;
  /** Stops the periodic refresh; later reloads do nothing. */
  close(): void;
}

export interface SigningKeyStoreDeps {
  repos: Pick<Repositories, 'signingKeys'>;
  keyring: Keyring;
  config: Config;
  /** Where reload failures are reported; key material is never passed to it. */
  log?: { warn(obj: object, msg: string): void };
  /**
   * Safety net for a lost pub/sub message: the key set is re-read this often anyway.
   * 0 turns it off.
   */
  refreshIntervalMs?: number;
}

/** How long a retired key stays in the JWKS and keeps verifying. */
export function signingKeyRetentionSeconds(config: Config): number {
  return config.security.access_token_expiry_minutes * 60 + RETENTION_MARGIN_SECONDS;
}

const DEFAULT_REFRESH_INTERVAL_MS = 60_000;
const UNKNOWN_KID_RELOAD_INTERVAL_MS = 5_000;

/**
 * Loads the signing keys once (creating the first key when there is none) and keeps them in
 * memory, so signing and verifying never touch the database.
 */
export async function openSigningKeyStore(
  deps: SigningKeyStoreDeps,
  alg: SigningAlgorithm = deps.config.security.jwt_algorithm,
): Promise<SigningKeyStore> {
  if (alg === 'HS256') return sharedSecretKeyStore(deps.config);
  return databaseKeyStore(alg, deps);
}

/**
 * HS256: the key is JWT_SECRET. Nothing is stored and nothing is published; rotating means
 * changing the secret (which invalidates every outstanding token).
 */
function sharedSecretKeyStore(config: Config): SigningKeyStore {
  const secret = config.secrets.jwt_secret;
  if (!secret) throw new Error('security.jwt_algorithm is HS256 but JWT_SECRET is not set');
  const key = new TextEncoder().encode(secret);
  // A keyed digest names the secret without revealing anything an HS256 signature does not.
  const kid = `hs256-${hmacSha256(secret, 'gatehouse signing key id').subarray(0, 9).toString('base64url')}`;
  const verification: VerificationKey = { kid, alg: 'HS256', key, usableUntil: Infinity };
  return {
    algorithm: 'HS256',
    signingKey: () => ({ kid, alg: 'HS256', key }),
    verificationKey: (k) => (k === kid ? verification : undefined),
    resolveVerificationKey: async (k) => (k === kid ? verification : undefined),
    publicJwks: () => [],
    reload: async () => {},
    close: () => {},
  };
}

interface KeySet {
  signing: SigningKey;
  byKid: Map<string, VerificationKey>;
  /** In the order they are published: active first, then the newest retired. */
  published: { jwk: JWK; usableUntil: number }[];
  loadedAt: number;
}

async function databaseKeyStore(alg: AsymmetricAlgorithm, deps: SigningKeyStoreDeps): Promise<SigningKeyStore> {
  const repo = deps.repos.signingKeys;
  const retention = signingKeyRetentionSeconds(deps.config);
  let current = await loadKeySet(alg, repo, deps.keyring, retention, true);
  let closed = false;

  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const loadNow = async () => {
    if (closed) return;
    const next = await loadKeySet(alg, repo, deps.keyring, retention, false);
    if (!closed) current = next;
  };
  const start = () => {
    running = loadNow().finally(() => {
      running = null;
    });
    return running;
  };
  // One read at a time; a reload asked for during a read runs once after it, so a rotation
  // committed mid-read is never missed and a burst of messages costs two reads, not many.
  const reload = (): Promise<void> => {
    if (queued) return queued;
    if (!running) return start();
    queued = running
      .catch(() => {})
      .then(() => {
        queued = null;
        return start();
      });
    return queued;
  };

  const refreshMs = deps.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  const timer =
    refreshMs > 0
      ? setInterval(() => {
          reload().catch((err: unknown) =>
            deps.log?.warn({ err }, 'periodic signing key refresh failed; keeping the loaded keys'),
          );
        }, refreshMs)
      : undefined;
  timer?.unref();

  const live = (k: VerificationKey | undefined) => (k && k.usableUntil > Date.now() ? k : undefined);

  return {
    algorithm: alg,
    signingKey: () => current.signing,
    verificationKey: (kid) => live(current.byKid.get(kid)),
    async resolveVerificationKey(kid) {
      const known = live(current.byKid.get(kid));
      if (known || closed || Date.now() - current.loadedAt < UNKNOWN_KID_RELOAD_INTERVAL_MS) return known;
      try {
        await reload();
      } catch (err) {
        deps.log?.warn({ err }, 'signing key reload for an unknown kid failed');
      }
      return live(current.byKid.get(kid));
    },
    publicJwks: () => {
      const now = Date.now();
      return current.published.filter((p) => p.usableUntil > now).map((p) => p.jwk);
    },
    reload,
    close() {
      closed = true;
      if (timer) clearInterval(timer);
    },
  };
}

/**
 * Reads the usable keys. On first start (createIfMissing) the table may be empty: this instance
 * generates a key, and when another instance starting at the same moment wins the race
 * (signing_keys_one_active_idx allows one active key per algorithm) it loads the winner's key.
 */
async function loadKeySet(
  alg: AsymmetricAlgorithm,
  repo: SigningKeysRepository,
  keyring: Keyring,
  retentionSeconds: number,
  createIfMissing: boolean,
): Promise<KeySet> {
  let rows = await repo.listUsable(alg, retentionSeconds);
  if (createIfMissing && !rows.some((r) => r.retired_at === null)) {
    try {
      await repo.insert(await newSigningKeyRow(alg, keyring));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    rows = await repo.listUsable(alg, retentionSeconds);
  }
  const active = rows.find((r) => r.retired_at === null);
  if (!active) throw new Error(`no active ${alg} signing key in signing_keys`);

  const now = Date.now();
  const byKid = new Map<string, VerificationKey>();
  const published: KeySet['published'] = [];
  for (const row of [active, ...rows.filter((r) => r !== active)]) {
    const usableUntil = row.usable_for_ms === null ? Infinity : now + row.usable_for_ms;
    byKid.set(row.kid, { kid: row.kid, alg, key: await importPublicKey(row.public_jwk, alg), usableUntil });
    published.push({ jwk: { ...publicMembersOf(row.public_jwk), kid: row.kid, alg, use: 'sig' }, usableUntil });
  }
  return {
    signing: { kid: active.kid, alg, key: await decryptSigningKey(active, alg, keyring) },
    byKid,
    published,
    loadedAt: now,
  };
}

/** Only the active key's private half is ever decrypted; retired keys only verify. */
async function decryptSigningKey(
  row: UsableSigningKeyRow,
  alg: AsymmetricAlgorithm,
  keyring: Keyring,
): Promise<CryptoKey> {
  let plaintext: string;
  try {
    // The kid is the associated data: a ciphertext copied onto another row fails authentication.
    plaintext = keyring.decrypt(row.private_key_enc, row.kid);
  } catch (err) {
    // Refuse to start rather than generate a replacement: an instance with the wrong
    // ENCRYPTION_KEYS must not rotate keys out from under correctly configured ones.
    throw new Error(
      `signing key ${row.kid} cannot be decrypted with ENCRYPTION_KEYS (it was encrypted under key id "${row.encryption_key_id}")`,
      { cause: err },
    );
  }
  const privateJwk = JSON.parse(plaintext) as JWK;
  return importPrivateKey(privateJwk, row.public_jwk, alg);
}

async function newSigningKeyRow(alg: AsymmetricAlgorithm, keyring: Keyring): Promise<NewSigningKey> {
  const { kid, publicJwk, privateJwk } = await generateSigningKey(alg);
  return {
    kid,
    algorithm: alg,
    public_jwk: publicJwk,
    private_key_enc: keyring.encrypt(JSON.stringify(privateJwk), kid),
    encryption_key_id: keyring.activeKid,
  };
}

/** OIDC Discovery §3 id_token_signing_alg_values_supported: RS256 MUST be included (and is listed first). */
export const ID_TOKEN_ALGORITHMS: readonly AsymmetricAlgorithm[] = CLIENT_ID_TOKEN_ALGORITHMS;

/**
 * Every algorithm Gatehouse keeps a signing key for: access tokens' security.jwt_algorithm and
 * each ID token algorithm a client may register (the JWKS publishes a current key for each).
 */
export function algorithmsInUse(config: Config): SigningAlgorithm[] {
  return [...new Set<SigningAlgorithm>([config.security.jwt_algorithm, ...ID_TOKEN_ALGORITHMS])];
}

/** Rotates the key of every algorithm in use (HS256 is rotated by changing JWT_SECRET). */
export async function rotateSigningKeys(deps: RotationDeps): Promise<(RotationResult & { alg: SigningAlgorithm })[]> {
  const results: (RotationResult & { alg: SigningAlgorithm })[] = [];
  for (const alg of algorithmsInUse(deps.config)) {
    if (alg === 'HS256') continue;
    results.push({ alg, ...(await rotateSigningKey(deps, alg)) });
  }
  return results;
}

export interface RotationDeps {
  db: Database;
  repos: Pick<Repositories, 'signingKeys'>;
  cache: Cache;
  keyring: Keyring;
  config: Config;
}

export interface RotationResult {
  kid: string;
  retiredKid: string | null;
  /** False when the rotation message could not be published; instances pick it up on their periodic refresh. */
  notified: boolean;
}

/**
 * Retires the active key of the configured algorithm and activates a new one in one
 * transaction, then tells every instance to reload. The retired key keeps verifying (and stays
 * in the JWKS) for signingKeyRetentionSeconds.
 */
export async function rotateSigningKey(
  deps: RotationDeps,
  alg: SigningAlgorithm = deps.config.security.jwt_algorithm,
): Promise<RotationResult> {
  if (alg === 'HS256') throw new Error('HS256 signs with JWT_SECRET; rotate by changing the secret');
  const repo = deps.repos.signingKeys;
  const next = await newSigningKeyRow(alg, deps.keyring);
  let retiredKid: string | null;
  try {
    retiredKid = await deps.db.transaction(async (tx) => {
      const retired = await repo.retireActive(alg, tx);
      await repo.insert(next, tx);
      return retired;
    });
  } catch (err) {
    if (isUniqueViolation(err, ONE_ACTIVE_KEY_INDEX))
      throw new Error('another signing key rotation ran at the same time; nothing was changed', { cause: err });
    throw err;
  }
  let notified = true;
  try {
    await deps.cache.publish(SIGNING_KEYS_CHANNEL, next.kid);
  } catch {
    notified = false;
  }
  return { kid: next.kid, retiredKid, notified };
}
