"""How one channel wants a payee name written: the policy half of name handling, kept as plain data."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from payout_core.errors import InvalidInput

Script = Literal["cjk", "latin"]
# normalise every dot form to U+00B7 · | drop them | refuse the name (some banks reject ·)
DotPolicy = Literal["normalize", "strip", "reject"]
# no spaces (those around Chinese text are dropped, others refused) | single spaces between Latin words | refuse all
SpacePolicy = Literal["strip", "collapse", "reject"]
# write brackets full-width （） | half-width () | refuse them
BracketPolicy = Literal["fullwidth", "halfwidth", "reject"]
LengthUnit = Literal["chars", "gbk_bytes"]


class NameRules(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Name rules for one account type of one channel; the defaults are the conservative choice."""

    scripts: Annotated[tuple[Script, ...], msgspec.Meta(min_length=1)] = ("cjk",)
    middle_dot: DotPolicy = "reject"
    spaces: SpacePolicy = "strip"
    brackets: BracketPolicy = "reject"
    digits: bool = False
    # Full-width Latin letters and digits (ＡＢＣ１２３) become ASCII; banks' GBK systems store them as 2 bytes.
    halfwidth: bool = True
    extra_chars: str = ""
    min_length: Annotated[int, msgspec.Meta(ge=1)] = 2
    max_length: Annotated[int, msgspec.Meta(ge=1)] = 30
    length_unit: LengthUnit = "chars"

    def __post_init__(self) -> None:
        if self.min_length > self.max_length:
            raise InvalidInput("min_length", str(self.min_length), f"exceeds max_length {self.max_length}")
