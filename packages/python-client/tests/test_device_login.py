"""login_with_device() against a running Gatehouse (RFC 8628), the person answering at /device."""

import time
import unittest
from typing import Any, Dict, List, Tuple

import gatehouse_client.device_login as device_login
from gatehouse_client import DeviceCode, LoginError, OAuthError
from support import GatehouseTestCase, Recorder, new_email, post_form, stored, wait_for

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE = r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$"


class DeviceLoginTest(GatehouseTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # RFC 8628 needs no redirect URI; refresh_token keeps the device signed in.
        cls.client_id = cls.server.register_public_client(redirect_url=None, grant_types=[DEVICE_CODE_GRANT, "refresh_token"])

    def test_approved_on_another_device_the_session_is_stored_and_the_user_delivered(self) -> None:
        email = new_email()
        person = self.browser(email)
        manager = self.manager()
        recorder = Recorder()
        codes: List[DeviceCode] = []
        pages: List[str] = []

        def on_code(code: DeviceCode) -> None:
            codes.append(code)
            pages.append(person.answer_device(code.verification_uri, code.user_code))

        manager.login_with_device(on_code, recorder.on_success, recorder.on_logout, on_error=recorder.on_error)
        wait_for(lambda: recorder.successes or recorder.errors, timeout=60, process=manager.process_callbacks)

        self.assertEqual(recorder.errors, [])
        # RFC 8628 §3.2: what the person needs, and nothing secret (the device code stays in the SDK).
        self.assertEqual(len(codes), 1)
        self.assertRegex(codes[0].user_code, USER_CODE)
        self.assertEqual(codes[0].verification_uri, f"{self.server.url}/device")
        self.assertEqual(codes[0].verification_uri_complete, f"{self.server.url}/device?user_code={codes[0].user_code}")
        self.assertEqual(codes[0].interval, 5)
        self.assertNotIn("device_code", codes[0]._fields)
        self.assertIn("Device connected", pages[0])

        user = recorder.successes[0]
        self.assertEqual(user.email, email)
        self.assertEqual(manager.user, user)
        self.assertTrue(manager.is_logged_in)
        tokens = stored(manager)
        self.assertTrue(tokens["access_token"])
        self.assertTrue(tokens["id_token"])
        # The refresh token works at the server: the device stays signed in.
        status, body = post_form(
            self.server.url + "/oauth/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": self.client_id}
        )
        self.assertEqual(status, 200, body)

    def test_denied_on_the_other_device_the_login_fails_with_login_error(self) -> None:
        person = self.browser(decision="deny")
        manager = self.manager()
        recorder = Recorder()
        manager.login_with_device(
            lambda code: person.answer_device(code.verification_uri, code.user_code),
            recorder.on_success,
            recorder.on_logout,
            on_error=recorder.on_error,
        )
        wait_for(lambda: recorder.successes or recorder.errors, timeout=60, process=manager.process_callbacks)

        self.assertEqual(recorder.successes, [])
        self.assertEqual(len(recorder.errors), 1)
        err = recorder.errors[0]
        # RFC 8628 §3.5 access_denied ends the polling; the SDK's documented failure is LoginError.
        self.assertIsInstance(err, LoginError)
        self.assertEqual(err.code, "login_failed")
        self.assertIn("denied", str(err))
        self.assertIsInstance(err.__cause__, OAuthError)
        self.assertEqual(err.__cause__.error, "access_denied")
        self.assertFalse(manager.is_logged_in)

    def test_polls_every_interval_and_five_seconds_more_after_slow_down(self) -> None:
        person = self.browser()
        manager = self.manager()
        real_token_request = device_login.token_request
        # Each poll the SDK sends through the real token_request: when it began, what the server
        # answered, when the SDK got the answer back.
        polls: List[Tuple[float, str, float]] = []
        shown: List[Tuple[float, DeviceCode]] = []

        def observed(metadata: Any, credentials: Any, form: Dict[str, str], http_timeout: float) -> Dict[str, Any]:
            began = time.monotonic()
            if not polls:
                # Someone else polls with the same device code just before: the SDK's own poll
                # now comes too soon and the server answers slow_down (RFC 8628 §3.5).
                status, body = post_form(self.server.url + "/oauth/token", {**form, "client_id": self.client_id})
                self.assertEqual((status, body.get("error")), (400, "authorization_pending"))
            try:
                answer = real_token_request(metadata, credentials, form, http_timeout)
            except OAuthError as err:
                if err.error == "slow_down":
                    person.answer_device(shown[0][1].verification_uri, shown[0][1].user_code)
                polls.append((began, err.error, time.monotonic()))
                raise
            polls.append((began, "tokens", time.monotonic()))
            return answer

        device_login.token_request = observed  # type: ignore[assignment]
        self.addCleanup(setattr, device_login, "token_request", real_token_request)

        user = manager.login_with_device(lambda code: shown.append((time.monotonic(), code)), blocking=True)

        self.assertIsNotNone(user)
        self.assertTrue(manager.is_logged_in)
        self.assertEqual([answer for _, answer, _ in polls], ["slow_down", "tokens"])
        # §3.2 interval: "The minimum amount of time in seconds that the client SHOULD wait
        # between polling requests to the token endpoint" (5 here) …
        self.assertGreaterEqual(polls[0][0] - shown[0][0], 5)
        # … and §3.5 slow_down: "the interval MUST be increased by 5 seconds for this and all
        # subsequent requests".
        self.assertGreaterEqual(polls[1][0] - polls[0][2], 10)

    def test_cancel_login_stops_the_polling(self) -> None:
        manager = self.manager()
        recorder = Recorder()
        manager.login_with_device(lambda code: manager.cancel_login(), recorder.on_success, on_error=recorder.on_error)
        wait_for(lambda: recorder.errors, timeout=30, process=manager.process_callbacks)
        self.assertEqual(recorder.errors[0].code, "login_cancelled")
        self.assertFalse(manager.is_logged_in)


if __name__ == "__main__":
    unittest.main()
