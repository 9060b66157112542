import { DEVICE_CODE_GRANT_TYPE } from '../../clients/client.js';
import { randomId } from '../../crypto/random.js';
import type { Repositories } from '../../repositories/index.js';
import type { Database } from '../../storage/database.js';
import {
  accessDenied,
  authorizationPending,
  expiredToken,
  invalidGrant,
  invalidRequest,
  slowDown,
  type ApiError,
} from '../errors.js';
import { issueUserTokens, type IssueUserTokensDeps } from '../issue-user-tokens.js';
import { parseScope } from '../scopes.js';
import type { EmitGrantEvent, Grant, TokenResponse } from './grant.js';

export interface DeviceCodeDeps extends IssueUserTokensDeps {
  db: Pick<Database, 'transaction'>;
  repos: Pick<Repositories, 'deviceAuthorizations' | 'tokenFamilies' | 'refreshTokens' | 'users'>;
  emit: EmitGrantEvent;
}

const MAX_DEVICE_CODE_LENGTH = 256;

/**
 * RFC 8628 §3.4–3.5: the device polls with its device code until the person decides at /device.
 * The row is locked for the transaction, so concurrent polls queue and the tokens are issued
 * exactly once. A refusal is returned out of the transaction rather than thrown inside it: the
 * poll it records (last poll, a raised interval) must commit too.
 */
export const deviceCodeGrant: Grant<DeviceCodeDeps> = {
  grantType: DEVICE_CODE_GRANT_TYPE,
  parameters: new Set(['device_code']),
  async handler({ client, params, deps }) {
    // device_code REQUIRED (RFC 8628 §3.4)
    const deviceCode = params.device_code;
    if (!deviceCode) throw invalidRequest('device_code is required');
    if (deviceCode.length > MAX_DEVICE_CODE_LENGTH) throw invalidGrant('device code is invalid');
    let userId: string | null = null;

    const outcome = await deps.db.transaction(
      async (tx): Promise<{ response: TokenResponse } | { refused: ApiError }> => {
        const poll = await deps.repos.deviceAuthorizations.pollForUpdate(deviceCode, tx);
        // RFC 6749 §5.2 invalid_grant: "was issued to another client" — the same answer as an
        // unknown code, so one client learns nothing about another's device codes.
        if (!poll || poll.clientId !== client.id) return { refused: invalidGrant('device code is invalid') };
        userId = poll.userId;
        if (poll.status === 'consumed') return { refused: invalidGrant('device code was already used') };
        // RFC 8628 §3.5 expired_token: "The "device_code" has expired, and the device
        // authorization session has concluded."
        if (poll.expired) return { refused: expiredToken('the device code has expired; start again') };
        // access_denied: "The authorization request was denied."
        if (poll.status === 'denied') return { refused: accessDenied('the person denied the request') };
        if (poll.status === 'pending') {
          // slow_down: "A variant of "authorization_pending", the authorization request is still
          // pending and polling should continue, but the interval MUST be increased by 5 seconds
          // for this and all subsequent requests."
          if (poll.tooFast) return { refused: slowDown('polling too fast; wait 5 seconds longer between requests') };
          // authorization_pending: "The authorization request is still pending as the end user
          // hasn't yet completed the user-interaction steps".
          return { refused: authorizationPending('the person has not decided yet') };
        }
        const user = poll.userId ? await deps.repos.users.findClaims(poll.userId, tx) : null;
        if (!user) return { refused: invalidGrant('device code is invalid') };
        const response = await issueUserTokens(tx, deps, {
          client,
          user,
          scopes: parseScope(poll.scope),
          familyId: randomId(),
          newFamily: true,
          refresh: client.grant_types.includes('refresh_token') ? 'new' : undefined,
          authTime: poll.authTime ?? undefined,
        });
        await deps.repos.deviceAuthorizations.consume(deviceCode, tx);
        return { response };
      },
    );

    if ('refused' in outcome) throw outcome.refused;
    deps.emit({
      event: 'token_issued',
      client_id: client.id,
      subject: userId,
      details: { grant_type: DEVICE_CODE_GRANT_TYPE },
    });
    return outcome.response;
  },
};
