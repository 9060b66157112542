"""PKCE (RFC 7636) and the random values of an authorization request."""

import base64
import hashlib
import secrets


def random_value() -> str:
    """32 random bytes, base64url: for state and nonce (RFC 6749 §10.10: guessable with ≤ 2^-128)."""
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """
    RFC 7636 §4.1: "a high-entropy cryptographic random STRING using the unreserved characters
    ... with a minimum length of 43 characters and a maximum length of 128", recommended as the
    base64url encoding of a 32-octet random sequence.
    """
    return secrets.token_urlsafe(32)


def s256_challenge(verifier: str) -> str:
    """RFC 7636 §4.2: code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
