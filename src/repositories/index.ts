import type { Config } from '../config/schema.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Database } from '../storage/database.js';
import { createAccessDenialsRepository, type AccessDenialsRepository } from './access-denials.js';
import { createApiKeysRepository, type ApiKeysRepository } from './api-keys.js';
import { createAuditRepository, type AuditRepository } from './audit.js';
import { createAuthorizationCodesRepository, type AuthorizationCodesRepository } from './authorization-codes.js';
import {
  createAuthorizationInteractionsRepository,
  type AuthorizationInteractionsRepository,
} from './authorization-interactions.js';
import { createClientPurgeRepository, type ClientPurgeRepository } from './client-purge.js';
import { createClientsRepository, type ClientsRepository } from './clients.js';
import { createConnectionsRepository, type ConnectionsRepository } from './connections.js';
import { createConsentsRepository, type ConsentsRepository } from './consents.js';
import { createDeviceAuthorizationsRepository, type DeviceAuthorizationsRepository } from './device-authorizations.js';
import { createGoogleCredentialsRepository, type GoogleCredentialsRepository } from './google-credentials.js';
import { createJanitorRepository, type JanitorRepository } from './janitor.js';
import { createReencryptionRepository, type ReencryptionRepository } from './reencryption.js';
import { createRefreshTokensRepository, type RefreshTokensRepository } from './refresh-tokens.js';
import { createRevokedAccessTokensRepository, type RevokedAccessTokensRepository } from './revoked-access-tokens.js';
import { createSessionsRepository, type SessionLifetimes, type SessionsRepository } from './sessions.js';
import { createSigningKeysRepository, type SigningKeysRepository } from './signing-keys.js';
import { createTokenFamiliesRepository, type TokenFamiliesRepository } from './token-families.js';
import { createUserDeletionRepository, type UserDeletionRepository } from './user-deletion.js';
import { createUsersRepository, type UsersRepository } from './users.js';

/** Every repository, built once per app (`app.repos`) or per CLI command. */
export interface Repositories {
  accessDenials: AccessDenialsRepository;
  apiKeys: ApiKeysRepository;
  audit: AuditRepository;
  authorizationCodes: AuthorizationCodesRepository;
  authorizationInteractions: AuthorizationInteractionsRepository;
  clientPurge: ClientPurgeRepository;
  clients: ClientsRepository;
  connections: ConnectionsRepository;
  consents: ConsentsRepository;
  deviceAuthorizations: DeviceAuthorizationsRepository;
  googleCredentials: GoogleCredentialsRepository;
  janitor: JanitorRepository;
  reencryption: ReencryptionRepository;
  refreshTokens: RefreshTokensRepository;
  revokedAccessTokens: RevokedAccessTokensRepository;
  sessions: SessionsRepository;
  signingKeys: SigningKeysRepository;
  tokenFamilies: TokenFamiliesRepository;
  userDeletion: UserDeletionRepository;
  users: UsersRepository;
}

export interface RepositoryOptions {
  /** Decrypts and encrypts Google tokens at rest. */
  keyring: Keyring;
  sessionLifetimes: SessionLifetimes;
  /** The client id Gatehouse's own sign-in uses (users created at sign-in consent to it). */
  loginClientId: string;
}

/** The options as the server and the CLI derive them from configuration. */
export function repositoryOptions(config: Config, keyring: Keyring): RepositoryOptions {
  return {
    keyring,
    sessionLifetimes: {
      absoluteMs: config.security.session_days * 86_400_000,
      idleMs: config.security.session_idle_hours * 3_600_000,
    },
    loginClientId: config.google.login_client_id,
  };
}

export function createRepositories(db: Database, options: RepositoryOptions): Repositories {
  return {
    accessDenials: createAccessDenialsRepository(db),
    apiKeys: createApiKeysRepository(db),
    audit: createAuditRepository(db),
    authorizationCodes: createAuthorizationCodesRepository(db),
    authorizationInteractions: createAuthorizationInteractionsRepository(db),
    clientPurge: createClientPurgeRepository(),
    clients: createClientsRepository(db),
    connections: createConnectionsRepository(db),
    consents: createConsentsRepository(db),
    deviceAuthorizations: createDeviceAuthorizationsRepository(db),
    googleCredentials: createGoogleCredentialsRepository(db, options.keyring),
    janitor: createJanitorRepository(db),
    reencryption: createReencryptionRepository(db),
    refreshTokens: createRefreshTokensRepository(db),
    revokedAccessTokens: createRevokedAccessTokensRepository(db),
    sessions: createSessionsRepository(db, options.sessionLifetimes),
    signingKeys: createSigningKeysRepository(db),
    tokenFamilies: createTokenFamiliesRepository(db),
    userDeletion: createUserDeletionRepository(),
    users: createUsersRepository(db, { loginClientId: options.loginClientId }),
  };
}
