"""Payee-name handling: channel policy (`NameRules`), normalisation and the checks a name must pass."""

from payout_core.names.rules import LengthUnit, NameRules

__all__ = ["LengthUnit", "NameRules"]
