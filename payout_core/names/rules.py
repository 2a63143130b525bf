"""How one channel wants a payee name: the policy half of name handling, kept as plain data.

No rule here rewrites a name into another one: a name is checked as the account holder registered it, and only
its presentation is normalised (dot look-alikes, widths, stray spaces, invisible characters).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from payout_core.errors import InvalidInput

# What the channel counts for max_length: characters, or the GBK bytes a bank core stores (2 per Chinese character).
LengthUnit = Literal["chars", "gbk_bytes"]


class NameRules(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Name rules for one account type of one channel.

    Always accepted: Chinese and Latin letters, the middle dot between two parts of a name, paired brackets in
    either width, and in Latin names spaces, `-`, `'` and `.` (MARY-JANE O'NEIL, J. SMITH). `digits` and
    `extra_chars` add what company names carry (3M中国有限公司, P&G). `min_length` counts characters, whatever
    the unit of `max_length`, so a one-character name never passes as "2 GBK bytes".
    """

    digits: bool = False
    extra_chars: str = ""
    min_length: Annotated[int, msgspec.Meta(ge=1)] = 2
    max_length: Annotated[int, msgspec.Meta(ge=1)]
    length_unit: LengthUnit = "chars"

    def __post_init__(self) -> None:
        if self.min_length > self.max_length:
            raise InvalidInput("min_length", str(self.min_length), f"exceeds max_length {self.max_length}")
