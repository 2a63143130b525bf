"""The `cardbin` command: each command group lives in its own module and registers itself on `app`."""

from cardbin.cli import lookup as _lookup  # noqa: F401  (registers `lookup`, `branches`, `enrich`)
from cardbin.cli import release as _release  # noqa: F401  (registers `cardbin release …`)
from cardbin.cli import serve as _serve  # noqa: F401  (registers `cardbin serve`)
from cardbin.cli.app import app

__all__ = ["app"]
