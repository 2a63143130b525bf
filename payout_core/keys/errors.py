"""Typed errors of the keys that protect personal data; none carries a key or a plaintext."""

from __future__ import annotations

from payout_core.errors import PayoutError


class KeysError(PayoutError):
    """Base of every error about keys raised on purpose."""


class MissingKeys(KeysError):
    """No key configured, or one configured badly: personal data is never stored or read without one."""

    def __init__(self, variable: str, rule: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {rule}")


class UnreadableData(KeysError):
    """A sealed value whose key is not in the keyring, or that does not open (altered, or moved to another row)."""

    def __init__(self, where: str, why: str) -> None:
        self.where = where
        super().__init__(f"{where}: cannot be read: {why}")
