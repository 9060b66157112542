"""The signed-in person."""

from typing import Any, Callable, Dict, NamedTuple, Optional

from .errors import GatehouseError
from .transport import Response, oauth_json


class UserInfo(NamedTuple):
    """OpenID Connect standard claims (Core §5.1) under the names the original client used."""

    id: str
    name: Optional[str]
    email: Optional[str]
    picture: Optional[str]
    username: Optional[str] = None

    @classmethod
    def from_claims(cls, claims: Dict[str, Any]) -> "UserInfo":
        def text(name: str) -> Optional[str]:
            value = claims.get(name)
            return value if isinstance(value, str) else None

        return cls(
            id=str(claims["sub"]),
            name=text("name"),
            email=text("email"),
            picture=text("picture"),
            username=text("preferred_username"),
        )


def load_user(
    userinfo_endpoint: Optional[str],
    id_token_claims: Dict[str, Any],
    authorized_get: Callable[[str], Optional[Response]],
) -> UserInfo:
    """
    From the userinfo endpoint (OIDC Core §5.3) through ``authorized_get`` (None when the endpoint
    is on an origin that may not have the token). Without one, or when it answers 404, the claims
    of the last ID token (validated when it arrived). Any other failure is an error, never stale
    claims.
    """
    claims: Optional[Dict[str, Any]] = None
    response = authorized_get(userinfo_endpoint) if userinfo_endpoint is not None else None
    if response is not None and response.status != 404:
        claims = oauth_json(response)
        # §5.3.2: "The sub Claim in the UserInfo Response MUST be verified to exactly match the
        # sub Claim in the ID Token".
        expected = id_token_claims.get("sub")
        if expected is not None and claims.get("sub") != expected:
            raise GatehouseError("the userinfo sub is not the ID token's sub")
    if claims is None:
        claims = id_token_claims
    if not isinstance(claims.get("sub"), str):
        raise GatehouseError("no user claims: the server has no userinfo endpoint and sent no ID token (request openid)")
    return UserInfo.from_claims(claims)
