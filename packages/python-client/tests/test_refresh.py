"""Refresh (RFC 6749 §6) before expiry, on demand, and when the server refuses it (§5.2 invalid_grant)."""

import threading
import time
import unittest
from typing import Tuple

from gatehouse_client import OAuthManager, SessionEnded, TransportError
from support import GatehouseTestCase, Recorder, dead_endpoint, post_form, stored, wait_for


class RefreshTest(GatehouseTestCase):
    def revoke_out_of_band(self, refresh_token: str) -> None:
        """What an admin, another device's logout or a purge does: the grant ends at the server (RFC 7009)."""
        status, _ = post_form(self.server.url + "/oauth/revoke", {"token": refresh_token, "token_type_hint": "refresh_token", "client_id": self.client_id})
        self.assertEqual(status, 200)

    def test_refresh_tokens_rotates_and_stores_the_new_tokens(self) -> None:
        manager, _, recorder = self.signed_in()
        before = stored(manager)
        manager.refresh_tokens()
        after = stored(manager)
        self.assertNotEqual(after["access_token"], before["access_token"])
        # Gatehouse rotates refresh tokens: the answer carries a new one, which replaces the old.
        self.assertNotEqual(after["refresh_token"], before["refresh_token"])
        self.assertGreater(after["expires_at"], time.time() + 60)
        # The session still works for the API, and nobody was logged out.
        self.assertEqual(manager.fetch("/userinfo").json()["sub"], recorder.successes[0].id)
        manager.process_callbacks()
        self.assertEqual(recorder.logouts, 0)

    def due_in_three_seconds(self) -> Tuple[OAuthManager, Recorder]:
        """
        A session whose refresh is due 3 s from now: signed in, then picked up by a manager whose
        skew is the token's lifetime less 3 s (the app's next start, restoring the session).
        """
        first, _, _ = self.signed_in(auto_refresh=False)
        first.close()
        lifetime = stored(first)["expires_at"] - time.time()
        manager = self.manager(refresh_skew=lifetime - 3)
        recorder = Recorder()
        manager.login(recorder.on_success, recorder.on_logout, blocking=True)
        return manager, recorder

    def test_the_access_token_is_refreshed_before_it_expires_without_any_call(self) -> None:
        manager, recorder = self.due_in_three_seconds()
        first = stored(manager)
        wait_for(lambda: stored(manager)["access_token"] != first["access_token"], timeout=30)
        self.assertNotEqual(stored(manager)["refresh_token"], first["refresh_token"])
        manager.process_callbacks()
        self.assertEqual(recorder.logouts, 0)

    def test_an_access_token_within_the_skew_is_refreshed_when_it_is_asked_for(self) -> None:
        manager, _, _ = self.signed_in(refresh_skew=3600.0, auto_refresh=False)
        first = stored(manager)["access_token"]
        token = manager.access_token
        self.assertNotEqual(token, first)
        self.assertEqual(stored(manager)["access_token"], token)

    def test_a_refused_refresh_ends_the_session_and_calls_on_logout_once(self) -> None:
        manager, _, recorder = self.signed_in(auto_refresh=False)
        self.revoke_out_of_band(stored(manager)["refresh_token"])
        with self.assertRaises(SessionEnded):
            manager.refresh_tokens()
        self.assertFalse(manager.is_logged_in)
        self.assertIsNone(manager.user)
        self.assertEqual(recorder.logouts, 0)  # not behind the app's back: on its thread
        manager.process_callbacks()
        self.assertEqual(recorder.logouts, 1)
        with self.assertRaises(Exception):
            manager.refresh_tokens()
        manager.process_callbacks()
        self.assertEqual(recorder.logouts, 1)

    def test_a_refused_background_refresh_calls_on_logout(self) -> None:
        manager, recorder = self.due_in_three_seconds()
        self.revoke_out_of_band(stored(manager)["refresh_token"])
        wait_for(lambda: recorder.logouts == 1, timeout=30, process=manager.process_callbacks)
        self.assertFalse(manager.is_logged_in)

    def test_an_unreachable_server_keeps_the_session(self) -> None:
        # Only invalid_grant ends a session (RFC 6749 §5.2); being offline may pass.
        manager, _, recorder = self.signed_in(auto_refresh=False)
        before = stored(manager)
        manager._server().document["token_endpoint"] = dead_endpoint()
        with self.assertRaises(TransportError):
            manager.refresh_tokens()
        self.assertEqual(stored(manager), before)
        manager.process_callbacks()
        self.assertEqual(recorder.logouts, 0)

    def test_concurrent_refreshes_never_replay_a_refresh_token(self) -> None:
        # With rotation, a second use of a refresh token is a replay and the server revokes the
        # whole grant (RFC 9700 §4.14.2); the SDK spends each one once, so the session survives.
        manager, _, recorder = self.signed_in(auto_refresh=False)
        errors = []

        def refresh() -> None:
            try:
                manager.refresh_tokens()
            except Exception as err:  # noqa: BLE001
                errors.append(err)

        threads = [threading.Thread(target=refresh) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertTrue(manager.is_logged_in)
        self.assertEqual(manager.fetch("/userinfo").status, 200)
        manager.refresh_tokens()
        manager.process_callbacks()
        self.assertEqual(recorder.logouts, 0)

if __name__ == "__main__":
    unittest.main()
