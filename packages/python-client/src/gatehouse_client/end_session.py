"""The provider-side logout URL (OpenID Connect RP-Initiated Logout 1.0 §2)."""

import urllib.parse
from typing import Dict, Optional


def end_session_url(endpoint: str, *, client_id: str, id_token_hint: Optional[str]) -> str:
    """
    §2: id_token_hint is RECOMMENDED (it tells the server whose session to end, so it can skip the
    confirmation), and client_id tells it which app asks. No post_logout_redirect_uri: a loopback
    app has nothing listening after logout, so the server shows its own "signed out" page.
    """
    params: Dict[str, str] = {"client_id": client_id}
    if id_token_hint:
        params["id_token_hint"] = id_token_hint
    return endpoint + ("&" if "?" in endpoint else "?") + urllib.parse.urlencode(params)
