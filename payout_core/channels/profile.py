"""The channel profile: everything payout_core must know about one channel, decoded from its TOML file.

Profiles are data so that a channel fact can be corrected without touching code; the Structs forbid unknown
keys so a typo in a file is refused at load instead of silently ignored. Every rule a file sets names where it
comes from in `sources` (or says it is an assumption); the loader refuses a rule without one.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from cardbin.banks import default_directory
from cardbin.model import Bank, CardType
from payout_core.channels.answers import AnswerRules
from payout_core.channels.statement import StatementLayout
from payout_core.errors import InvalidInput
from payout_core.names.rules import NameRules
from payout_core.recipient import AccountType

# Which code a channel wants for a bank: cardbin's own short code (ICBC), the 4-digit UnionPay institution code
# (0102), the 8-digit form of it (01020000), or the channel's own list in `bank_codes` (WeChat's 1002 …).
BankCodeScheme = Literal["cardbin", "unionpay4", "unionpay8", "table"]
Fen = Annotated[int, msgspec.Meta(ge=0)]
Length = Annotated[int, msgspec.Meta(ge=1)]
# Fields a requirement may name; name and account_no are always required and need no entry.
RecipientField = Literal[
    "bank_name", "bank_code", "branch_name", "province", "city", "cnaps_code", "id_no", "mobile", "purpose"
]
# What a channel does with a 15-digit 身份证 number issued before 1999: upgrade it to the 18-digit form
# (GB 11643-1999: century 19 inserted, check character appended) or refuse it, so a person supplies the new one.
LegacyIdPolicy = Literal["upgrade", "refuse"]
# Personal fields a channel may receive without requiring them: checked whenever given.
CarriedField = Literal["id_no", "mobile"]
# Where a source string starts like this, the rule is our assumption, not a documented fact.
ASSUMPTION = "assumption"


class Requirement(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """At least one group of `any_of` must be complete (every field non-empty) for the account types listed."""

    # Neither the list nor a group may be empty: no group could be met, or an empty one would always be.
    any_of: Annotated[
        tuple[Annotated[tuple[RecipientField, ...], msgspec.Meta(min_length=1)], ...], msgspec.Meta(min_length=1)
    ]
    account_types: tuple[AccountType, ...] = ("personal", "corporate")
    source: Annotated[str, msgspec.Meta(min_length=1)]

    def label(self) -> str:
        """The rule in a few words: `requires province+city+branch_name or cnaps_code (corporate)`."""
        fields = " or ".join("+".join(group) for group in self.any_of)
        whom = "" if len(self.account_types) == 2 else f" ({', '.join(self.account_types)})"
        return f"requires {fields}{whom}"


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
    # None: no per-payout maximum is documented (the contract's limit applies, and the channel refuses above it).
    amount_max: Fen | None = None
    # The same card, per merchant and day; enforced at routing (payout_core.limits.channel).
    daily_card_limit: Fen | None = None
    # Everything the merchant pays out through the channel in a day (WeChat: 100,000 CNY), summed per channel
    # account and business day; enforced at routing (payout_core.limits.channel).
    daily_limit: Fen | None = None
    bank_code_scheme: BankCodeScheme
    # cardbin bank code → the channel's code, for the "table" scheme; a bank not listed cannot be paid.
    bank_codes: dict[str, str] = msgspec.field(default_factory=dict)
    card_types: tuple[CardType, ...] = ("debit", "credit", "semi_credit", "prepaid")
    # Rules per account type; required for each type in account_types, absent for a type the channel cannot pay.
    personal_account: AccountRules | None = None
    corporate_account: AccountRules | None = None
    personal_name: NameRules | None = None
    corporate_name: NameRules | None = None
    requires: tuple[Requirement, ...] = ()
    carries: tuple[CarriedField, ...] = ()
    # How a 15-digit 身份证 number is treated where the channel takes ID numbers (see LegacyIdPolicy).
    legacy_id: LegacyIdPolicy = "refuse"
    batch_max: Length | None = None
    requests_per_second: Length | None = None
    outcomes: Outcomes = msgspec.field(default_factory=Outcomes)
    # Which answers count at all (HTTP statuses, signature): checked before `outcomes` reads a code.
    answers: AnswerRules = msgspec.field(default_factory=AnswerRules)
    # How the channel's daily statement (对账单) reads; None: it cannot be reconciled yet.
    statement: StatementLayout | None = None
    # Rule key (`amount_max`, or `personal_name.max_length` for one key of a table) → document, SDK file and
    # section, or "assumption: why". The loader checks that every rule the file sets has one.
    sources: dict[str, str] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.amount_max is not None and self.amount_min > self.amount_max:
            raise InvalidInput("amount_min", str(self.amount_min), f"exceeds amount_max {self.amount_max}")
        for kind in self.account_types:
            if self.account_rules(kind) is None or self.name_rules(kind) is None:
                raise InvalidInput("account_types", kind, f"{kind}_account and {kind}_name are required for it")
        if (self.bank_code_scheme == "table") != bool(self.bank_codes):
            raise InvalidInput(
                "bank_codes", str(len(self.bank_codes)), 'must be given exactly when bank_code_scheme is "table"'
            )
        directory = default_directory()
        unknown = [code for code in self.bank_codes if directory.by_code(code) is None]
        if unknown:
            raise InvalidInput("bank_codes", ", ".join(unknown), "not in cardbin's bank directory")
        # Keys are the directory's canonical codes: an alias would never match the bank a lookup answers.
        aliases = {key: bank.code for key in self.bank_codes if (bank := directory.by_code(key)) and bank.code != key}
        if aliases:
            wanted = ", ".join(f"{key} → {code}" for key, code in aliases.items())
            raise InvalidInput("bank_codes", wanted, "must use cardbin's canonical codes")

    def bank_code_for(self, bank: Bank) -> str | None:
        """The channel's own code for a bank, or None when the channel cannot pay it."""
        if self.bank_code_scheme == "table":
            return self.bank_codes.get(bank.code)
        if self.bank_code_scheme == "cardbin":
            return bank.code
        prefix = bank.unionpay_prefixes[0] if bank.unionpay_prefixes else None
        if prefix is None:
            return None
        return prefix if self.bank_code_scheme == "unionpay4" else bank.huifu_code

    def supports_bank(self, bank_code: str | None) -> bool:
        """Whether the channel can pay a bank given by its cardbin code (CardInfo.bank_code, Bank.code)."""
        if not bank_code:
            return False
        bank = default_directory().by_code(bank_code)
        return bank is not None and self.bank_code_for(bank) is not None

    def name_rules(self, account_type: AccountType) -> NameRules | None:
        return self.corporate_name if account_type == "corporate" else self.personal_name

    def account_rules(self, account_type: AccountType) -> AccountRules | None:
        return self.corporate_account if account_type == "corporate" else self.personal_account

    def checks(self, field: CarriedField, account_type: AccountType) -> bool:
        """Whether the channel receives this personal field for the account type (so a given value is checked)."""
        if field in self.carries:
            return True
        for req in self.requires:  # loops, not any(): this runs for every recipient that gives the field
            if account_type in req.account_types:
                for group in req.any_of:
                    if field in group:
                        return True
        return False

    def provenance(self) -> list[tuple[str, str]]:
        """Every rule of the profile (its key, or a requirement's label) with its source or assumption."""
        return [*self.sources.items(), *((r.label(), r.source) for r in self.requires)]
