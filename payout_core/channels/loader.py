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


def load_profile(path: Path) -> ChannelProfile:
    """Decode and check one profile file; its `name` must match the file name so lookups cannot drift."""
    try:
        profile = msgspec.toml.decode(path.read_bytes(), type=ChannelProfile)
    except msgspec.ValidationError as e:
        m = _AT.match(str(e))
        key, reason = (m["key"].lstrip("."), m["reason"]) if m else ("", str(e))
        raise ProfileError(path, key, reason) from e
    except msgspec.DecodeError as e:
        raise ProfileError(path, "", f"not valid TOML: {e}") from e
    if profile.name != path.stem:
        raise ProfileError(path, "name", f"is {profile.name!r} but the file is named {path.stem!r}")
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
