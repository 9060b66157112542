"""The session's lifecycle: a fresh access token on demand, one refresh at a time, the end."""

import threading
from typing import Any, Callable, Dict, Optional

from .client_auth import ClientCredentials
from .discovery import ServerMetadata
from .errors import LoginError, NotLoggedIn, OAuthError, SessionEnded
from .id_token import validate_id_token
from .session import Session, session_from_token_response
from .storage import FileTokenStorage
from .token_endpoint import token_request


class TokenManager:
    """
    Storage is read on every use, so two managers on one file (a game and its launcher) see each
    other's refreshes. ``on_stored`` runs after each new session is written, ``on_ended`` once when
    a session ends (refused refresh or logout).
    """

    def __init__(
        self,
        *,
        storage: FileTokenStorage,
        credentials: ClientCredentials,
        issuer: str,
        metadata: Callable[[], ServerMetadata],
        refresh_skew: float,
        http_timeout: float,
        on_stored: Callable[[Session], None],
        on_ended: Callable[[], None],
    ) -> None:
        self.storage = storage
        self._credentials = credentials
        self._issuer = issuer
        self._metadata = metadata
        self.refresh_skew = refresh_skew
        self._http_timeout = http_timeout
        self._on_stored = on_stored
        self._on_ended = on_ended
        # Held for a whole refresh, and by logout so that it revokes the newest refresh token.
        self.refresh_lock = threading.RLock()
        self._end_lock = threading.Lock()

    def current(self) -> Optional[Session]:
        return self.storage.get()

    def fresh_session(self) -> Session:
        """The stored session, refreshed first when its access token expires within the skew."""
        session = self.storage.get()
        if session is None:
            raise NotLoggedIn("nobody is signed in")
        return self.refresh(session) if session.expires_within(self.refresh_skew) else session

    def refresh(self, seen: Optional[Session] = None) -> Session:
        """
        One refresh at a time: a second caller waits for the first and, if storage then holds a
        newer session than the stale one it saw, takes that one. Spending the refresh token twice
        would not just waste a request: with rotation the second use is a replay, and the server
        revokes the whole grant (RFC 9700 §4.14.2).
        """
        with self.refresh_lock:
            current = self.storage.get()
            if current is None:
                raise NotLoggedIn("nobody is signed in")
            if seen is not None and current.access_token != seen.access_token and not current.expires_within(self.refresh_skew):
                return current
            if not current.refresh_token:
                self.end()
                raise SessionEnded("the access token expired and there is no refresh token")
            try:
                body = token_request(
                    self._metadata(),
                    self._credentials,
                    {"grant_type": "refresh_token", "refresh_token": current.refresh_token},
                    self._http_timeout,
                )
            except OAuthError as err:
                # RFC 6749 §5.2: invalid_grant means the refresh token is "invalid, expired,
                # revoked ...": the session cannot come back. Anything else (a 503, a network
                # error) may pass, so the session is kept and the error reaches the caller.
                if err.error == "invalid_grant":
                    self.end()
                    raise SessionEnded("the server refused the refresh token (invalid_grant)") from err
                raise
            return self.store(body, current, nonce=None)

    def store(self, body: Dict[str, Any], previous: Optional[Session], *, nonce: Optional[str]) -> Session:
        """Checks the ID token of a token response (if any), writes the session and announces it."""
        id_token = body.get("id_token")
        claims = None
        if isinstance(id_token, str):
            claims = validate_id_token(id_token, issuer=self._issuer, client_id=self._credentials.client_id, nonce=nonce)
        elif nonce is not None:
            # OIDC Core §3.1.3.3: with scope openid the token response contains an ID token.
            raise LoginError("the token response has no ID token although openid was requested")
        session = session_from_token_response(body, previous, id_token_claims=claims)
        self.storage.set(session)
        self._on_stored(session)
        return session

    def end(self, revoke: Optional[Callable[[Session], None]] = None) -> bool:
        """
        Clears the session; ``revoke`` runs first with the session being ended. Serialised, so a
        refused refresh and a logout at the same moment end (and announce) the session once.
        Returns whether there was a session.
        """
        with self._end_lock:
            session = self.storage.get()
            if session is None:
                return False
            try:
                if revoke is not None:
                    revoke(session)
            finally:
                self.storage.clear()
                self._on_ended()
            return True
