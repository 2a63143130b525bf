"""Structured logs: one JSON object per line on stderr, every text passed through `cardbin.redact.redact`.

A record's `extra={"fields": {...}}` become keys of its line (order ids, counts, outcomes); text values are masked
like the message, so a card, 身份证 or mobile number never reaches a log in any spelling.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import msgspec

from cardbin.redact import redact


def _masked(value: object) -> object:
    if isinstance(value, bool | int | float) or value is None:
        return value
    return redact(value if isinstance(value, str) else str(value))


class JsonLines(logging.Formatter):
    """`{"at", "level", "logger", "msg", ...fields, "error"}`: what log shippers parse without a pattern."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            doc.update({str(k): _masked(v) for k, v in fields.items()})
        if record.exc_info:
            doc["error"] = redact(self.formatException(record.exc_info))
        return msgspec.json.encode(doc).decode()


def log_to_stderr(level: str = "INFO") -> None:
    """The process's root logger writes JSON lines to stderr at `level`, and nothing else."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
