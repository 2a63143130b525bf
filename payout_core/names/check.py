"""The checks a (normalised) payee name must pass for a channel: each broken rule is one `NameProblem`."""

from __future__ import annotations

from typing import Literal

import msgspec

from payout_core.names.chars import (
    LATIN_PUNCTUATION,
    MIDDLE_DOT,
    OPEN_BRACKETS,
    PLAIN_NAME,
    classify,
    describe,
    gbk_bytes,
    outside_gbk,
)
from payout_core.names.rules import NameRules

NameProblemCode = Literal["required", "character", "middle_dot", "bracket", "too_short", "too_long", "charset"]
_SHOWN = 5  # offending characters listed in a message


class NameProblem(msgspec.Struct, frozen=True):
    code: NameProblemCode
    message: str


def _listed(chars: list[str]) -> str:
    unique = list(dict.fromkeys(chars))
    more = f" and {len(unique) - _SHOWN} more" if len(unique) > _SHOWN else ""
    return ", ".join(describe(c) for c in unique[:_SHOWN]) + more


def _dot_problem(name: str, dots: list[int]) -> NameProblem | None:
    if any(i == 0 or i == len(name) - 1 or name[i + 1] == MIDDLE_DOT for i in dots):
        return NameProblem("middle_dot", "a middle dot must stand between two parts of the name")
    return None


def _bracket_problem(name: str, brackets: list[int]) -> NameProblem | None:
    depth = 0
    for i in brackets:
        depth += 1 if name[i] in OPEN_BRACKETS else -1
        if depth < 0 or depth > 1:
            break
    if depth != 0:
        return NameProblem("bracket", "brackets must come in single, unnested pairs")
    return None


def _length_problem(name: str, rules: NameRules) -> NameProblem | None:
    if len(name) < rules.min_length:
        return NameProblem("too_short", f"has {len(name)} character(s); at least {rules.min_length} are needed")
    if rules.length_unit == "gbk_bytes":
        size, unit = gbk_bytes(name), "GBK bytes"
    else:
        size, unit = len(name), "characters"
    if size > rules.max_length:
        return NameProblem("too_long", f"has {size} {unit}; at most {rules.max_length} are allowed")
    return None


def name_problems(name: str, rules: NameRules) -> list[NameProblem]:
    """Every rule the name breaks; an empty list when the channel can take it as written."""
    if PLAIN_NAME.fullmatch(name):  # the common case (never empty): no character, dot or bracket rule can apply
        length = _length_problem(name, rules)
        charset = _charset_problems(name.replace(MIDDLE_DOT, ""), rules)  # the letters, as below
        return charset if length is None else [length, *charset]
    if not name.strip():
        return [NameProblem("required", "is empty")]
    return _problems_by_class(name, rules)


def _problems_by_class(name: str, rules: NameRules) -> list[NameProblem]:
    by_class: dict[str, list[int]] = {}
    for i, ch in enumerate(name):
        by_class.setdefault(classify(ch), []).append(i)
    latin = "latin" in by_class
    other = [
        ch
        for ch in (name[i] for i in by_class.get("other", []))
        if ch not in rules.extra_chars and not (latin and ch in LATIN_PUNCTUATION)
    ]
    if not rules.digits:
        other += [name[i] for i in by_class.get("digit", [])]
    problems: list[NameProblem] = []
    if other:
        problems.append(NameProblem("character", f"contains {_listed(other)}, not allowed in a name"))
    optional = (
        _dot_problem(name, by_class["dot"]) if "dot" in by_class else None,
        _bracket_problem(name, by_class["bracket"]) if "bracket" in by_class else None,
        _length_problem(name, rules),
    )
    problems.extend(p for p in optional if p is not None)
    letters = [name[i] for cls in ("cjk", "latin") for i in by_class.get(cls, [])]
    return problems + _charset_problems("".join(letters), rules)  # other characters are reported already


def _charset_problems(letters: str, rules: NameRules) -> list[NameProblem]:
    missing = outside_gbk(letters) if rules.length_unit == "gbk_bytes" else []
    if missing:
        return [NameProblem("charset", f"contains {_listed(missing)}, which GBK bank systems cannot store")]
    return []
