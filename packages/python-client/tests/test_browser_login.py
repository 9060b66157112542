"""login() through the system browser against a running Gatehouse (RFC 8252, RFC 7636, RFC 6749 §10.12)."""

import threading
import time
import unittest
import urllib.parse
import urllib.request

from gatehouse_client import LoginError, LoginTimeout, UserInfo
from scripted_browser import load, with_param
from support import GatehouseTestCase, Recorder, new_email, wait_for


class BrowserLoginTest(GatehouseTestCase):
    def test_login_by_loopback_delivers_the_user_on_the_thread_that_processes_callbacks(self) -> None:
        email = new_email()
        browser = self.browser(email)
        manager = self.manager(open_browser=browser.open)
        recorder = Recorder()
        threads = []
        manager.login(lambda user: (threads.append(threading.get_ident()), recorder.on_success(user)), recorder.on_logout)

        visit = browser.visit()
        self.assertEqual(visit.status, 200, visit.text)
        self.assertIn("You are signed in", visit.text)
        # Nothing runs behind the app's back: the callback waits for process_callbacks().
        time.sleep(0.2)
        self.assertEqual(recorder.successes, [])
        wait_for(lambda: bool(recorder.successes), process=manager.process_callbacks)

        self.assertEqual(threads, [threading.get_ident()])
        user = recorder.successes[0]
        self.assertIsInstance(user, UserInfo)
        self.assertEqual(user.email, email)
        self.assertTrue(user.id)
        self.assertEqual(manager.user, user)
        self.assertTrue(manager.is_logged_in)
        self.assertEqual(recorder.logouts, 0)

    def test_the_authorization_request_is_a_loopback_pkce_s256_request_with_state_and_nonce(self) -> None:
        manager, browser, _ = self.signed_in()
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(browser.opened[0]).query))
        redirect = urllib.parse.urlsplit(query["redirect_uri"])
        # RFC 8252 §7.3 / §8.3: the loopback IP literal, any port, the registered path.
        self.assertEqual((redirect.scheme, redirect.hostname, redirect.path), ("http", "127.0.0.1", "/callback"))
        self.assertGreater(redirect.port or 0, 0)
        self.assertEqual(query["client_id"], self.client_id)
        self.assertEqual(query["response_type"], "code")
        self.assertEqual(query["scope"], "openid profile email")
        # RFC 7636 §4.2-4.3: S256 of a verifier, 43 base64url characters.
        self.assertEqual(query["code_challenge_method"], "S256")
        self.assertRegex(query["code_challenge"], r"^[A-Za-z0-9_-]{43}$")
        self.assertGreaterEqual(len(query["state"]), 43)
        self.assertGreaterEqual(len(query["nonce"]), 43)
        # The nonce came back in the ID token, and the loopback port is closed after the login.
        visit = browser.visit()
        self.assertEqual(manager.user.email, browser.email)  # type: ignore[union-attr]
        with self.assertRaises(OSError):
            urllib.request.urlopen(visit.redirect, timeout=5)

    def test_blocking_login_runs_on_success_before_returning_the_user(self) -> None:
        browser = self.browser()
        manager = self.manager(open_browser=browser.open)
        recorder = Recorder()
        user = manager.login(recorder.on_success, recorder.on_logout, blocking=True)
        self.assertEqual(recorder.successes, [user])
        self.assertEqual(user.email, browser.email)  # type: ignore[union-attr]

    def test_a_callback_with_the_wrong_state_is_ignored_and_the_listener_keeps_waiting(self) -> None:
        # RFC 6749 §10.12: the response must be bound to this login's state. The stale callback
        # gets a page saying so; the real one, arriving after it, completes the login.
        browser = self.browser(tamper=lambda url: with_param(url, "state", "not-this-login"))
        manager = self.manager(open_browser=browser.open)
        recorder = Recorder()
        manager.login(recorder.on_success, recorder.on_logout, on_error=recorder.on_error)

        stale = browser.visit()
        self.assertEqual(stale.status, 400)
        self.assertIn("Not this sign-in", stale.text)
        time.sleep(0.3)
        manager.process_callbacks()
        self.assertEqual((recorder.successes, recorder.errors), ([], []))
        self.assertFalse(manager.is_logged_in)

        status, _ = load(stale.redirect)
        self.assertEqual(status, 200)
        wait_for(lambda: bool(recorder.successes or recorder.errors), process=manager.process_callbacks)
        self.assertEqual(recorder.errors, [])
        self.assertEqual(recorder.successes[0].email, browser.email)

    def test_only_wrong_state_callbacks_end_in_the_login_timeout(self) -> None:
        browser = self.browser(tamper=lambda url: with_param(url, "state", "forged"))
        manager = self.manager(open_browser=browser.open, login_timeout=3.0)
        started = time.monotonic()
        with self.assertRaises(LoginTimeout):
            manager.login(blocking=True)
        self.assertGreaterEqual(time.monotonic() - started, 3.0)
        self.assertEqual(browser.visit().status, 400)
        self.assertFalse(manager.is_logged_in)

    def test_a_callback_from_another_issuer_is_refused_and_its_code_never_exchanged(self) -> None:
        # RFC 9207 §2.4: iss must be the issuer the request was sent to (mix-up defence).
        browser = self.browser(tamper=lambda url: with_param(url, "iss", "https://evil.example"))
        manager = self.manager(open_browser=browser.open)
        with self.assertRaisesRegex(LoginError, "another issuer"):
            manager.login(blocking=True)
        visit = browser.visit()
        self.assertEqual(visit.status, 400)
        self.assertIn("Sign-in failed", visit.text)
        self.assertFalse(manager.is_logged_in)

    def test_denied_consent_reaches_on_error(self) -> None:
        browser = self.browser(decision="deny")
        manager = self.manager(open_browser=browser.open)
        recorder = Recorder()
        manager.login(recorder.on_success, recorder.on_logout, on_error=recorder.on_error)
        wait_for(lambda: bool(recorder.errors), process=manager.process_callbacks)
        self.assertIsInstance(recorder.errors[0], LoginError)
        self.assertIn("access_denied", str(recorder.errors[0]))
        self.assertEqual(recorder.successes, [])
        self.assertFalse(manager.is_logged_in)


if __name__ == "__main__":
    unittest.main()
