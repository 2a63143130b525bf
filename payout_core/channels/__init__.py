"""Channel profiles: one declarative TOML file per channel in `profiles/`, decoded into `ChannelProfile`."""

from payout_core.channels.answers import AnswerRules, SignatureRule
from payout_core.channels.loader import ProfileError, UnknownChannel, channel, channel_names, load_all, load_profile
from payout_core.channels.profile import AccountRules, BankCodeScheme, ChannelProfile, Outcomes, Requirement
from payout_core.channels.statement import LineStatus, StatementColumns, StatementLayout, StatusValues

__all__ = [
    "AccountRules",
    "AnswerRules",
    "BankCodeScheme",
    "ChannelProfile",
    "LineStatus",
    "Outcomes",
    "ProfileError",
    "Requirement",
    "SignatureRule",
    "StatementColumns",
    "StatementLayout",
    "StatusValues",
    "UnknownChannel",
    "channel",
    "channel_names",
    "load_all",
    "load_profile",
]
