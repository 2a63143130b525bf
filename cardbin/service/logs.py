"""No card number in any log record the process emits, whichever ASGI server runs the app.

Servers log URLs (access lines, uvicorn's TRACE scope and message dumps) and exceptions quote input, so masking
cannot be left to the handlers a server happens to configure. `install()` wraps the process's LogRecord factory:
every record, from any logger, at any level, is passed through `cardbin.redact.redact` when it is created (only
records that pass the level check are created at all). Called by the app factory, so a plain
`uvicorn --factory cardbin.service.app:app_from_env` or `granian --factory` run is covered too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from cardbin.redact import redact

_PLAIN = (int, float, bool, type(None))
_lock = threading.Lock()


def _clean(value: object) -> object:
    """A formatting argument with card numbers masked; numbers stay numbers (`%d` must still format)."""
    if isinstance(value, _PLAIN):
        return value
    return redact(value if isinstance(value, str) else str(value))


def redact_record(record: logging.LogRecord) -> None:
    """Mask the message, each argument (keeping the tuple or mapping shape formatters rely on) and tracebacks.

    uvicorn's access formatter unpacks `record.args` as a 5-tuple, so arguments are masked in place rather than
    merged into the message.
    """
    record.msg = redact(record.msg if isinstance(record.msg, str) else str(record.msg))
    args = record.args
    if isinstance(args, tuple):
        record.args = tuple(_clean(a) for a in args)
    elif isinstance(args, Mapping):
        record.args = {k: _clean(v) for k, v in args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class _RedactingFactory:
    """The LogRecord factory in force when installed, followed by `redact_record`."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        redact_record(record)
        return record


def install() -> None:
    """Idempotent: the factory is wrapped once per process, however many apps are created."""
    with _lock:
        current = logging.getLogRecordFactory()
        if not isinstance(current, _RedactingFactory):
            logging.setLogRecordFactory(_RedactingFactory(current))
