"""Checking a channel's signature on its answers, with the key of one channel account from the environment or a file.

The key is loaded when the Dispatcher is built, so a missing or unusable key refuses to start instead of leaving
every answer unverified later. Nothing here decides what an answer means: a bad signature only stops it counting.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from payout_core.channels import SignatureRule
from payout_core.dispatch.errors import SignatureKeyUnusable


class Verifier(Protocol):
    def verify(self, payload: bytes, signature: str) -> bool: ...


def _decoded(signature: str, encoding: str) -> bytes | None:
    try:
        if encoding == "hex":
            return bytes.fromhex(signature)
        return base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        return None


class HmacSha256:
    def __init__(self, key: bytes, encoding: str) -> None:
        self._key = key
        self._encoding = encoding

    def verify(self, payload: bytes, signature: str) -> bool:
        given = _decoded(signature.strip(), self._encoding)
        return given is not None and hmac.compare_digest(given, hmac.new(self._key, payload, hashlib.sha256).digest())


class RsaSha256:
    def __init__(self, key: rsa.RSAPublicKey, encoding: str) -> None:
        self._key = key
        self._encoding = encoding

    def verify(self, payload: bytes, signature: str) -> bool:
        given = _decoded(signature.strip(), self._encoding)
        if given is None:
            return False
        try:
            self._key.verify(given, payload, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True


def load_verifier(rule: SignatureRule, account: str, env: Mapping[str, str] | None = None) -> Verifier:
    """The verifier of one channel account; SignatureKeyUnusable names where the key was looked for (never the key)."""
    kind, where = rule.key_source(account)
    if kind == "env":
        value = (os.environ if env is None else env).get(where)
        if not value or not value.strip():
            raise SignatureKeyUnusable(account, f"environment variable {where}", "is not set")
        key = value.strip().encode()
    else:
        try:
            key = Path(where).read_bytes().strip()
        except OSError as exc:
            raise SignatureKeyUnusable(account, f"file {where}", f"cannot be read ({exc.strerror or exc})") from None
        if not key:
            raise SignatureKeyUnusable(account, f"file {where}", "is empty")
    if rule.algorithm == "hmac-sha256":
        return HmacSha256(key, rule.encoding)
    try:
        public = serialization.load_pem_public_key(key)
    except ValueError:
        raise SignatureKeyUnusable(account, f"{kind} {where}", "is not a PEM public key") from None
    if not isinstance(public, rsa.RSAPublicKey):
        raise SignatureKeyUnusable(account, f"{kind} {where}", "is not an RSA public key")
    return RsaSha256(public, rule.encoding)
