"""logout(): the refresh token is revoked at the server (RFC 7009) and the session forgotten."""

import unittest
import urllib.error
import urllib.parse
import urllib.request
from typing import List

from gatehouse_client.end_session import end_session_url
from support import GatehouseTestCase, dead_endpoint, post_form, stored


def userinfo_status(base: str, access_token: str) -> int:
    """The status of GET /userinfo with the token as a Bearer header, outside the SDK."""
    req = urllib.request.Request(base + "/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return int(res.status)
    except urllib.error.HTTPError as err:
        return err.code


class LogoutTest(GatehouseTestCase):
    def test_logout_revokes_the_refresh_token_forgets_the_session_and_calls_on_logout(self) -> None:
        manager, _, recorder = self.signed_in()
        tokens = stored(manager)
        self.assertEqual(userinfo_status(self.server.url, tokens["access_token"]), 200)
        self.assertTrue(manager.logout())
        self.assertFalse(manager.is_logged_in)
        self.assertIsNone(manager.user)
        manager.process_callbacks()
        self.assertEqual(recorder.logouts, 1)

        # The refresh token is dead at the server, not just forgotten here (RFC 6749 §5.2) …
        status, body = post_form(
            self.server.url + "/oauth/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": self.client_id}
        )
        self.assertEqual((status, body.get("error")), (400, "invalid_grant"))
        # … and at Gatehouse so is the access token issued with it (RFC 7009 §2.1 allows this).
        self.assertEqual(userinfo_status(self.server.url, tokens["access_token"]), 401)

    def test_offline_the_local_session_still_ends(self) -> None:
        manager, _, recorder = self.signed_in()
        tokens = stored(manager)
        manager._server().document["revocation_endpoint"] = dead_endpoint()
        with self.assertLogs("gatehouse_client", "WARNING") as logs:
            self.assertFalse(manager.logout())
        self.assertIn("could not be revoked", logs.output[0])
        self.assertNotIn(tokens["refresh_token"], logs.output[0])
        self.assertFalse(manager.is_logged_in)
        manager.process_callbacks()
        self.assertEqual(recorder.logouts, 1)
        # Not revoked: the server still honours the refresh token (the app said so by the False).
        status, _ = post_form(
            self.server.url + "/oauth/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": self.client_id}
        )
        self.assertEqual(status, 200)

    def test_a_second_logout_is_a_no_op(self) -> None:
        manager, _, recorder = self.signed_in()
        manager.logout()
        self.assertFalse(manager.logout())
        manager.process_callbacks()
        self.assertEqual(recorder.logouts, 1)

    def test_logout_sends_the_browser_to_the_end_session_endpoint_which_ends_the_server_session(self) -> None:
        browser = self.browser()
        end_session_visits: List[str] = []

        def open_browser(url: str) -> bool:
            if urllib.parse.urlsplit(url).path == "/oauth/logout":
                end_session_visits.append(url)
                return True
            return browser.open(url)

        manager = self.manager(open_browser=open_browser)
        manager.login(blocking=True)
        id_token = stored(manager)["id_token"]
        self.assertEqual(browser.page(self.server.url + "/account")[0], 200)  # signed in at Gatehouse

        manager.logout()

        # OpenID Connect RP-Initiated Logout 1.0 §2: the end_session_endpoint from discovery, with
        # id_token_hint and client_id.
        self.assertEqual(len(end_session_visits), 1)
        url = urllib.parse.urlsplit(end_session_visits[0])
        self.assertEqual(f"{url.scheme}://{url.netloc}{url.path}", self.server.url + "/oauth/logout")
        self.assertEqual(dict(urllib.parse.parse_qsl(url.query)), {"client_id": self.client_id, "id_token_hint": id_token})
        # The browser going there ends the person's session at Gatehouse (the hint names them, so
        # no confirmation is asked).
        self.assertEqual(browser.page(end_session_visits[0])[0], 200)
        status, location = browser.page(self.server.url + "/account")
        self.assertEqual(status, 302)
        self.assertEqual(urllib.parse.urlsplit(location or "").path, "/login")

    def test_logout_with_end_session_false_opens_no_browser(self) -> None:
        manager, browser, _ = self.signed_in()
        manager.logout(end_session=False)
        self.assertEqual(len(browser.opened), 1)  # the login's, nothing after


class EndSessionUrlTest(unittest.TestCase):
    def test_it_carries_the_id_token_hint_and_client_id(self) -> None:
        # OpenID Connect RP-Initiated Logout 1.0 §2: id_token_hint RECOMMENDED, client_id OPTIONAL.
        url = end_session_url("https://auth.example.com/oauth/logout", client_id="game", id_token_hint="eyJ.x.y")
        parts = urllib.parse.urlsplit(url)
        self.assertEqual(parts.path, "/oauth/logout")
        self.assertEqual(dict(urllib.parse.parse_qsl(parts.query)), {"client_id": "game", "id_token_hint": "eyJ.x.y"})
        joined = end_session_url("https://auth.example.com/logout?ui_locales=fr", client_id="game", id_token_hint=None)
        self.assertEqual(urllib.parse.urlsplit(joined).query, "ui_locales=fr&client_id=game")


if __name__ == "__main__":
    unittest.main()
