"""The channel profile: everything payout_core must know about one channel, decoded from its TOML file.

Profiles are data so that a channel fact can be corrected without touching code; the Structs forbid unknown
keys so a typo in a file is refused at load instead of silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from cardbin.banks import default_directory
from cardbin.model import Bank, CardType
from payout_core.errors import InvalidInput
from payout_core.names.rules import NameRules
from payout_core.recipient import AccountType

# Which of cardbin's bank codes a channel speaks: Alipay-style short code (Bank.code), WeChat's numeric list
# (Bank.wechat_code) or the 8-digit UnionPay institution code Huifu and others use (Bank.huifu_code).
BankCodeScheme = Literal["alipay", "wechat", "huifu"]
Fen = Annotated[int, msgspec.Meta(ge=0)]
Length = Annotated[int, msgspec.Meta(ge=1)]
# Fields a requirement may name; name and account_no are always required and need no entry.
RecipientField = Literal["bank_name", "bank_code", "branch_name", "province", "city", "cnaps_code", "id_no", "mobile"]


class Requirement(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """At least one group of `any_of` must be complete (every field non-empty) for the account types listed."""

    any_of: tuple[tuple[RecipientField, ...], ...]
    account_types: tuple[AccountType, ...] = ("personal", "corporate")


class AccountRules(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Account-number length range after normalisation (digits only)."""

    min_length: Length
    max_length: Length

    def __post_init__(self) -> None:
        if self.min_length > self.max_length:
            raise InvalidInput("min_length", str(self.min_length), f"exceeds max_length {self.max_length}")


# A profile that declares no not-found grace still must not leave "not found" pending forever: two days is the
# longest documented window (WeChat allows resending the same order number within 2 natural days).
DEFAULT_NOT_FOUND_GRACE_SECONDS = 2 * 86_400


class Outcomes(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How dispatch reads the channel's answers; any code not listed leaves the order in progress."""

    success_codes: frozenset[str] = frozenset()
    failure_codes: frozenset[str] = frozenset()
    pending_codes: frozenset[str] = frozenset()
    not_found_codes: frozenset[str] = frozenset()
    # The bank sent the money back after success (退汇: WeChat BANK_FAIL, Alipay REFUND): never a dispatch failure.
    return_codes: frozenset[str] = frozenset()
    # How long "order not found" on query stays plain Pending (Lianlian 8901: 30 min); after it the order is
    # resent (only where resend_safe) or goes to manual review, never to failed.
    not_found_grace_seconds: Annotated[int, msgspec.Meta(ge=0)] = DEFAULT_NOT_FOUND_GRACE_SECONDS
    # True only when the channel documents that resending the same order number is safe after a lost answer.
    resend_safe: bool = False

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for meaning in ("success_codes", "failure_codes", "pending_codes", "not_found_codes", "return_codes"):
            for code in getattr(self, meaning):
                if code in seen:
                    raise InvalidInput("outcomes", code, f"is listed under both {seen[code]} and {meaning}")
                seen[code] = meaning


class ChannelProfile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One channel's recipient rules, limits and bank codes. Amounts are integer fen."""

    name: str
    title: str
    account_types: Annotated[tuple[AccountType, ...], msgspec.Meta(min_length=1)]
    amount_min: Fen
    amount_max: Fen
    bank_code_scheme: BankCodeScheme
    daily_card_limit: Fen | None = None
    # Per-payout maximum for corporate payees when it differs from amount_max (Alipay: 50,000 vs 100,000 CNY).
    corporate_amount_max: Fen | None = None
    # cardbin bank codes the channel accepts; empty = every bank that has a code in the channel's scheme.
    banks: tuple[str, ...] = ()
    card_types: tuple[CardType, ...] = ("debit", "credit", "semi_credit", "prepaid")
    # Cards have 12–19 digits; corporate account lengths differ by bank, so their default range is generous.
    personal_account: AccountRules = msgspec.field(default_factory=lambda: AccountRules(min_length=12, max_length=19))
    corporate_account: AccountRules = msgspec.field(default_factory=lambda: AccountRules(min_length=8, max_length=32))
    personal_name: NameRules = msgspec.field(default_factory=NameRules)
    corporate_name: NameRules = msgspec.field(default_factory=NameRules)
    requires: tuple[Requirement, ...] = ()
    batch_max: Length | None = None
    requests_per_second: Length | None = None
    outcomes: Outcomes = msgspec.field(default_factory=Outcomes)
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.amount_min > min(self.amount_max, self.corporate_amount_max or self.amount_max):
            raise InvalidInput("amount_min", str(self.amount_min), "exceeds the maximum amount")
        unknown = [code for code in self.banks if default_directory().by_code(code) is None]
        if unknown:
            raise InvalidInput("banks", ", ".join(unknown), "not in cardbin's bank directory")

    def bank_code_for(self, bank: Bank) -> str | None:
        """The channel's own code for a bank, or None when the channel cannot pay it."""
        if self.banks and bank.code not in self.banks:
            return None
        if self.bank_code_scheme == "wechat":
            return bank.wechat_code
        if self.bank_code_scheme == "huifu":
            return bank.huifu_code
        return bank.code

    def supports_bank(self, bank_code: str | None) -> bool:
        """Whether the channel can pay a bank given by its cardbin code (CardInfo.bank_code, Bank.code)."""
        if not bank_code:
            return False
        bank = default_directory().by_code(bank_code)
        return bank is not None and self.bank_code_for(bank) is not None

    def name_rules(self, account_type: AccountType) -> NameRules:
        return self.corporate_name if account_type == "corporate" else self.personal_name

    def account_rules(self, account_type: AccountType) -> AccountRules:
        return self.corporate_account if account_type == "corporate" else self.personal_account

    def max_amount(self, account_type: AccountType) -> int:
        if account_type == "corporate" and self.corporate_amount_max is not None:
            return self.corporate_amount_max
        return self.amount_max
