"""The loopback redirect listener of a browser login (RFC 8252 §7.3)."""

import hmac
import queue
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Optional

from .errors import LoginCancelled, LoginTimeout

# How long the browser's request is held open while the code is exchanged.
ANSWER_TIMEOUT = 60.0

_PAGES = {
    "ok": (200, "Signed in", "You are signed in. You can close this window and return to the application."),
    "failed": (400, "Sign-in failed", "Sign-in did not complete. You can close this window; the application explains what went wrong."),
    "stale": (400, "Not this sign-in", "This page belongs to an older or different sign-in. Go back to the application and start again."),
}


class _Callback:
    def __init__(self, params: Dict[str, str]) -> None:
        self.params = params
        self.outcome = "failed"
        self.answered = threading.Event()


class LoopbackListener:
    """
    Listens on ``http://127.0.0.1:<port the OS picks><path>``. RFC 8252 §7.3: "Native apps that are
    able to open a port on the loopback network interface without needing special permissions ...
    can use the loopback interface to receive the OAuth redirect"; §8.3 prefers the IP literal to
    ``localhost``, so nothing else on the machine can answer for the name.

    RFC 6749 §10.12: the client must check that the response belongs to the request it made. A
    request whose ``state`` is not this login's (an old tab, another app, an attacker's link) is
    answered with a page saying so and otherwise ignored: the listener keeps waiting for the real
    one until its timeout. The first request with the right ``state`` is taken, and every request
    after it gets 404.
    """

    def __init__(self, path: str, expected_state: str) -> None:
        self._path = path
        self._expected = expected_state.encode("utf-8")
        self._callbacks: "queue.SimpleQueue[_Callback]" = queue.SimpleQueue()
        self._taken = False
        self._current: Optional[_Callback] = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_address[1]}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True, name="gatehouse-loopback")
        self._thread.start()

    def wait(self, timeout: float, cancelled: threading.Event) -> Dict[str, str]:
        """The parameters of the callback with the right state; LoginTimeout or LoginCancelled otherwise."""
        deadline = time.monotonic() + timeout
        while not cancelled.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                callback = self._callbacks.get(timeout=min(0.1, remaining))
            except queue.Empty:
                continue
            self._current = callback
            return callback.params
        if cancelled.is_set():
            raise LoginCancelled("the login was cancelled")
        raise LoginTimeout(f"nobody finished the sign-in in the browser within {timeout:g} s")

    def answer(self, outcome: str) -> None:
        """Tells the waiting browser how it went ("ok" or "failed")."""
        if self._current is not None:
            self._current.outcome = outcome
            self._current.answered.set()

    def close(self) -> None:
        if self._current is not None:
            self._current.answered.set()
        self._server.shutdown()
        self._server.server_close()

    def _take(self, params: Dict[str, str]) -> Optional[_Callback]:
        """The callback if it is this login's and the first one; None otherwise."""
        state = params.get("state", "").encode("utf-8")
        with self._lock:
            if self._taken or not hmac.compare_digest(state, self._expected):
                return None
            self._taken = True
        callback = _Callback(params)
        self._callbacks.put(callback)
        return callback

    def _handler_class(self) -> type:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                url = urllib.parse.urlsplit(self.path)
                if url.path != listener._path or listener._taken:
                    self._page(404, "Not found", "Nothing here.")
                    return
                pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
                params = dict(pairs)
                # RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
                callback = listener._take(params) if len(params) == len(pairs) else None
                if callback is None:
                    self._page(*_PAGES["stale"])
                    return
                callback.answered.wait(ANSWER_TIMEOUT)
                self._page(*_PAGES[callback.outcome])

            def _page(self, status: int, title: str, message: str) -> None:
                body = (
                    f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
                    f'<body style="font-family:system-ui,sans-serif;margin:4rem auto;max-width:32rem"><h1>{title}</h1><p>{message}</p></body></html>'
                ).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                # The address bar holds the code: no page resource may carry it away in a Referer.
                self.send_header("Referrer-Policy", "no-referrer")
                self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                # The request line carries the authorization code: never written anywhere.
                pass

        return Handler
