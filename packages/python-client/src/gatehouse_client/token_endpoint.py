"""Requests to the token and revocation endpoints (RFC 6749 §3.2, RFC 7009)."""

from typing import Any, Dict

from . import transport
from .client_auth import ClientCredentials
from .discovery import ServerMetadata


def token_request(metadata: ServerMetadata, credentials: ClientCredentials, params: Dict[str, str], timeout: float) -> Dict[str, Any]:
    """POSTs a grant; the JSON answer, or OAuthError / TransportError."""
    form = dict(params)
    headers: Dict[str, str] = {}
    credentials.apply(form, headers)
    return transport.oauth_json(transport.request("POST", metadata.token_endpoint, form=form, headers=headers, timeout=timeout))


def revoke_refresh_token(metadata: ServerMetadata, credentials: ClientCredentials, refresh_token: str, timeout: float) -> bool:
    """
    RFC 7009 §2.1 with ``token_type_hint=refresh_token``. §2.2: "The authorization server responds
    with HTTP status code 200 if the token has been revoked successfully or if the client submitted
    an invalid token", so 200 is the only answer that says the token is gone. False when the server
    has no revocation endpoint or refused.
    """
    if metadata.revocation_endpoint is None:
        return False
    form = {"token": refresh_token, "token_type_hint": "refresh_token"}
    headers: Dict[str, str] = {}
    credentials.apply(form, headers)
    response = transport.request("POST", metadata.revocation_endpoint, form=form, headers=headers, timeout=timeout)
    return response.status == 200
