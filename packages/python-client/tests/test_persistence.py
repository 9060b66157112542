"""The session on disk: survives a restart, one file per issuer and client, owner-only permissions."""

import os
import stat
import unittest
from unittest import mock

from gatehouse_client import OAuthManager, default_token_path
from support import GatehouseTestCase, Recorder, refuse_browser, stored


def mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@unittest.skipUnless(os.name == "posix", "file modes are POSIX")
class PersistenceTest(GatehouseTestCase):
    def test_the_session_file_is_0600_in_a_0700_folder(self) -> None:
        manager, _, _ = self.signed_in()
        self.assertEqual(mode(manager.storage_path), 0o600)
        self.assertEqual(mode(os.path.dirname(manager.storage_path)), 0o700)
        # No temp file is left beside it.
        self.assertEqual(os.listdir(os.path.dirname(manager.storage_path)), ["session.json"])

    def test_permissions_hold_whatever_the_umask(self) -> None:
        previous = os.umask(0)
        try:
            manager, _, _ = self.signed_in()
        finally:
            os.umask(previous)
        self.assertEqual(mode(manager.storage_path), 0o600)
        self.assertEqual(mode(os.path.dirname(manager.storage_path)), 0o700)

    def test_a_file_with_loose_permissions_is_replaced_by_a_0600_one(self) -> None:
        manager, _, _ = self.signed_in(auto_refresh=False)
        os.chmod(manager.storage_path, 0o644)
        manager.refresh_tokens()
        self.assertEqual(mode(manager.storage_path), 0o600)

    def test_a_new_manager_on_the_same_file_is_signed_in_without_a_browser(self) -> None:
        first, browser, recorder = self.signed_in()
        first.close()
        # The app's next run: login() finds the stored session and opens no browser.
        again = self.manager(open_browser=refuse_browser)
        self.assertTrue(again.is_logged_in)
        restored = Recorder()
        user = again.login(restored.on_success, restored.on_logout, blocking=True)
        self.assertEqual(user, recorder.successes[0])
        self.assertEqual(restored.successes, [user])
        self.assertEqual(again.user.email, browser.email)  # type: ignore[union-attr]
        self.assertEqual(again.fetch("/userinfo").json()["email"], browser.email)

    def test_a_stored_session_that_the_server_refuses_is_forgotten_and_the_browser_opens(self) -> None:
        first, _, _ = self.signed_in(auto_refresh=False)
        first.close()
        with open(first.storage_path, "r+", encoding="utf-8") as f:
            text = f.read().replace(stored(first)["refresh_token"], "not-a-refresh-token")
            f.seek(0)
            f.truncate()
            f.write(text)
        # An access token that needs refreshing now, with a refresh token the server does not know.
        browser = self.browser()
        again = self.manager(open_browser=browser.open, refresh_skew=3600.0, auto_refresh=False)
        recorder = Recorder()
        user = again.login(recorder.on_success, recorder.on_logout, blocking=True)
        self.assertEqual(user.email, browser.email)  # type: ignore[union-attr]
        self.assertEqual(len(browser.opened), 1)
        self.assertEqual(recorder.logouts, 0)

    def test_a_corrupt_file_is_no_session(self) -> None:
        os.makedirs(os.path.dirname(self.storage_path), mode=0o700)
        with open(self.storage_path, "w", encoding="utf-8") as f:
            f.write("{not json")
        self.assertFalse(self.manager().is_logged_in)

    def test_the_default_file_is_per_issuer_and_client_under_xdg_config_home(self) -> None:
        with mock.patch.dict(os.environ, {"XDG_CONFIG_HOME": self.folder}):
            a = OAuthManager("game-a", backend_url=self.server.url)
            b = OAuthManager("game-b", backend_url=self.server.url)
            c = OAuthManager("game-a", backend_url="https://auth.example.com")
            odd = default_token_path("https://auth.example.com", "a/../b")
        host = f"127.0.0.1_{self.server.port}"
        self.assertEqual(a.storage_path, os.path.join(self.folder, "gatehouse", f"{host}-game-a.json"))
        self.assertEqual(b.storage_path, os.path.join(self.folder, "gatehouse", f"{host}-game-b.json"))
        self.assertEqual(c.storage_path, os.path.join(self.folder, "gatehouse", "auth.example.com-game-a.json"))
        # Nothing in a client id can leave the folder.
        self.assertEqual(odd, os.path.join(self.folder, "gatehouse", "auth.example.com-a_.._b.json"))


if __name__ == "__main__":
    unittest.main()
