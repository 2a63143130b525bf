"""Payee-name handling: channel policy (`NameRules`), normalisation and the checks a name must pass."""

from payout_core.names.rules import BracketPolicy, DotPolicy, LengthUnit, NameRules, Script, SpacePolicy

__all__ = ["BracketPolicy", "DotPolicy", "LengthUnit", "NameRules", "Script", "SpacePolicy"]
