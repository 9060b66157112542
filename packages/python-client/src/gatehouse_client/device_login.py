"""The device authorization grant (RFC 8628): sign in on another device by typing a short code."""

import threading
import time
from typing import Any, Callable, Dict, NamedTuple, Optional, Sequence, Tuple

from . import transport
from .client_auth import ClientCredentials
from .discovery import ServerMetadata
from .errors import LoginCancelled, LoginError, LoginTimeout, OAuthError, TransportError
from .token_endpoint import token_request

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class DeviceCode(NamedTuple):
    """What to show the person (RFC 8628 §3.3): go to verification_uri and type user_code."""

    user_code: str
    verification_uri: str
    verification_uri_complete: Optional[str]
    expires_in: int
    interval: int


def request_device_code(
    metadata: ServerMetadata, credentials: ClientCredentials, scopes: Sequence[str], http_timeout: float
) -> Tuple[str, DeviceCode]:
    """RFC 8628 §3.1-3.2: the device code (kept secret here) and what the person needs."""
    endpoint = metadata.device_authorization_endpoint
    if endpoint is None:
        raise LoginError("the server does not offer the device authorization grant (no device_authorization_endpoint)")
    form = {"scope": " ".join(scopes)}
    headers: Dict[str, str] = {}
    credentials.apply(form, headers)
    body = transport.oauth_json(transport.request("POST", endpoint, form=form, headers=headers, timeout=http_timeout))
    device_code, user_code, uri = body.get("device_code"), body.get("user_code"), body.get("verification_uri")
    expires_in, interval = body.get("expires_in"), body.get("interval", 5)
    if not (isinstance(device_code, str) and isinstance(user_code, str) and isinstance(uri, str) and isinstance(expires_in, int)):
        raise TransportError("the device authorization response lacks device_code, user_code, verification_uri or expires_in")
    complete = body.get("verification_uri_complete")
    return device_code, DeviceCode(
        user_code=user_code,
        verification_uri=uri,
        verification_uri_complete=complete if isinstance(complete, str) else None,
        expires_in=expires_in,
        # §3.2: interval is OPTIONAL; "If no value is provided, clients MUST use 5 as the default."
        interval=interval if isinstance(interval, int) and interval > 0 else 5,
    )


def poll_for_tokens(
    *,
    metadata: ServerMetadata,
    credentials: ClientCredentials,
    device_code: str,
    code: DeviceCode,
    cancelled: threading.Event,
    http_timeout: float,
    clock: Callable[[], float] = time.monotonic,
) -> Dict[str, Any]:
    """
    RFC 8628 §3.4-3.5: polls the token endpoint every ``interval`` seconds until the person
    approves (the token response), denies (access_denied) or the code expires (expired_token, or
    expires_in elapsed here).
    """
    interval = float(code.interval)
    deadline = clock() + code.expires_in
    while True:
        if cancelled.wait(interval):
            raise LoginCancelled("the login was cancelled")
        if clock() >= deadline:
            raise LoginTimeout("the device code expired before the person approved")
        try:
            return token_request(metadata, credentials, {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code}, http_timeout)
        except OAuthError as err:
            if err.error == "authorization_pending":
                continue
            if err.error == "slow_down":
                # §3.5: "the interval MUST be increased by 5 seconds for this and all subsequent requests".
                interval += 5
                continue
            if err.error == "access_denied":
                raise LoginError("the person denied the request") from err
            if err.error == "expired_token":
                raise LoginTimeout("the device code expired before the person approved") from err
            raise LoginError(f"the server answered {err}") from err
        except TransportError:
            # §3.5: on a connection timeout "clients MUST use exponential back-off"; any transport
            # failure is treated the same way, up to the code's expiry.
            interval *= 2
