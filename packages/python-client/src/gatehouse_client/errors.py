"""The errors the SDK raises. Each has a stable ``code`` an app can branch on."""

from typing import Optional


class GatehouseError(Exception):
    """Base class of every error the SDK raises."""

    code = "gatehouse_error"


class TransportError(GatehouseError):
    """The server could not be reached, or its answer was not what the protocol promises."""

    code = "transport_error"


class OAuthError(GatehouseError):
    """The server answered with an OAuth error (RFC 6749 §5.2 shape: ``error``, ``error_description``)."""

    code = "oauth_error"

    def __init__(self, error: str, description: Optional[str] = None, status: Optional[int] = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status


class LoginError(GatehouseError):
    """A login did not complete: refused at the consent page, a bad callback, a failed exchange."""

    code = "login_failed"


class LoginTimeout(LoginError):
    """Nobody finished the sign-in in the browser (or entered the device code) in time."""

    code = "login_timeout"


class LoginCancelled(LoginError):
    """``cancel_login()`` stopped a login that was waiting."""

    code = "login_cancelled"


class NotLoggedIn(GatehouseError):
    """The call needs a session and none is stored."""

    code = "not_logged_in"


class SessionEnded(GatehouseError):
    """The server refused the refresh token (revoked, expired): the person has to sign in again."""

    code = "session_ended"
