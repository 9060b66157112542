"""The ID token checks of OpenID Connect Core §3.1.3.7 (tokens built here; no server needed)."""

import base64
import json
import time
import unittest
from typing import Any

from gatehouse_client import GatehouseError
from gatehouse_client.id_token import validate_id_token

ISSUER = "https://auth.example.com"


def token(**claims: Any) -> str:
    def b64(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    body = {"iss": ISSUER, "aud": "game", "sub": "u1", "exp": int(time.time()) + 300, "iat": int(time.time()), "nonce": "n1", **claims}
    return f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(body)}.c2ln"


class IdTokenTest(unittest.TestCase):
    def check(self, id_token: str, nonce: Any = "n1") -> Any:
        return validate_id_token(id_token, issuer=ISSUER, client_id="game", nonce=nonce)

    def test_a_token_for_this_login_passes(self) -> None:
        self.assertEqual(self.check(token())["sub"], "u1")
        self.assertEqual(self.check(token(aud=["game", "other"], azp="game"))["sub"], "u1")

    def test_each_failed_check_refuses_the_token(self) -> None:
        cases = {
            "another server": token(iss="https://evil.example"),  # item 2
            "not for this client": token(aud="other-app"),  # item 3
            "azp": token(aud=["game", "other"], azp="other"),  # items 4-5
            "expired": token(exp=int(time.time()) - 3600),  # item 9
            "nonce": token(nonce="replayed"),  # item 11
        }
        for why, bad in cases.items():
            with self.subTest(why), self.assertRaisesRegex(GatehouseError, why):
                self.check(bad)

    def test_a_missing_nonce_is_refused_when_one_was_sent(self) -> None:
        bare = token()
        claims = json.loads(base64.urlsafe_b64decode(bare.split(".")[1] + "=="))
        del claims["nonce"]
        without = bare.split(".")[0] + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + ".c2ln"
        with self.assertRaisesRegex(GatehouseError, "nonce"):
            self.check(without)
        # A grant without a nonce (refresh, device) does not ask for one.
        self.assertEqual(self.check(without, nonce=None)["sub"], "u1")

    def test_garbage_is_refused(self) -> None:
        for bad in ["", "a.b", "a.!!!.c", "a." + base64.urlsafe_b64encode(b"[1]").decode() + ".c"]:
            with self.subTest(bad), self.assertRaises(GatehouseError):
                self.check(bad)


if __name__ == "__main__":
    unittest.main()
