"""Card-number normalisation, Luhn and masking: pure functions on strings.

Card numbers arrive typed by people: with spaces, dashes, full-width digits (１２３) and ideographic
spaces. They are normalised before anything else; whatever still is not a digit is an error. Error
messages only ever carry the masked form.
"""

from __future__ import annotations

from cardbin.errors import InvalidCardNumber

PAN_MIN_LENGTH = 12
PAN_MAX_LENGTH = 19
PREFIX_MIN_LENGTH = 6
PREFIX_MAX_LENGTH = 10

# Full-width digits U+FF10..U+FF19 → ASCII; separators people type between digit groups are dropped.
_TRANSLATE: dict[int, int | None] = {0xFF10 + i: ord("0") + i for i in range(10)}
_TRANSLATE.update({ord(c): None for c in " -\t\u3000\u00a0\uff0d\u2010\u2011\u2012\u2013\u2014"})


# Luhn doubles every second digit from the right and adds its digits (5 → 10 → 1, 9 → 18 → 9). Modulo 10 that is
# the sum of all digits plus, for each doubled one, what doubling adds: this table's value for it.
_LUHN_EXTRA = bytes.maketrans(b"0123456789", bytes((2 * d - 9 * (d >= 5) - d) % 10 for d in range(10)))


def mask(card_number: str) -> str:
    """First 6 and last 4 characters kept, the rest as '*'; 10 characters or fewer (a BIN prefix) stay as they are.

    Works on anything (malformed input included), so it is safe to call before validation.
    """
    return mask_digits(fold(card_number))


def mask_digits(digits: str) -> str:
    """`mask` of a string already folded (a normalised card number): the lookup hot path skips the folding."""
    n = len(digits)
    return f"{digits[:6]}{'*' * (n - 10)}{digits[-4:]}" if n > PREFIX_MAX_LENGTH else digits


def fold(raw: str) -> str:
    """Full-width digits to ASCII, the separators people type between digit groups dropped; nothing else changes.

    Shared by card numbers and payout account numbers (which may run past 19 digits), so both read typing alike.
    """
    if raw.isdigit() and raw.isascii():  # the common case, on the lookup hot path
        return raw
    return "".join(raw.translate(_TRANSLATE).split())  # split() also drops every other Unicode space


def _clean(raw: str, field: str) -> str:
    if not isinstance(raw, str):
        raise InvalidCardNumber(field, type(raw).__name__, "must be a string of digits")
    s = fold(raw)
    if not s:
        raise InvalidCardNumber(field, "", "is empty")
    if not s.isascii() or not s.isdigit():
        bad = next(c for c in s if not ("0" <= c <= "9"))
        raise InvalidCardNumber(field, mask(s), f"contains {bad!r} (U+{ord(bad):04X}); only digits are allowed")
    return s


def normalize_pan(raw: str, field: str = "card_number") -> str:
    """Digits of a full card number (12–19 after normalisation), or InvalidCardNumber."""
    if isinstance(raw, str) and raw.isdigit() and raw.isascii() and PAN_MIN_LENGTH <= len(raw) <= PAN_MAX_LENGTH:
        return raw  # the common case, on the lookup hot path
    s = _clean(raw, field)
    if not PAN_MIN_LENGTH <= len(s) <= PAN_MAX_LENGTH:
        raise InvalidCardNumber(
            field, mask(s), f"has {len(s)} digits; a card number has {PAN_MIN_LENGTH}–{PAN_MAX_LENGTH}"
        )
    return s


def normalize_prefix(raw: str, field: str = "prefix") -> str:
    """Digits of a bare BIN / card prefix (6–10 digits), or InvalidCardNumber."""
    s = _clean(raw, field)
    if not PREFIX_MIN_LENGTH <= len(s) <= PREFIX_MAX_LENGTH:
        raise InvalidCardNumber(
            field, mask(s), f"has {len(s)} digits; a BIN prefix has {PREFIX_MIN_LENGTH}–{PREFIX_MAX_LENGTH}"
        )
    return s


def luhn_valid(digits: str) -> bool:
    """ISO/IEC 7812 check over an all-digit string; reported as a flag, never used to reject.

    Whole-bytes sums and a translate table keep it off a per-digit Python loop: it is on the lookup hot path.
    """
    b = digits.encode()
    return (sum(b) - 48 * len(b) + sum(b[-2::-2].translate(_LUHN_EXTRA))) % 10 == 0
