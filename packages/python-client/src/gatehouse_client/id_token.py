"""The checks on an ID token that arrived from the token endpoint (OpenID Connect Core §3.1.3.7)."""

import base64
import binascii
import hmac
import json
import time
from typing import Any, Dict, Optional

from .errors import GatehouseError

# Clock difference tolerated between this machine and the server, in seconds.
CLOCK_SKEW = 120


def decode_claims(id_token: str) -> Dict[str, Any]:
    """The payload of a compact JWS, without checking its signature (see validate_id_token)."""
    parts = id_token.split(".")
    if len(parts) != 3:
        raise GatehouseError("the ID token is not a compact JWS")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error) as err:
        raise GatehouseError("the ID token's payload is not base64url JSON") from err
    if not isinstance(claims, dict):
        raise GatehouseError("the ID token's payload is not a JSON object")
    return claims


def validate_id_token(id_token: str, *, issuer: str, client_id: str, nonce: Optional[str], now: Optional[float] = None) -> Dict[str, Any]:
    """
    OpenID Connect Core §3.1.3.7. The signature is not checked: item 6 allows it, "If the ID
    Token is received via direct communication between the Client and the Token Endpoint ...
    the TLS server validation MAY be used to validate the issuer in place of checking the token
    signature", which is the only way this SDK receives one. The claims are checked:
    """
    claims = decode_claims(id_token)
    now = time.time() if now is None else now
    # 2. "The Issuer Identifier ... MUST exactly match the value of the iss (issuer) Claim."
    if claims.get("iss") != issuer:
        raise GatehouseError("the ID token was issued by another server")
    # 3. "The Client MUST validate that the aud (audience) Claim contains its client_id value"
    #    and 4./5. with several audiences, azp must be our client_id.
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if client_id not in audiences:
        raise GatehouseError("the ID token is not for this client")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise GatehouseError("the ID token's azp is not this client")
    # 9. "The current time MUST be before the time represented by the exp Claim."
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp + CLOCK_SKEW <= now:
        raise GatehouseError("the ID token has expired")
    # 11. "If a nonce value was sent in the Authentication Request, a nonce Claim MUST be present
    #     and its value checked to verify that it is the same value as the one that was sent".
    if nonce is not None:
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
            raise GatehouseError("the ID token's nonce is not the one this login sent")
    if not isinstance(claims.get("sub"), str):
        raise GatehouseError("the ID token has no sub")
    return claims
