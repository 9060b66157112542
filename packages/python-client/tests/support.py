"""What the test modules share: a manager on the shared server with its own storage and person."""

import json
import os
import secrets
import shutil
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Tuple

from gatehouse_client import OAuthManager, UserInfo
from gatehouse_server import GatehouseServer, free_port, shared_server
from scripted_browser import ScriptedBrowser


def new_email() -> str:
    return f"py.{secrets.token_hex(5)}@example.com"


def refuse_browser(url: str) -> bool:
    raise AssertionError(f"this manager must not open a browser (asked for {url})")


class Recorder:
    """Callbacks that record what they were called with (and on which thread)."""

    def __init__(self) -> None:
        self.successes: List[UserInfo] = []
        self.logouts = 0
        self.errors: List[BaseException] = []

    def on_success(self, user: UserInfo) -> None:
        self.successes.append(user)

    def on_logout(self) -> None:
        self.logouts += 1

    def on_error(self, err: BaseException) -> None:
        self.errors.append(err)


class GatehouseTestCase(unittest.TestCase):
    server: GatehouseServer
    client_id: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = shared_server()
        cls.client_id = cls.server.register_public_client()

    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="gatehouse-py-test-")
        self.addCleanup(shutil.rmtree, self.folder, True)
        self.storage_path = os.path.join(self.folder, "tokens", "session.json")

    def manager(self, open_browser: Any = refuse_browser, storage_path: Optional[str] = None, **options: Any) -> OAuthManager:
        manager = OAuthManager(
            self.client_id,
            backend_url=self.server.url,
            storage_path=storage_path or self.storage_path,
            open_browser=open_browser,
            login_timeout=options.pop("login_timeout", 60.0),
            **options,
        )
        self.addCleanup(manager.close)
        return manager

    def browser(self, email: Optional[str] = None, **options: Any) -> ScriptedBrowser:
        return ScriptedBrowser(self.server.url, email or new_email(), **options)

    def signed_in(self, **options: Any) -> Tuple[OAuthManager, ScriptedBrowser, Recorder]:
        """A manager after a blocking browser login."""
        browser = self.browser()
        manager = self.manager(open_browser=browser.open, **options)
        recorder = Recorder()
        manager.login(recorder.on_success, recorder.on_logout, blocking=True)
        return manager, browser, recorder


def post_form(url: str, fields: Dict[str, str]) -> Tuple[int, Dict[str, Any]]:
    """A form POST straight to the server, outside the SDK: (status, JSON body)."""
    req = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def stored(manager: OAuthManager) -> Dict[str, Any]:
    """The session file as the SDK wrote it."""
    with open(manager.storage_path, encoding="utf-8") as f:
        return dict(json.load(f))


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, process: Optional[Callable[[], Any]] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None:
            process()
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def dead_endpoint() -> str:
    """A URL on a port nothing listens on: the server unreachable, as when offline."""
    return f"http://127.0.0.1:{free_port()}/unreachable"
