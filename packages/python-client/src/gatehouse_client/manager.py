"""OAuthManager: the SDK's one entry point."""

import json as _json
import logging
import threading
import urllib.parse
import webbrowser
from typing import Any, Callable, Iterable, List, Mapping, Optional, Sequence

from . import transport
from .auto_refresh import RefreshTimer
from .browser_login import browser_login
from .callbacks import CallbackQueue
from .client_auth import ClientCredentials
from .device_login import DeviceCode, poll_for_tokens, request_device_code
from .discovery import ServerMetadata, discover, parse_issuer
from .end_session import end_session_url
from .login_runner import LoginRunner
from .errors import GatehouseError, NotLoggedIn, OAuthError, SessionEnded, TransportError
from .session import Session
from .storage import FileTokenStorage, default_token_path
from .token_endpoint import revoke_refresh_token
from .token_manager import TokenManager
from .user import UserInfo, load_user

log = logging.getLogger("gatehouse_client")

DEFAULT_SCOPES = ("openid", "profile", "email")
# After a refresh that failed for a reason that may pass (offline, 5xx), try again this much later.
RETRY_DELAY = 30.0


class OAuthManager:
    """
    Signs a person in to Gatehouse from a desktop app, game or script, keeps the session across
    runs (one file per server and app), refreshes it before it expires, and calls APIs with it.

    Work that waits (the browser, the network, the refresh timer) runs on background threads;
    the app's callbacks never do. They are queued and run by ``process_callbacks()`` on the thread
    that calls it, e.g. once per frame of a game loop. ``blocking=True`` does it all on the caller's
    thread, for scripts.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: Optional[str] = None,
        backend_url: Optional[str] = None,
        storage_path: Optional[str] = None,
        *,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        open_browser: Callable[[str], Any] = webbrowser.open,
        login_timeout: float = 300.0,
        redirect_path: str = "/callback",
        refresh_skew: float = 30.0,
        auto_refresh: bool = True,
        http_timeout: float = 30.0,
        api_origins: Iterable[str] = (),
    ) -> None:
        if not backend_url:
            raise TypeError("OAuthManager needs backend_url, the Gatehouse base URL (e.g. https://auth.example.com)")
        self.client_id = client_id
        self.backend_url = parse_issuer(backend_url)
        self.scopes = tuple(scopes)
        self.storage_path = storage_path or default_token_path(self.backend_url, client_id)
        self._credentials = ClientCredentials(client_id, client_secret)
        self._open_browser = open_browser
        self._login_timeout = login_timeout
        self._redirect_path = redirect_path
        self._http_timeout = http_timeout
        # Bearer tokens go to these origins only: the backend's, and those the app names.
        self._token_origins = {transport.origin_of(self.backend_url)} | {transport.origin_of(o) for o in api_origins}
        self._callbacks = CallbackQueue()
        self._metadata: Optional[ServerMetadata] = None
        self._metadata_lock = threading.Lock()
        self._logins = LoginRunner(self._callbacks)
        self._on_logout: Optional[Callable[[], Any]] = None
        self._user: Optional[UserInfo] = None
        self._timer = RefreshTimer(self._refresh_in_background) if auto_refresh else None
        self._tokens = TokenManager(
            storage=FileTokenStorage(self.storage_path),
            credentials=self._credentials,
            issuer=self.backend_url,
            metadata=self._server,
            refresh_skew=refresh_skew,
            http_timeout=http_timeout,
            on_stored=self._session_stored,
            on_ended=self._session_ended,
        )

    # --- signing in -------------------------------------------------------------------------

    def login(
        self,
        on_success: Optional[Callable[[UserInfo], Any]] = None,
        on_logout: Optional[Callable[[], Any]] = None,
        *,
        on_error: Optional[Callable[[Exception], Any]] = None,
        blocking: bool = False,
        force: bool = False,
    ) -> Optional[UserInfo]:
        """
        Signs in through the system browser. A stored session that still works is used instead
        (no browser) unless ``force``. ``on_success(user)`` then runs from ``process_callbacks()``;
        ``on_logout()`` runs when this session ends (``logout()``, or the server refusing a
        refresh). Errors (timeout, denied consent, network) go to ``on_error(err)``, or to the
        ``gatehouse_client`` logger when there is none. With ``blocking=True`` the login runs on
        this thread, ``on_success`` runs before it returns the user, and errors are raised.
        """
        return self._logins.start(self._opening(lambda: self._browser_flow(force), on_logout), on_success, on_error, blocking)

    def login_with_device(
        self,
        on_code: Callable[[DeviceCode], Any],
        on_success: Optional[Callable[[UserInfo], Any]] = None,
        on_logout: Optional[Callable[[], Any]] = None,
        *,
        on_error: Optional[Callable[[Exception], Any]] = None,
        blocking: bool = False,
    ) -> Optional[UserInfo]:
        """
        Signs in without a browser on this machine (RFC 8628): ``on_code(code)`` shows the person
        ``code.user_code`` and ``code.verification_uri`` (queued like every callback; called directly
        when ``blocking``), then the SDK polls until they approve on another device.
        """
        return self._logins.start(self._opening(lambda: self._device_flow(on_code, blocking), on_logout), on_success, on_error, blocking)

    def cancel_login(self) -> None:
        """Stops a login that is waiting for the browser or for the device code; it fails with LoginCancelled."""
        self._logins.cancel()

    def process_callbacks(self) -> int:
        """Runs the queued callbacks on the calling thread; returns how many ran."""
        return self._callbacks.run_pending()

    # --- the session ------------------------------------------------------------------------

    @property
    def is_logged_in(self) -> bool:
        """Whether a session is stored (its refresh may still be refused)."""
        return self._tokens.current() is not None

    @property
    def user(self) -> Optional[UserInfo]:
        """The signed-in person (from the userinfo endpoint, fetched once per session), or None."""
        if self._user is None and self._tokens.current() is not None:
            self._user = self._load_user()
        return self._user

    @property
    def access_token(self) -> str:
        """An access token valid for at least ``refresh_skew`` seconds; refreshes when needed."""
        return self._tokens.fresh_session().access_token

    def refresh_tokens(self) -> None:
        """Refreshes now, whatever the expiry. SessionEnded (and ``on_logout``) if the server refuses."""
        self._tokens.refresh()

    def logout(self, *, end_session: bool = True) -> bool:
        """
        Revokes the refresh token (RFC 7009; at Gatehouse that also ends the access tokens issued
        with it), forgets the session and queues ``on_logout``. When the server has an
        ``end_session_endpoint`` and ``end_session`` is true, the browser is sent there to end the
        person's session at the server too. The local session ends even offline; the return value
        says whether the server confirmed the revocation.
        """
        ended_session: List[Session] = []
        revoked = False

        def revoke(session: Session) -> None:
            nonlocal revoked
            ended_session.append(session)
            if session.refresh_token is None:
                return
            try:
                revoked = revoke_refresh_token(self._server(), self._credentials, session.refresh_token, self._http_timeout)
            except GatehouseError as err:
                log.warning("logout: the refresh token could not be revoked (%s); the local session ends anyway", err)

        # Holding the refresh lock lets a refresh in flight finish, so the newest token is revoked.
        with self._tokens.refresh_lock:
            self._tokens.end(revoke)
        endpoint = self._metadata.end_session_endpoint if self._metadata is not None else None
        if ended_session and end_session and endpoint is not None:
            self._open_browser(end_session_url(endpoint, client_id=self.client_id, id_token_hint=ended_session[0].id_token))
        return revoked

    def fetch(
        self,
        url: str,
        method: str = "GET",
        *,
        headers: Optional[Mapping[str, str]] = None,
        data: Optional[bytes] = None,
        json: Any = None,
        timeout: Optional[float] = None,
    ) -> transport.Response:
        """
        Calls the app's own API with ``Authorization: Bearer <access token>``. ``url`` may be relative
        to ``backend_url``; an absolute URL must be on the backend's origin or one of ``api_origins``
        (the token is never sent elsewhere; ValueError otherwise). A 401 refreshes once and retries
        once (RFC 6750 §3.1: "The client MAY request a new access token and retry").
        """
        target = urllib.parse.urljoin(self.backend_url + "/", url)
        if transport.origin_of(target) not in self._token_origins:
            raise ValueError(f"{transport.origin_of(target)} is not an origin this manager sends tokens to (see api_origins)")
        all_headers = dict(headers or {})
        if json is not None:
            data = _json.dumps(json).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")

        def send(token: str) -> transport.Response:
            return transport.request(
                method, target, headers={**all_headers, "Authorization": f"Bearer {token}"}, body=data, timeout=timeout or self._http_timeout
            )

        session = self._tokens.fresh_session()
        response = send(session.access_token)
        if response.status != 401:
            return response
        return send(self._tokens.refresh(session).access_token)

    def close(self) -> None:
        """Stops the refresh timer and any waiting login (the stored session stays)."""
        self.cancel_login()
        if self._timer is not None:
            self._timer.cancel()

    # --- internals --------------------------------------------------------------------------

    def _opening(self, flow: Callable[[], UserInfo], on_logout: Optional[Callable[[], Any]]) -> Callable[[], UserInfo]:
        def run() -> UserInfo:
            user = flow()
            # on_logout belongs to the session this login opened, from now on.
            self._on_logout = on_logout
            return user

        return run

    def _browser_flow(self, force: bool) -> UserInfo:
        if not force:
            restored = self._restore()
            if restored is not None:
                return restored
        browser_login(
            metadata=self._server(),
            credentials=self._credentials,
            scopes=self.scopes,
            redirect_path=self._redirect_path,
            open_browser=self._open_browser,
            timeout=self._login_timeout,
            cancelled=self._logins.cancelled,
            http_timeout=self._http_timeout,
            complete=lambda body, nonce: self._tokens.store(body, None, nonce=nonce),
        )
        return self._load_user()

    def _device_flow(self, on_code: Callable[[DeviceCode], Any], blocking: bool) -> UserInfo:
        metadata = self._server()
        device_code, code = request_device_code(metadata, self._credentials, self.scopes, self._http_timeout)
        if blocking:
            on_code(code)
        else:
            self._callbacks.put(on_code, code)
        body = poll_for_tokens(
            metadata=metadata,
            credentials=self._credentials,
            device_code=device_code,
            code=code,
            cancelled=self._logins.cancelled,
            http_timeout=self._http_timeout,
        )
        # RFC 8628 sends no nonce; the ID token's issuer, audience and expiry are still checked.
        self._tokens.store(body, None, nonce=None)
        return self._load_user()

    def _restore(self) -> Optional[UserInfo]:
        """The user of the stored session if it still works. A dead one is forgotten quietly:
        the app asked to sign in, and on_logout is for sessions it was told about."""
        if self._tokens.current() is None:
            return None
        try:
            self._tokens.fresh_session()
            user = self._load_user()
        except (SessionEnded, NotLoggedIn):
            return None
        self._schedule(self._tokens.current())
        return user

    def _server(self) -> ServerMetadata:
        """Discovery once per manager; a failure is not kept, so the next call tries again."""
        with self._metadata_lock:
            if self._metadata is None:
                self._metadata = discover(self.backend_url, self._http_timeout)
            return self._metadata

    def _load_user(self) -> UserInfo:
        session = self._tokens.fresh_session()

        def authorized_get(url: str) -> Optional[transport.Response]:
            return self.fetch(url) if transport.origin_of(url) in self._token_origins else None

        self._user = load_user(self._server().userinfo_endpoint, session.id_token_claims, authorized_get)
        return self._user

    def _schedule(self, session: Optional[Session]) -> None:
        if self._timer is not None and session is not None and session.expires_at is not None:
            self._timer.schedule_at(session.expires_at - self._tokens.refresh_skew)

    def _session_stored(self, session: Session) -> None:
        self._schedule(session)

    def _session_ended(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._user = None
        if self._on_logout is not None:
            self._callbacks.put(self._on_logout)

    def _refresh_in_background(self) -> None:
        try:
            self._schedule(self._tokens.fresh_session())
        except (SessionEnded, NotLoggedIn):
            pass  # on_logout is queued already (or there is nothing left to refresh)
        except (TransportError, OAuthError) as err:
            log.warning("background refresh failed (%s); retrying in %g s", err, RETRY_DELAY)
            if self._timer is not None:
                self._timer.schedule_in(RETRY_DELAY)
