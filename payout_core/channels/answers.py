"""Which channel answers count at all: the HTTP statuses that may carry one, and how the channel signs them.

Read before any code is looked at: an answer that fails these rules is kept as evidence and raises an alert, and
the order stays in progress (payout_core.dispatch.verify). The key itself never lives in a profile: it comes from
the environment or a file named here, per channel account.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

from payout_core.errors import InvalidInput

# hmac-sha256: HMAC-SHA256 with a shared secret (WeChat Pay v2's HMAC-SHA256 sign type); rsa-sha256: SHA256withRSA,
# PKCS#1 v1.5, verified with the channel's public key in PEM (Alipay's RSA2, Lianlian).
SignatureAlgorithm = Literal["hmac-sha256", "rsa-sha256"]
SignatureEncoding = Literal["hex", "base64"]
HttpStatus = Annotated[int, msgspec.Meta(ge=100, le=599)]

ACCOUNT = "{account}"  # in key_env / key_file: the channel account (route) name, one key per account


class SignatureRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How the channel signs an answer; exactly one of `key_env`, `key_file` says where the key is."""

    algorithm: SignatureAlgorithm
    encoding: SignatureEncoding = "base64"
    key_env: str | None = None
    key_file: str | None = None

    def __post_init__(self) -> None:
        if (self.key_env is None) == (self.key_file is None):
            raise InvalidInput("signature", f"key_env={self.key_env!r}, key_file={self.key_file!r}", "set exactly one")

    def key_source(self, account: str) -> tuple[Literal["env", "file"], str]:
        """Where the key of one channel account is: an environment variable (`{account}` upper-cased, anything
        but letters and digits as `_`) or a file path (`{account}` as it is)."""
        if self.key_env is not None:
            return "env", self.key_env.replace(ACCOUNT, re.sub(r"[^A-Z0-9]", "_", account.upper()))
        assert self.key_file is not None  # __post_init__
        return "file", self.key_file.replace(ACCOUNT, account)


class AnswerRules(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An answer counts only with a status listed here (a proxy's 404 with a JSON body is no answer) and, when
    `signature` is set, a valid signature. Default: HTTP 200 only, unsigned."""

    statuses: Annotated[frozenset[HttpStatus], msgspec.Meta(min_length=1)] = frozenset({200})
    signature: SignatureRule | None = None
