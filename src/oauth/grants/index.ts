import { authorizationCodeGrant, type AuthorizationCodeDeps } from './authorization-code.js';
import { clientCredentialsGrant, type ClientCredentialsDeps } from './client-credentials.js';
import { deviceCodeGrant, type DeviceCodeDeps } from './device-code.js';
import type { Grant } from './grant.js';
import { refreshTokenGrant, type RefreshTokenDeps } from './refresh-token.js';
import { tokenExchangeGrant, type TokenExchangeDeps } from './token-exchange.js';

/** What the token endpoint hands over: everything its grants declare, each taking its own part. */
export type TokenEndpointDeps = AuthorizationCodeDeps &
  RefreshTokenDeps &
  ClientCredentialsDeps &
  DeviceCodeDeps &
  TokenExchangeDeps;

/** Every grant the token endpoint serves, by grant_type. */
export const grants: ReadonlyMap<string, Grant<TokenEndpointDeps>> = new Map<string, Grant<TokenEndpointDeps>>(
  [authorizationCodeGrant, refreshTokenGrant, clientCredentialsGrant, deviceCodeGrant, tokenExchangeGrant].map((g) => [
    g.grantType,
    g,
  ]),
);
