"""Rewrite a payee name into the form a channel wants, without changing who it names.

Only presentation changes: dot look-alikes, widths, bracket forms, spaces, invisible characters. Anything that
would change the name itself (an unknown character, a script the channel refuses) is left for the checks to
report, so a person decides. Normalising twice gives the same result.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from payout_core.names.chars import (
    CLOSE_BRACKETS,
    DOT_FORMS,
    FULL_STOPS,
    INVISIBLE,
    MIDDLE_DOT,
    OPEN_BRACKETS,
    PLAIN_CJK,
    has_cjk,
    is_cjk,
)
from payout_core.names.rules import BracketPolicy, DotPolicy, NameRules

# Full-width ASCII (U+FF01–U+FF5E) → ASCII, ideographic space → space; brackets and the full stop are left to
# their own policies.
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in "（）．"}
_HALFWIDTH[0x3000] = 0x20
_WHITESPACE = re.compile(r"\s+")
_DOT_RUN = re.compile(MIDDLE_DOT + "{2,}")


@cache
def _dot_table(policy: DotPolicy, cjk: bool) -> dict[int, str | None]:
    if policy == "reject":
        return {}
    forms = DOT_FORMS | FULL_STOPS if cjk else DOT_FORMS
    target = MIDDLE_DOT if policy == "normalize" else None
    table: dict[int, str | None] = {ord(c): target for c in forms}
    if policy == "strip":
        table[ord(MIDDLE_DOT)] = None
    return table


@cache
def _bracket_table(policy: BracketPolicy) -> dict[int, str]:
    if policy == "fullwidth":
        return {ord("("): "（", ord(")"): "）"}
    if policy == "halfwidth":
        return {ord("（"): "(", ord("）"): ")"}
    return {}


def _is_glue(ch: str) -> bool:
    """A neighbour across which a space is never wanted: Chinese text, the middle dot, a bracket."""
    return is_cjk(ch) or ch == MIDDLE_DOT or ch in OPEN_BRACKETS or ch in CLOSE_BRACKETS


def _collapse_spaces(text: str) -> str:
    words = _WHITESPACE.split(text.strip())
    out = words[0]
    for word in words[1:]:
        if not (word and out) or _is_glue(out[-1]) or _is_glue(word[0]):
            out += word
        else:
            out += " " + word
    return out


def normalize_name(name: str, rules: NameRules) -> str:
    """The name as the channel wants it written (see the module docstring for what may change)."""
    if PLAIN_CJK.fullmatch(name):  # the common case: nothing to rewrite
        return name
    text = "".join(ch for ch in name if ch not in INVISIBLE)
    text = text.translate(_dot_table(rules.middle_dot, has_cjk(text)))
    if rules.halfwidth:
        text = text.translate(_HALFWIDTH)
    text = text.translate(_bracket_table(rules.brackets))
    # A space between Latin words is part of the name: it is kept even under "strip", for the checks to report.
    text = text.strip() if rules.spaces == "reject" else _collapse_spaces(text)
    if rules.middle_dot == "normalize":
        text = _DOT_RUN.sub(MIDDLE_DOT, text)
    # Last, so that a combining mark freed by a removed space composes now rather than on a second pass.
    return unicodedata.normalize("NFC", text)
