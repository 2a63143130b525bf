"""身份证 and mobile numbers: normalised and checked (python-stdnum, phonenumbers), never echoed in a message.

Issue 17: `11010519491231002X`, a bad checksum, `abc` and `23800138000` all passed because nothing was checked.
`11010519491231002X` is the example number of GB 11643-1999 itself (Beijing 朝阳区, born 1949-12-31, check
character X): it is valid and must pass; the others must not.
"""

from __future__ import annotations

import pytest

from payout_core.channels.profile import LegacyIdPolicy
from payout_core.validation.normalize import normalize_id_no, normalize_mobile
from payout_core.validation.personal import id_no_problem, mobile_problem

GB_EXAMPLE = "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "legacy", "normalized", "problem"),
    [
        (GB_EXAMPLE, "refuse", GB_EXAMPLE, None),
        ("11010519491231002x", "refuse", GB_EXAMPLE, None),  # a lower-case check character
        ("110105 19491231 002X", "refuse", GB_EXAMPLE, None),  # spaced as printed on forms
        ("110105-19491231-002X", "refuse", GB_EXAMPLE, None),
        ("１１０１０５１９４９１２３１００２Ｘ", "refuse", GB_EXAMPLE, None),  # full-width, from a form
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "refuse", GB_EXAMPLE, None),  # Arabic-Indic digits: sent as ASCII
        ("110105\u200b19491231\u200f002X", "refuse", GB_EXAMPLE, None),  # zero-width and bidi marks pasted in
        ("110105194912310021", "refuse", "110105194912310021", "check character"),  # issue 17: bad checksum
        ("abc", "refuse", "abc", "18-character"),  # issue 17
        ("110105491231002", "upgrade", GB_EXAMPLE, None),  # the 15-digit form of the same person, upgraded
        ("110105491231002", "refuse", "110105491231002", "15-digit legacy"),
        ("110105194902300020", "refuse", "110105194902300020", "birth date"),  # 30 February
        ("110105209901010020", "refuse", "110105209901010020", "future"),  # born in 2099
        ("990426199101010079", "refuse", "990426199101010079", "region"),  # no region 990426
        # 成都 锦江区 (510104) dates from 1990; its people born earlier hold it: stdnum's birth-year check refused them
        ("510104198001011236", "refuse", "510104198001011236", None),
        ("440304198001011239", "refuse", "440304198001011239", None),  # 深圳 福田区
    ],
)
def test_id_numbers(raw: str, legacy: LegacyIdPolicy, normalized: str, problem: str | None) -> None:
    got = normalize_id_no(raw, legacy)
    assert got == normalized
    assert normalize_id_no(got, legacy) == got  # idempotent
    message = id_no_problem(got, legacy)
    if problem is None:
        assert message is None
    else:
        assert message is not None and problem in message
        assert got not in message and raw not in message  # the rule is named, never the value


@pytest.mark.parametrize(
    ("raw", "normalized", "problem"),
    [
        ("13800138000", "13800138000", None),
        ("+86 138 0013 8000", "13800138000", None),
        ("8613800138000", "13800138000", None),
        ("138-0013-8000", "13800138000", None),
        ("１３８００１３８０００", "13800138000", None),
        ("١٣٨٠٠١٣٨٠٠٠", "13800138000", None),
        ("138\u200b0013\u200b8000", "13800138000", None),
        ("23800138000", "23800138000", "not a valid mainland mobile"),  # issue 17: no 2xx mobile prefix
        ("01012345678", "01012345678", "not a valid mainland mobile"),  # a Beijing landline
        ("1380013800", "1380013800", "11-digit"),
        ("abc", "abc", "11-digit"),
        ("+1 415 555 0100", "+14155550100", "11-digit"),  # not a mainland number
    ],
)
def test_mobile_numbers(raw: str, normalized: str, problem: str | None) -> None:
    got = normalize_mobile(raw)
    assert got == normalized
    assert normalize_mobile(got) == got
    message = mobile_problem(got)
    if problem is None:
        assert message is None
    else:
        assert message is not None and problem in message
        assert got not in message
