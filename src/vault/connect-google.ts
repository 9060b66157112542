import type { FastifyBaseLogger } from 'fastify';
import type { GoogleClient } from '../google/client.js';
import { GoogleError } from '../google/errors.js';
import type { GoogleCredential } from '../repositories/google-credentials.js';
import type { ConnectLink } from '../repositories/connections.js';
import type { Repositories } from '../repositories/index.js';
import type { Database } from '../storage/database.js';
import { recordCredentialSaved } from '../webhooks/credential-events.js';
import type { VaultAudit } from './audit.js';
import type { TokenBroker } from './broker.js';

export interface ConnectGoogleDeps {
  google: Pick<GoogleClient, 'exchangeCode' | 'verifyIdToken' | 'revoke'>;
  db: Pick<Database, 'transaction'>;
  repos: Pick<Repositories, 'connections' | 'googleCredentials'>;
  /** Cached tokens of the connection must not outlive the credential they came from. */
  vault: Pick<TokenBroker, 'forget'>;
  vaultAudit: VaultAudit;
  log: FastifyBaseLogger;
}

export interface ConnectInput {
  code: string;
  verifier: string;
  nonce: string;
  redirectUri: string;
  link: ConnectLink;
}

/**
 * The link was completed already, or its connection was deleted after it was spent: a replayed
 * callback (state cookie + code) must not bring a connection back or swap its Google account.
 */
export class ConnectLinkRefused extends Error {
  override name = 'ConnectLinkRefused';
}

/**
 * The server side of a connect-link callback: exchange the code (PKCE), verify the ID token
 * (nonce), then in one transaction complete the link (exactly one callback can), create (or
 * touch) the connection and store its Google tokens encrypted — replacing a previous
 * credential in place, which also clears reauth_required. Throws GoogleError for anything
 * Google-side, ConnectLinkRefused when the link cannot complete.
 */
export async function completeGoogleConnection(
  deps: ConnectGoogleDeps,
  input: ConnectInput,
): Promise<GoogleCredential> {
  const connectionId = input.link.connectionId;
  const tokens = await deps.google.exchangeCode(input.code, input.verifier, input.redirectUri);
  if (!tokens.id_token) throw new GoogleError('invalid_response', 'token', 'no id_token in the token response');
  const claims = await deps.google.verifyIdToken(tokens.id_token, input.nonce);
  // A connection is only worth holding with offline access; consent was forced, so Google
  // sends a refresh token unless the person's admin or Google refused offline access.
  if (!tokens.refresh_token)
    throw new GoogleError('invalid_response', 'token', 'no refresh token: offline access was not granted');

  const previous = await deps.repos.googleCredentials.findByOwner({ connectionId });
  // Another Google account replaces the old one: its grant is revoked below. The same
  // account's new refresh token belongs to the same grant at Google, which revoking the old
  // one would end too, so that is left alone.
  const replacedGrant =
    previous && previous.googleSub !== claims.sub
      ? ((await deps.repos.googleCredentials.decryptTokens(previous.id))?.refreshToken ?? null)
      : null;

  const credential = await deps.db.transaction(async (tx) => {
    // First, so two callbacks of one link serialise on its row and the second finds it done;
    // a deleted connection took its links with it.
    if (!(await deps.repos.connections.completeLink(input.link.id, tx))) throw new ConnectLinkRefused();
    await deps.repos.connections.ensure(connectionId, input.link.apiKeyId, tx);
    const saved = await deps.repos.googleCredentials.save(
      { connectionId },
      {
        accessToken: tokens.access_token,
        expiresIn: tokens.expires_in,
        refreshToken: tokens.refresh_token,
        scope: tokens.scope,
        googleSub: claims.sub,
        email: claims.email,
      },
      tx,
    );
    await recordCredentialSaved(tx, saved);
    return saved;
  });
  await deps.vault.forget(credential.id, { kind: 'connection', connectionId });
  if (replacedGrant) {
    await deps.google
      .revoke(replacedGrant)
      .catch((err: unknown) =>
        deps.log.warn({ connectionId, kind: (err as GoogleError).kind }, 'could not revoke the replaced Google grant'),
      );
  }
  deps.vaultAudit({
    event: 'connection_connected',
    subject: connectionId,
    credential_id: credential.id,
    details: { replaced: Boolean(previous) },
  });
  return credential;
}
