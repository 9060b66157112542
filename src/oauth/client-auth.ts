import type { FastifyRequest } from 'fastify';
import type { Client, TokenEndpointAuthMethod } from '../clients/client.js';
import type { ClientStore } from '../clients/client-store.js';
import { MAX_SECRET_LENGTH, type SecretHasher } from '../crypto/secret-hasher.js';
import { invalidClient, invalidRequest } from './errors.js';
import type { FormParams } from './form-params.js';
import type { CredentialLimits } from '../security/auth-limits.js';
import { SingleFlight } from '../concurrency/single-flight.js';
import { sha256Hex } from '../crypto/hash.js';

export interface AuthenticatedClient {
  client: Client;
  method: TokenEndpointAuthMethod;
}

interface Presented {
  clientId: string;
  secret: string | undefined;
  method: TokenEndpointAuthMethod;
  /** The client used the Authorization header: a 401 must challenge with Basic (RFC 6749 §5.2). */
  viaHeader: boolean;
}

const MAX_CLIENT_ID_LENGTH = 128;
const FAILED = 'client authentication failed';

/**
 * Client authentication for the token, revocation and introspection endpoints (RFC 6749 §2.3):
 * HTTP Basic, client_secret_post, or none for public clients. Unknown clients cost one dummy
 * argon2 verification, so a wrong secret and a wrong client id take the same time; failures are
 * limited per client id and address and per address (across client ids and API keys), counted
 * before argon2 runs.
 */
export function createClientAuthenticator(deps: {
  store: ClientStore;
  hasher: SecretHasher;
  limits: CredentialLimits;
}) {
  const checks = new SingleFlight<AuthenticatedClient>();

  /** `body` is the endpoint's form body as its schema parsed it: read once, by the route. */
  async function authenticateClient(
    request: FastifyRequest,
    body: FormParams | null | undefined,
  ): Promise<AuthenticatedClient> {
    const presented = readCredentials(request, body);
    const client = await deps.store.findById(presented.clientId);
    // Steady state: a secret this client already proved is accepted from memory, with no
    // argon2 and no failure-counter round trip (only the secret's holder can hit this path).
    if (
      client &&
      !client.disabled &&
      client.secret_hash &&
      presented.secret !== undefined &&
      presented.method !== 'none' &&
      deps.hasher.isVerified(client.id, presented.secret, client.secret_hash)
    ) {
      return { client, method: presented.method };
    }
    // A known public client presenting no secret cannot fail here: it only waits out a block.
    if (client && !client.disabled && client.token_endpoint_auth_method === 'none' && presented.method === 'none') {
      await deps.limits.check(request.ip, presented.clientId);
      return { client, method: 'none' };
    }
    // Concurrent first uses of one credential from one address (a busy service meeting a fresh
    // instance) share one check: one argon2 run and one counted attempt, not one per request.
    const flight = `${request.ip}\u0000${presented.clientId}\u0000${presented.method}\u0000${sha256Hex(presented.secret ?? '')}`;
    return checks.run(flight, () => check(request, presented, client));
  }

  /** The slow path: counted against the failure limits, then argon2. */
  async function check(
    request: FastifyRequest,
    presented: Presented,
    client: Client | null,
  ): Promise<AuthenticatedClient> {
    const scheme = presented.viaHeader ? 'Basic' : undefined;
    const attempt = await deps.limits.begin(request.ip, presented.clientId);

    const fail = (): never => {
      attempt.failed();
      request.log.info(
        { client_id: presented.clientId.slice(0, 64), method: presented.method },
        'client authentication failed',
      );
      throw invalidClient(FAILED, scheme);
    };

    if (!client || client.disabled) {
      if (presented.secret !== undefined) await deps.hasher.verifyNothing(presented.secret);
      return fail();
    }
    // A public client has no secret; one that presents a secret is not who it claims to be.
    if (client.token_endpoint_auth_method === 'none') return fail();
    // Confidential clients may use Basic or the body, whichever they registered (Keycloak and
    // Hydra accept both); what matters is the secret.
    if (presented.secret === undefined || !client.secret_hash) return fail();
    if (!(await deps.hasher.verify(client.id, presented.secret, client.secret_hash))) return fail();
    await attempt.succeeded();
    return { client, method: presented.method };
  }

  return authenticateClient;
}

function readCredentials(request: FastifyRequest, body: FormParams | null | undefined): Presented {
  const bodyId = body?.client_id;
  const bodySecret = body?.client_secret;
  const header = request.headers.authorization;

  if (header !== undefined) {
    const basic = parseBasic(header);
    // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
    if (bodySecret !== undefined) throw invalidRequest('client authentication must use exactly one method');
    if (bodyId !== undefined && bodyId !== basic.clientId)
      throw invalidRequest('client_id in the body does not match the Authorization header');
    return basic;
  }
  if (bodyId === undefined) throw invalidClient('client authentication required');
  checkShape(bodyId, bodySecret, false);
  if (bodySecret !== undefined)
    return { clientId: bodyId, secret: bodySecret, method: 'client_secret_post', viaHeader: false };
  return { clientId: bodyId, secret: undefined, method: 'none', viaHeader: false };
}

const BASIC = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i;

/** RFC 7617 Basic credentials; RFC 6749 §2.3.1 form-encodes id and secret before base64. */
function parseBasic(header: string): Presented {
  const match = BASIC.exec(header);
  if (!match) throw invalidClient('malformed Authorization header; expected Basic credentials');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('malformed Basic credentials');
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (!clientId) throw invalidClient('malformed Basic credentials');
  checkShape(clientId, secret, true);
  return { clientId, secret, method: 'client_secret_basic', viaHeader: true };
}

function formDecode(s: string): string {
  // Generated ids and secrets are plain base64url: nothing to decode (the common case, for free).
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw invalidClient('malformed Basic credentials');
  }
}

/** Control characters: no generated client id has one, and Postgres text cannot hold NUL. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Oversized credentials, and client ids no client can have (control characters), are refused
 * before any lookup or hashing.
 */
function checkShape(clientId: string, secret: string | undefined, viaHeader: boolean): void {
  if (
    clientId.length > MAX_CLIENT_ID_LENGTH ||
    CONTROL_CHARACTER.test(clientId) ||
    (secret !== undefined && secret.length > MAX_SECRET_LENGTH)
  ) {
    throw invalidClient(FAILED, viaHeader ? 'Basic' : undefined);
  }
}
