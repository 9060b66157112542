"""HTTP for the SDK, on urllib: one request, one answer, errors as values rather than exceptions."""

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Mapping, Optional

from .errors import OAuthError, TransportError

USER_AGENT = "gatehouse-client-python/0.1"


class Response:
    """An HTTP answer, whatever its status."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes, url: str) -> None:
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body
        self.url = url

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.url}>"


def origin_of(url: str) -> str:
    """scheme://host[:port], lower-cased, with the default port left out (RFC 6454 §4)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port is None or port == default else f"{scheme}://{host}:{port}"


class _SameOriginCredentials(urllib.request.HTTPRedirectHandler):
    """
    urllib copies every header, Authorization included, onto a redirected request. A redirect to
    another origin must not carry the access token there, so the header is dropped when the
    origin changes.
    """

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin_of(newurl) != origin_of(req.full_url):
            for name in list(new.headers):
                if name.lower() == "authorization":
                    del new.headers[name]
        return new


_opener = urllib.request.build_opener(_SameOriginCredentials())


def request(
    method: str,
    url: str,
    *,
    headers: Optional[Mapping[str, str]] = None,
    form: Optional[Mapping[str, str]] = None,
    body: Optional[bytes] = None,
    timeout: float = 30.0,
) -> Response:
    """Sends one request. Any HTTP status is a Response; only an unreachable server raises."""
    all_headers: Dict[str, str] = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    all_headers.update(headers or {})
    if form is not None:
        body = urllib.parse.urlencode(form).encode("ascii")
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=body, headers=all_headers, method=method)
    try:
        with _opener.open(req, timeout=timeout) as res:
            return Response(res.status, dict(res.headers.items()), res.read(), res.geturl())
    except urllib.error.HTTPError as err:
        with err:
            return Response(err.code, dict(err.headers.items()), err.read(), url)
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise TransportError(f"{method} {origin_of(url)}{urllib.parse.urlsplit(url).path} failed: {reason}") from err


def json_object(response: Response) -> Dict[str, Any]:
    """The body as a JSON object, or TransportError naming what came instead."""
    try:
        value = response.json()
    except ValueError as err:
        raise TransportError(f"expected JSON from {response.url}, got HTTP {response.status}") from err
    if not isinstance(value, dict):
        raise TransportError(f"expected a JSON object from {response.url}, got HTTP {response.status}")
    return value


def oauth_json(response: Response) -> Dict[str, Any]:
    """
    A token-endpoint style answer: the JSON object on 2xx; RFC 6749 §5.2 error bodies (and any
    other failure) as OAuthError, so callers can tell invalid_grant from an outage.
    """
    if response.ok:
        return json_object(response)
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        raise OAuthError(body["error"], description if isinstance(description, str) else None, response.status)
    raise TransportError(f"HTTP {response.status} from {response.url}")
