"""Channel profiles: one declarative TOML file per channel in `profiles/`, decoded into `ChannelProfile`."""

from payout_core.channels.loader import ProfileError, UnknownChannel, channel, channel_names, load_all, load_profile
from payout_core.channels.profile import AccountRules, BankCodeScheme, ChannelProfile, Outcomes, Requirement

__all__ = [
    "AccountRules",
    "BankCodeScheme",
    "ChannelProfile",
    "Outcomes",
    "ProfileError",
    "Requirement",
    "UnknownChannel",
    "channel",
    "channel_names",
    "load_all",
    "load_profile",
]
