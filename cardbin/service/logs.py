"""Logging for the server: uvicorn's access log quotes paths and query strings, so card numbers are masked."""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from cardbin.service.problems import scrub


class PanScrubber(logging.Filter):
    """Masks card-number-like digit runs in a record's message and string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging config with the scrubber on every handler, plus cardbin's own loggers."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"no_pan": {"()": "cardbin.service.logs.PanScrubber"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["no_pan"]
    config["loggers"]["cardbin"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
