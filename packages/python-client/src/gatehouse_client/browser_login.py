"""The authorization code flow of a native app: system browser, loopback redirect, PKCE (RFC 8252)."""

import hmac
import threading
import urllib.parse
from typing import Any, Callable, Dict, Optional, Sequence

from .client_auth import ClientCredentials
from .discovery import ServerMetadata
from .errors import LoginError
from .loopback import LoopbackListener
from .pkce import new_code_verifier, random_value, s256_challenge
from .token_endpoint import token_request


def browser_login(
    *,
    metadata: ServerMetadata,
    credentials: ClientCredentials,
    scopes: Sequence[str],
    redirect_path: str,
    open_browser: Callable[[str], Any],
    timeout: float,
    cancelled: threading.Event,
    http_timeout: float,
    complete: Callable[[Dict[str, Any], Optional[str]], None],
) -> None:
    """
    Opens the authorization URL, waits for this login's callback, exchanges the code, and hands the
    token response and the nonce sent to ``complete`` (which stores the session) before the browser
    is told the outcome. The listener's port is closed however it ends.
    """
    if metadata.authorization_endpoint is None:
        raise LoginError("the server metadata has no authorization_endpoint")
    # RFC 7636 §4.1-4.2: a fresh high-entropy verifier per request, sent only as its S256 hash.
    verifier = new_code_verifier()
    state = random_value()
    nonce = random_value() if "openid" in scopes else None
    listener = LoopbackListener(redirect_path, state)
    try:
        params = {
            "response_type": "code",
            "client_id": credentials.client_id,
            "redirect_uri": listener.redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": s256_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if nonce is not None:
            params["nonce"] = nonce
        url = metadata.authorization_endpoint
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        if open_browser(url) is False:
            # webbrowser.open answers False when no browser could be started.
            raise LoginError("no browser could be opened (login_with_device() signs in without one)")
        callback = listener.wait(timeout, cancelled)
        try:
            code = authorization_code(callback, metadata)
            body = token_request(
                metadata,
                credentials,
                {"grant_type": "authorization_code", "code": code, "redirect_uri": listener.redirect_uri, "code_verifier": verifier},
                http_timeout,
            )
            complete(body, nonce)
        except BaseException:
            listener.answer("failed")
            raise
        listener.answer("ok")
    finally:
        listener.close()


def authorization_code(callback: Dict[str, str], metadata: ServerMetadata) -> str:
    """
    The code of a callback whose state already matched (the listener ignores the others).
    RFC 9207 §2.4: the client "MUST compare the issuer identifier ... (iss) against the issuer it
    sent the request to", and a server that announces the parameter must send it; a mismatch means
    the response came from another server (a mix-up attack), and the code is never exchanged.
    """
    iss = callback.get("iss")
    if iss is not None and not hmac.compare_digest(iss.encode("utf-8"), metadata.issuer.encode("utf-8")):
        raise LoginError("the authorization response came from another issuer")
    if iss is None and metadata.requires_iss_in_authorization_response:
        raise LoginError("the authorization response has no iss although the server announces it")
    if "error" in callback:
        description = callback.get("error_description")
        raise LoginError(f"the server answered {callback['error']}" + (f": {description}" if description else ""))
    code = callback.get("code")
    if not code:
        raise LoginError("the authorization response has no code")
    return code
