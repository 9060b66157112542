"""Where the server's endpoints are: OpenID Connect Discovery / RFC 8414 metadata."""

import ipaddress
import urllib.parse
from typing import Any, Dict, Optional

from . import transport
from .errors import GatehouseError, TransportError

_LOOPBACK_NAMES = {"localhost"}


def is_loopback_host(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_issuer(backend_url: str) -> str:
    """
    The issuer identifier for ``backend_url``: https only (RFC 8414 §2: the issuer "MUST use the
    https scheme"), except for a server on this machine, where development runs on plain http.
    One trailing slash is dropped, because Gatehouse's issuer is its public URL without one.
    """
    parts = urllib.parse.urlsplit(backend_url)
    if parts.query or parts.fragment:
        raise ValueError(f"backend_url must not have a query or fragment: {backend_url}")
    if parts.scheme == "https" and parts.hostname:
        pass
    elif parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        pass
    else:
        raise ValueError(f"backend_url must be an https URL (http is allowed only on loopback): {backend_url}")
    return backend_url[:-1] if backend_url.endswith("/") else backend_url


class ServerMetadata:
    """The discovery document, with the endpoints the SDK uses as attributes."""

    def __init__(self, document: Dict[str, Any]) -> None:
        self.document = document

    def _url(self, name: str) -> Optional[str]:
        value = self.document.get(name)
        return value if isinstance(value, str) and value else None

    @property
    def issuer(self) -> str:
        return str(self.document["issuer"])

    @property
    def authorization_endpoint(self) -> Optional[str]:
        return self._url("authorization_endpoint")

    @property
    def token_endpoint(self) -> str:
        url = self._url("token_endpoint")
        if url is None:
            raise GatehouseError("the server metadata has no token_endpoint")
        return url

    @property
    def revocation_endpoint(self) -> Optional[str]:
        return self._url("revocation_endpoint")

    @property
    def userinfo_endpoint(self) -> Optional[str]:
        return self._url("userinfo_endpoint")

    @property
    def end_session_endpoint(self) -> Optional[str]:
        return self._url("end_session_endpoint")

    @property
    def device_authorization_endpoint(self) -> Optional[str]:
        return self._url("device_authorization_endpoint")

    @property
    def requires_iss_in_authorization_response(self) -> bool:
        return self.document.get("authorization_response_iss_parameter_supported") is True


def discover(issuer: str, timeout: float) -> ServerMetadata:
    """
    OpenID Connect Discovery 1.0 §4 (``/.well-known/openid-configuration``), falling back to
    RFC 8414 §3 (``/.well-known/oauth-authorization-server``) when the first is 404. Both require
    the document's issuer to be exactly the one asked for (OIDC Discovery §4.3, RFC 8414 §3.3), so
    a spoofed document cannot send the person or the tokens elsewhere.
    """
    response = None
    for suffix in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        response = transport.request("GET", issuer + suffix, timeout=timeout)
        if response.status != 404:
            break
    assert response is not None
    if not response.ok:
        raise TransportError(f"discovery at {issuer} answered HTTP {response.status}")
    document = transport.json_object(response)
    if document.get("issuer") != issuer:
        raise GatehouseError(f"the discovery document's issuer {document.get('issuer')!r} is not {issuer!r}")
    return ServerMetadata(document)
