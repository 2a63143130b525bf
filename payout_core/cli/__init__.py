"""`payout-core`: one module per command or command group (`validate.py`, `review.py`, …), each adding its
commands to the app of `app.py`. Every module of this package is imported here by name, so a new command group is
a new module and nothing else."""

from __future__ import annotations

import pkgutil
from importlib import import_module

from payout_core.cli.app import app

for _module in pkgutil.iter_modules(__path__):
    import_module(f"{__name__}.{_module.name}")

__all__ = ["app"]
