"""A signed-in session as stored: the tokens and what is known about them."""

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional

from .errors import TransportError


@dataclass
class Session:
    access_token: str
    refresh_token: Optional[str] = None
    # Unix seconds; None when the server did not say (expires_in is RECOMMENDED, not required).
    expires_at: Optional[float] = None
    scope: Optional[str] = None
    # The last ID token, kept as id_token_hint for the end-session endpoint.
    id_token: Optional[str] = None
    # Its validated claims: the user when the server has no userinfo endpoint.
    id_token_claims: Dict[str, Any] = field(default_factory=dict)

    def expires_within(self, seconds: float, now: Optional[float] = None) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at - seconds <= (time.time() if now is None else now)

    def to_json(self) -> Dict[str, Any]:
        return {"version": 1, **asdict(self)}

    @classmethod
    def from_json(cls, value: Any) -> Optional["Session"]:
        """A stored session, or None for anything that is not one (a corrupt or foreign file)."""
        if not isinstance(value, dict) or value.get("version") != 1 or not isinstance(value.get("access_token"), str):
            return None
        claims = value.get("id_token_claims")
        expires_at = value.get("expires_at")
        return cls(
            access_token=value["access_token"],
            refresh_token=_str_or_none(value.get("refresh_token")),
            expires_at=float(expires_at) if isinstance(expires_at, (int, float)) else None,
            scope=_str_or_none(value.get("scope")),
            id_token=_str_or_none(value.get("id_token")),
            id_token_claims=claims if isinstance(claims, dict) else {},
        )


def _str_or_none(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def session_from_token_response(
    body: Dict[str, Any],
    previous: Optional[Session] = None,
    *,
    id_token_claims: Optional[Dict[str, Any]] = None,
    now: Optional[float] = None,
) -> Session:
    """
    RFC 6749 §5.1. A refresh answer without a new refresh token keeps the old one (§6: the server
    "MAY issue a new refresh token"), and one without an ID token keeps the previous ID token.
    """
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise TransportError("the token response has no access_token")
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise TransportError(f"the token response's token_type is {token_type!r}, not Bearer")
    expires_in = body.get("expires_in")
    now = time.time() if now is None else now
    id_token = _str_or_none(body.get("id_token"))
    return Session(
        access_token=access_token,
        refresh_token=_str_or_none(body.get("refresh_token")) or (previous.refresh_token if previous else None),
        expires_at=now + float(expires_in) if isinstance(expires_in, (int, float)) else None,
        scope=_str_or_none(body.get("scope")) or (previous.scope if previous else None),
        id_token=id_token or (previous.id_token if previous else None),
        id_token_claims=(id_token_claims or {}) if id_token else (previous.id_token_claims if previous else {}),
    )
