"""How the app identifies itself at the token and revocation endpoints."""

import base64
import urllib.parse
from typing import Dict, Optional


class ClientCredentials:
    """
    A public client (no secret; a desktop app cannot keep one) sends its ``client_id`` in the
    body (RFC 6749 §3.2.1). A confidential client uses HTTP Basic with the id and secret each
    form-urlencoded first (RFC 6749 §2.3.1), the method every server must support.
    """

    def __init__(self, client_id: str, client_secret: Optional[str]) -> None:
        self.client_id = client_id
        self._secret = client_secret

    def apply(self, form: Dict[str, str], headers: Dict[str, str]) -> None:
        if self._secret is None:
            form["client_id"] = self.client_id
            return
        pair = f"{urllib.parse.quote_plus(self.client_id)}:{urllib.parse.quote_plus(self._secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")

    def __repr__(self) -> str:
        # Never the secret, even in a traceback or a debugger.
        return f"ClientCredentials(client_id={self.client_id!r}, confidential={self._secret is not None})"
