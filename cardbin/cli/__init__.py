"""The `cardbin` command: each command group lives in its own module and registers itself on `app`."""

from cardbin.cli.app import app

__all__ = ["app"]
