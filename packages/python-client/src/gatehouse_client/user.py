"""The signed-in person."""

from typing import Any, Dict, NamedTuple, Optional


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
