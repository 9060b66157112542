"""fetch(): the access token goes to the app's API, and nowhere else (RFC 6750)."""

import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional

from support import GatehouseTestCase, stored


class RecordingServer:
    """An API of the app's on another port (another origin): records each request's headers."""

    def __init__(self, redirect_to: Optional[str] = None) -> None:
        self.requests: List[Dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                recorder.requests.append({k.lower(): v for k, v in self.headers.items()})
                if redirect_to is not None:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"path": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class FetchTest(GatehouseTestCase):
    def api(self, redirect_to: Optional[str] = None) -> RecordingServer:
        server = RecordingServer(redirect_to)
        self.addCleanup(server.close)
        return server

    def test_a_relative_url_calls_the_backend_with_the_bearer_token(self) -> None:
        manager, browser, _ = self.signed_in()
        response = manager.fetch("/userinfo")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json()["email"], browser.email)

    def test_another_origin_gets_no_token_unless_the_app_names_it(self) -> None:
        api = self.api()
        manager, _, _ = self.signed_in()
        with self.assertRaisesRegex(ValueError, "not an origin"):
            manager.fetch(api.url + "/me")
        self.assertEqual(api.requests, [])

        allowed = self.manager(api_origins=[api.url])
        response = allowed.fetch(api.url + "/me?x=1", headers={"X-Trace": "t1"})
        self.assertEqual(response.json(), {"path": "/me?x=1"})
        self.assertEqual(api.requests[0]["authorization"], f"Bearer {stored(allowed)['access_token']}")
        self.assertEqual(api.requests[0]["x-trace"], "t1")

    def test_a_redirect_to_another_origin_does_not_carry_the_token(self) -> None:
        elsewhere = self.api()
        api = self.api(redirect_to=elsewhere.url + "/landing")
        self.signed_in()
        manager = self.manager(api_origins=[api.url])
        response = manager.fetch(api.url + "/moved")
        self.assertEqual(response.status, 200)
        self.assertIn("authorization", api.requests[0])
        self.assertEqual(len(elsewhere.requests), 1)
        self.assertNotIn("authorization", elsewhere.requests[0])

    def test_a_401_refreshes_once_and_retries(self) -> None:
        manager, browser, _ = self.signed_in(auto_refresh=False)
        # An access token the server no longer accepts, though it is not near its expiry.
        with open(manager.storage_path, "r+", encoding="utf-8") as f:
            session = json.load(f)
            session["access_token"] = "revoked.access.token"
            f.seek(0)
            f.truncate()
            json.dump(session, f)
        response = manager.fetch("/userinfo")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json()["email"], browser.email)
        self.assertNotEqual(stored(manager)["access_token"], "revoked.access.token")


if __name__ == "__main__":
    unittest.main()
