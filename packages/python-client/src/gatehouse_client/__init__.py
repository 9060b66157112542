"""
Gatehouse client for Python apps: sign a person in through the system browser (or a device code),
keep the session across runs, and call your API with a fresh access token. Standard library only.

    from gatehouse_client import OAuthManager

    auth = OAuthManager("my-client-id", backend_url="https://auth.example.com")
    user = auth.login(blocking=True)
    print(user.name, user.email)
"""

from .device_login import DeviceCode
from .errors import (
    GatehouseError,
    LoginCancelled,
    LoginError,
    LoginTimeout,
    NotLoggedIn,
    OAuthError,
    SessionEnded,
    TransportError,
)
from .manager import OAuthManager
from .storage import default_token_path
from .transport import Response
from .user import UserInfo

__version__ = "0.1.0"

__all__ = [
    "DeviceCode",
    "GatehouseError",
    "LoginCancelled",
    "LoginError",
    "LoginTimeout",
    "NotLoggedIn",
    "OAuthError",
    "OAuthManager",
    "Response",
    "SessionEnded",
    "TransportError",
    "UserInfo",
    "default_token_path",
]
