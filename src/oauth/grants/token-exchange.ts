import { insufficientScope, invalidRequest, ApiError, unauthorizedClient } from '../errors.js';
import { isPublicClient, TOKEN_EXCHANGE_GRANT_TYPE } from '../../clients/client.js';
import { parseScope } from '../scopes.js';
import type { DenyList } from '../deny-list.js';
import { isUserToken, type TokenService } from '../tokens.js';
import type { TokenBroker } from '../../vault/broker.js';
import { expiresIn, type EmitGrantEvent, type Grant } from './grant.js';

export interface TokenExchangeDeps {
  tokens: Pick<TokenService, 'verifyAccessToken'>;
  denyList: Pick<DenyList, 'isDenied'>;
  /** Google tokens of the person the subject token names. */
  broker: Pick<TokenBroker, 'getToken'>;
  emit: EmitGrantEvent;
}

/** RFC 8693 §3: "Indicates that the token is an OAuth 2.0 access token". */
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** The one target Gatehouse exchanges for: Google, named by resource URI or by audience. */
const GOOGLE_RESOURCE = 'https://www.googleapis.com/';
const GOOGLE_AUDIENCE = 'google';

const invalidTarget = (description: string) => new ApiError('invalid_target', 400, description);

/**
 * RFC 8693 token exchange: a Gatehouse access token of a person → that person's Google access
 * token, through the broker (same refresh, single flight and errors). Only confidential clients
 * registered with the grant; only for a token issued to the calling client (or any, for a
 * first-party client); never for client tokens.
 */
export const tokenExchangeGrant: Grant<TokenExchangeDeps> = {
  grantType: TOKEN_EXCHANGE_GRANT_TYPE,
  parameters: new Set([
    'subject_token',
    'subject_token_type',
    'requested_token_type',
    'resource',
    'audience',
    'scope',
    'actor_token',
    'actor_token_type',
  ]),
  async handler({ client, params, deps }) {
    if (isPublicClient(client)) throw unauthorizedClient('token exchange is for confidential clients');
    // RFC 8693 §2.1: subject_token REQUIRED, subject_token_type REQUIRED.
    if (!params.subject_token) throw invalidRequest('subject_token is required');
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE)
      throw invalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw invalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    if (params.actor_token !== undefined || params.actor_token_type !== undefined)
      throw invalidRequest('delegation (actor_token) is not supported');
    // RFC 8693 §2.2.2: "If the authorization server is unwilling or unable to issue a token for
    // any target service indicated by the resource or audience parameters, the invalid_target
    // error code SHOULD be used".
    if (params.resource !== GOOGLE_RESOURCE && params.audience !== GOOGLE_AUDIENCE) {
      throw invalidTarget(`only Google: resource=${GOOGLE_RESOURCE} or audience=${GOOGLE_AUDIENCE}`);
    }

    // RFC 8693 §2.2.2: a subject_token that is "invalid for any reason, or [is] unacceptable
    // based on policy" is answered with invalid_request.
    const claims = await deps.tokens.verifyAccessToken(params.subject_token).catch(() => {
      throw invalidRequest('subject_token is not a valid Gatehouse access token');
    });
    if (deps.denyList.isDenied(claims)) throw invalidRequest('subject_token has been revoked');
    if (!isUserToken(claims)) throw invalidRequest("subject_token must be a person's token, not a client token");
    if (claims.client_id !== client.id && !client.first_party)
      throw invalidRequest('subject_token was issued to another client');

    const google = await deps.broker.getToken({ kind: 'person', subject: claims.sub });
    const requested = parseScope(params.scope);
    const held = new Set(google.scope.split(' '));
    const missing = requested.filter((s) => !held.has(s));
    if (missing.length > 0) throw insufficientScope(`the Google grant lacks: ${missing.join(' ')}`);

    deps.emit({
      event: 'token_exchanged',
      client_id: client.id,
      subject: claims.sub,
      details: { grant_type: TOKEN_EXCHANGE_GRANT_TYPE, subject_token_client_id: claims.client_id },
    });
    const expiry = Math.floor(google.expiresAt.getTime() / 1000);
    return {
      access_token: google.accessToken,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: expiresIn(expiry),
      scope: google.scope,
      success: true,
      expiry,
    };
  },
};
