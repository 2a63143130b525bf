"""Load channel profiles from TOML and refuse a broken one with the file, the key and the reason."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import msgspec

from payout_core.channels.profile import ChannelProfile
from payout_core.errors import PayoutError

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"

_AT = re.compile(r"^(?P<reason>.*) - at `\$(?P<key>[^`]*)`$", re.DOTALL)


class ProfileError(PayoutError, ValueError):
    """A profile file that cannot be used; nothing was loaded from it."""

    def __init__(self, file: Path, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        super().__init__(f"{file}: {key or '(document)'}: {reason}")


class UnknownChannel(PayoutError, LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(f"channel={name!r}: no such profile; known channels: {', '.join(known)}")


# Keys that are not rules; a table listed in _WHOLE_TABLES is one rule (a code list), others are one per key.
_NOT_RULES = frozenset({"name", "title", "sources", "requires"})
_WHOLE_TABLES = frozenset({"bank_codes", "outcomes", "answers", "statement"})


def _rule_keys(raw: dict[str, object]) -> list[str]:
    """The rules a profile file sets: top-level keys, and `table.key` for each key of a rule table."""
    keys = []
    for key, value in raw.items():
        if key in _NOT_RULES:
            continue
        if isinstance(value, dict) and key not in _WHOLE_TABLES:
            keys += [f"{key}.{sub}" for sub in value]
        else:
            keys.append(key)
    return keys


def _check_sources(path: Path, raw: dict[str, object], profile: ChannelProfile) -> None:
    """Every rule set in the file has a source or an assumption (per key or for its whole table), none stale."""
    covered = set(profile.sources)
    keys = _rule_keys(raw)
    missing = [k for k in keys if k not in covered and k.split(".", 1)[0] not in covered]
    if missing:
        raise ProfileError(path, missing[0], "sets a rule with no entry in [sources] (a source, or 'assumption: why')")
    stale = sorted(covered - {k for key in keys for k in (key, key.split(".", 1)[0])})
    if stale:
        raise ProfileError(path, f"sources.{stale[0]}", "names no rule this file sets")
    empty = [k for k, v in profile.sources.items() if not v.strip()]
    if empty:
        raise ProfileError(path, f"sources.{empty[0]}", "is empty")


def load_profile(path: Path) -> ChannelProfile:
    """Decode and check one profile file; its `name` must match the file name so lookups cannot drift."""
    try:
        raw = msgspec.toml.decode(path.read_bytes())
        profile = msgspec.convert(raw, ChannelProfile)
    except msgspec.ValidationError as e:
        m = _AT.match(str(e))
        key, reason = (m["key"].lstrip("."), m["reason"]) if m else ("", str(e))
        raise ProfileError(path, key, reason) from e
    except msgspec.DecodeError as e:
        raise ProfileError(path, "", f"not valid TOML: {e}") from e
    if profile.name != path.stem:
        raise ProfileError(path, "name", f"is {profile.name!r} but the file is named {path.stem!r}")
    _check_sources(path, raw, profile)
    return profile


def channel_names(directory: Path = PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.toml"))


_loaded: dict[str, ChannelProfile] = {}
_loading = threading.Lock()


def channel(name: str) -> ChannelProfile:
    """The shipped profile of a channel, loaded once per process.

    Loading is serialised: worker threads routing their first payouts at once must not decode the same profile
    concurrently (msgspec building a Struct's type information in two threads at once crashed a process).
    """
    profile = _loaded.get(name)
    if profile is None:
        with _loading:
            profile = _loaded.get(name)
            if profile is None:
                if name not in channel_names():
                    raise UnknownChannel(name, channel_names())
                profile = _loaded[name] = load_profile(PROFILES_DIR / f"{name}.toml")
    return profile


def load_all(directory: Path = PROFILES_DIR) -> dict[str, ChannelProfile]:
    """Every profile of a directory, so a service can refuse to start on any broken file."""
    return {name: load_profile(directory / f"{name}.toml") for name in channel_names(directory)}
