"""The keys that protect personal data at rest, from the environment or from files, never from the repository.

- Data keys (AES-256-GCM, authenticated): `PAYOUT_CORE_DATA_KEYS="2026-03:<base64 32 bytes>,2025-12:<…>"` or
  `PAYOUT_CORE_DATA_KEYS_FILE` (one `id:base64` per line, `#` comments). The first key seals; every key listed
  opens what it sealed, so a key is rotated by listing a new one first, running `payout-core keys rewrap`, then
  removing the old one.
- The card-key secret (HMAC-SHA256): `PAYOUT_CORE_CARD_KEY_SECRET=<base64, 32+ bytes>` or
  `PAYOUT_CORE_CARD_KEY_SECRET_FILE`. `card_key` is what limits count a card by, so it cannot be reversed by
  trying every card of a BIN without the secret. Changing the secret restarts every card's daily count: do it at a
  business-day cut.
A variable that is set but names no usable key refuses to start (MissingKeys): the configuration fails closed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payout_core.keys.errors import MissingKeys, UnreadableData

DATA_KEYS = "PAYOUT_CORE_DATA_KEYS"
CARD_SECRET = "PAYOUT_CORE_CARD_KEY_SECRET"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_VERSION = "pc1"  # the sealed format: pc1:<key id>:<base64url(12-byte nonce + ciphertext + 16-byte tag)>
_NONCE = 12


def _b64(text: str, variable: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MissingKeys(variable, "a key must be base64") from None


def _setting(environ: Mapping[str, str], variable: str) -> tuple[str, list[str]]:
    """The entries of `variable` (comma-separated) or of the file `variable_FILE` (one per line), never both."""
    inline, path = environ.get(variable), environ.get(f"{variable}_FILE")
    if inline is not None and path is not None:
        raise MissingKeys(variable, f"set either {variable} or {variable}_FILE, not both")
    if path is not None:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise MissingKeys(f"{variable}_FILE", f"cannot read {path}: {exc.strerror}") from None
        entries = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
        return f"{variable}_FILE", entries
    if inline is None:
        raise MissingKeys(variable, f"not set: set {variable} or {variable}_FILE (payout-core keys new makes one)")
    return variable, [e.strip() for e in inline.split(",") if e.strip()]


class Keyring:
    """Data keys by id (the first one seals) and the card-key secret."""

    def __init__(self, data_keys: Sequence[tuple[str, bytes]], card_secret: bytes) -> None:
        if not data_keys:
            raise MissingKeys(DATA_KEYS, "names no key")
        for key_id, key in data_keys:
            if not _KEY_ID.match(key_id):
                raise MissingKeys(DATA_KEYS, f"key id {key_id!r} must be 1-32 letters, digits, _ or -")
            if len(key) != 32:
                raise MissingKeys(DATA_KEYS, f"key {key_id!r} must be 32 bytes (AES-256), not {len(key)}")
        if len({k for k, _ in data_keys}) != len(data_keys):
            raise MissingKeys(DATA_KEYS, "a key id is listed twice")
        if len(card_secret) < 32:
            raise MissingKeys(CARD_SECRET, "the secret must be at least 32 bytes")
        self.current = data_keys[0][0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in data_keys}
        self._card_secret = card_secret

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Keyring:
        source, entries = _setting(environ, DATA_KEYS)
        keys: list[tuple[str, bytes]] = []
        for entry in entries:
            key_id, sep, encoded = entry.partition(":")
            if not sep:
                raise MissingKeys(source, "each key is written id:base64")
            keys.append((key_id.strip(), _b64(encoded, source)))
        if not keys:
            raise MissingKeys(source, "names no key")
        secret_source, secret = _setting(environ, CARD_SECRET)
        if len(secret) != 1:
            raise MissingKeys(secret_source, "must hold exactly one secret")
        return cls(keys, _b64(secret[0], secret_source))

    @staticmethod
    def new_data_key(key_id: str) -> str:
        """A fresh data key as one `id:base64` entry of PAYOUT_CORE_DATA_KEYS."""
        if not _KEY_ID.match(key_id):
            raise MissingKeys(DATA_KEYS, f"key id {key_id!r} must be 1-32 letters, digits, _ or -")
        return f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"

    @staticmethod
    def new_card_secret() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    def seal(self, plaintext: bytes, context: str) -> str:
        """Encrypt under the current key; `context` (e.g. the row's identity) must be given again to open it, so a
        sealed value copied to another row does not open there."""
        nonce = os.urandom(_NONCE)
        sealed = self._ciphers[self.current].encrypt(nonce, plaintext, context.encode())
        return f"{_VERSION}:{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, context: str) -> bytes:
        version, _, rest = sealed.partition(":")
        key_id, _, body = rest.partition(":")
        if version != _VERSION or not body:
            raise UnreadableData(context, "not a sealed value")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnreadableData(context, f"sealed with key {key_id!r}, which is not configured")
        try:
            raw = base64.urlsafe_b64decode(body)
            return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], context.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise UnreadableData(context, f"altered, or sealed for another row (key {key_id!r})") from None

    @property
    def current_prefix(self) -> str:
        """How every value sealed under the current key starts (what a rewrap looks for the absence of)."""
        return f"{_VERSION}:{self.current}:"

    def card_key(self, digits: str) -> str:
        """HMAC-SHA256 of a card or account number (already folded to its digits) under the card-key secret."""
        return hmac.new(self._card_secret, digits.encode(), hashlib.sha256).hexdigest()
