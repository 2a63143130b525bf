"""Character classes of payee names: scripts, the many middle-dot look-alikes, brackets, invisible junk."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

MIDDLE_DOT = "\u00b7"  # · the form identity documents use between the parts of a minority or foreign name
# Look-alikes people type or paste for the middle dot: • ・ ･ · ‧ ∙ ⋅
DOT_FORMS = frozenset("\u2022\u30fb\uff65\u0387\u2027\u2219\u22c5")
# Full stops are dots only inside a Chinese name (买买提.艾力); in a Latin name they stay full stops (J. SMITH).
FULL_STOPS = frozenset(".\uff0e")
OPEN_BRACKETS = frozenset("(\uff08")
CLOSE_BRACKETS = frozenset(")\uff09")
# Zero-width characters and bidi marks arrive with copy-paste and are invisible to the person checking the name.
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Punctuation of registered Latin names: MARY-JANE O'NEIL (also with the typographic apostrophe), J. SMITH.
LATIN_PUNCTUATION = frozenset("-'.\u2019")

CharClass = Literal["cjk", "latin", "digit", "space", "dot", "bracket", "other"]

# CJK Unified Ideographs, Extension A, compatibility ideographs, Extensions B–H and 〇.
_CJK_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\U00030000-\U000323af"
_CJK = re.compile(f"[{_CJK_CLASS}]")
# Ideographs that normalisation leaves as they are: the compatibility ones (U+F900…) have NFC decompositions.
_PLAIN_CJK_RUN = "[\u3007\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef\U00030000-\U000323af]+"
# The common names, already as registered: such ideographs alone (张三), or parts of them joined by single middle
# dots (买买提·艾力). Normalisation leaves them as they are, and only their length and charset can be wrong.
PLAIN_NAME = re.compile(f"{_PLAIN_CJK_RUN}(?:{MIDDLE_DOT}{_PLAIN_CJK_RUN})*")


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or _CJK.match(ch) is not None


def is_latin(ch: str) -> bool:
    if ch.isascii():
        return ch.isalpha()
    return ch.isalpha() and "LATIN" in unicodedata.name(ch, "")


def classify(ch: str) -> CharClass:
    if is_cjk(ch):
        return "cjk"
    if is_latin(ch):
        return "latin"
    if ch.isspace():
        return "space"
    if "0" <= ch <= "9":
        return "digit"
    if ch == MIDDLE_DOT or ch in DOT_FORMS:
        return "dot"
    if ch in OPEN_BRACKETS or ch in CLOSE_BRACKETS:
        return "bracket"
    return "other"


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def gbk_bytes(text: str) -> int:
    """Length in the GBK bytes a bank core stores; GB 18030 counts characters outside GBK as 4 bytes."""
    return len(text.encode("gb18030", errors="replace"))


def outside_gbk(text: str) -> list[str]:
    """Characters a GBK system cannot store (rare 生僻字 of the CJK extensions, emoji …)."""
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        pass
    else:
        return []
    out = []
    for ch in text:
        try:
            ch.encode("gbk")
        except UnicodeEncodeError:
            out.append(ch)
    return out


def describe(ch: str) -> str:
    """A character as a person can find it: the glyph and its code point."""
    return f"{ch!r} (U+{ord(ch):04X})"
