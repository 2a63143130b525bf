"""The payout recipient: what a merchant sends and a channel receives."""

from __future__ import annotations

from typing import Literal

import msgspec

from cardbin.pan import mask
from cardbin.redact import redact

AccountType = Literal["personal", "corporate"]  # 对私 / 对公
# Personal data beside the name: masked wherever a recipient is shown, encrypted at rest (issue 15).
PERSONAL_FIELDS = ("account_no", "id_no", "mobile")


class Recipient(msgspec.Struct, frozen=True, kw_only=True):
    """A payee and the payout amount (integer fen). Optional fields may be filled by `prepare` from cardbin.

    `id_no` (身份证) and `mobile` are what some channels verify against the card (Baofoo: 对私必填);
    `purpose` is the payout's stated use (Lianlian `info_order`, Baofoo `trans_summary`).
    """

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
    purpose: str | None = None

    def __repr__(self) -> str:
        """Personal numbers masked, so a recipient (or an order holding one) can never leak them into a log."""
        shown = [(name, getattr(self, name)) for name in self.__struct_fields__]
        fields = ", ".join(f"{name}={_shown(name, value)!r}" for name, value in shown if value is not None)
        return f"Recipient({fields})"

    def masked(self) -> Recipient:
        """A copy to show (a console, a JSON answer): card, ID and mobile numbers masked as `repr` masks them."""
        shown = {f: _shown(f, getattr(self, f)) for f in PERSONAL_FIELDS if getattr(self, f) is not None}
        return msgspec.structs.replace(self, **shown)


def _shown(field: str, value: object) -> object:
    if field not in PERSONAL_FIELDS or not isinstance(value, str):
        return value
    return mask(value) if field == "account_no" else redact(value)
