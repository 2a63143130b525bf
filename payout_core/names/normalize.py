"""Write a payee name the way bank systems store it, without changing who it names.

Only presentation changes: dot look-alikes become the U+00B7 of identity documents, full-width letters and digits
become ASCII, stray and doubled spaces go, invisible characters go. Brackets keep the width they were written in,
and nothing is removed from the name itself: a channel that wants another form gets a violation with a
suggestion, decided by a person. Normalising twice gives the same result.
"""

from __future__ import annotations

import re
import unicodedata

from payout_core.names.chars import (
    CLOSE_BRACKETS,
    DOT_FORMS,
    FULL_STOPS,
    INVISIBLE,
    MIDDLE_DOT,
    OPEN_BRACKETS,
    PLAIN_NAME,
    has_cjk,
    is_cjk,
)

# Full-width ASCII (U+FF01–U+FF5E) → ASCII, ideographic space → space; brackets and the full stop keep their form
# (the full stop is a dot look-alike inside a Chinese name, handled below).
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in "（）．"}
_HALFWIDTH[0x3000] = 0x20
_WHITESPACE = re.compile(r"\s+")
_DOT_RUN = re.compile(MIDDLE_DOT + "{2,}")
_DOTS = {ord(c): MIDDLE_DOT for c in DOT_FORMS}
# Full stops are dots only inside a Chinese name (买买提.艾力); in a Latin name they stay full stops (J. SMITH).
_DOTS_IN_CHINESE = _DOTS | {ord(c): MIDDLE_DOT for c in FULL_STOPS}


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


def normalize_name(name: str) -> str:
    """The name as bank systems store it (see the module docstring for what may change)."""
    if PLAIN_NAME.fullmatch(name):  # the common case: nothing to rewrite
        return name
    return _rewritten(name)


def _rewritten(name: str) -> str:
    text = "".join(ch for ch in name if ch not in INVISIBLE)
    text = text.translate(_DOTS_IN_CHINESE if has_cjk(text) else _DOTS).translate(_HALFWIDTH)
    text = _DOT_RUN.sub(MIDDLE_DOT, _collapse_spaces(text))
    # Last, so that a combining mark freed by a removed space composes now rather than on a second pass.
    return unicodedata.normalize("NFC", text)
