"""The payout recipient: what a merchant sends and a channel receives."""

from __future__ import annotations

from typing import Literal

import msgspec

from cardbin.pan import mask

AccountType = Literal["personal", "corporate"]  # 对私 / 对公


class Recipient(msgspec.Struct, frozen=True, kw_only=True):
    """A payee and the payout amount (integer fen). Optional fields may be filled by `prepare` from cardbin."""

    name: str
    account_no: str
    account_type: AccountType
    amount: int
    bank_name: str | None = None
    bank_code: str | None = None
    branch_name: str | None = None
    province: str | None = None
    city: str | None = None
    cnaps_code: str | None = None
    id_no: str | None = None
    mobile: str | None = None

    def __repr__(self) -> str:
        """The account number masked, so a recipient (or an order holding one) can never leak it into a log."""
        fields = ", ".join(
            f"{name}={(mask(value) if name == 'account_no' else value)!r}"
            for name in self.__struct_fields__
            if (value := getattr(self, name)) is not None
        )
        return f"Recipient({fields})"
