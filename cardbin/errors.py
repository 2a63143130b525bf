"""Typed errors of cardbin.

Every message names the field, the offending value (masked when it may be a card number) and the rule
broken, so a caller can show it to a user without leaking a PAN.
"""

from __future__ import annotations


class CardbinError(Exception):
    """Base of every error cardbin raises on purpose."""


class InvalidInput(CardbinError, ValueError):
    """A value given by a caller breaks a rule; nothing was changed."""

    def __init__(self, field: str, value: str, rule: str) -> None:
        self.field = field
        self.value = value  # already masked by the raiser when it may be a PAN
        self.rule = rule
        super().__init__(f"{field}={value!r}: {rule}")


class InvalidCardNumber(InvalidInput):
    """A card number (or BIN prefix) that cannot be normalised to the digits cardbin accepts."""


class InvalidCnapsCode(InvalidInput):
    """A 联行号 that is not 12 digits or fails its ISO 7064 MOD 11,10 check digit."""


class NotFound(CardbinError, LookupError):
    """The active release has no record for the key."""

    def __init__(self, field: str, value: str, what: str) -> None:
        self.field = field
        self.value = value
        self.what = what
        super().__init__(f"{field}={value!r}: {what}")


class UnknownBin(NotFound):
    """No BIN of the active release is a prefix of the card number."""


class UnknownBranch(NotFound):
    """No branch of the active release has this 联行号."""


class ReleaseError(CardbinError):
    """A release operation (load, activate, rollback, diff) could not be carried out."""


class ReleaseNotFound(ReleaseError, LookupError):
    """The named release month is not in the database."""


class LoadRefused(ReleaseError):
    """A monthly load found fatal problems; nothing was stored."""

    def __init__(self, message: str, report: object) -> None:
        self.report = report
        super().__init__(message)


class BatchTooLarge(InvalidInput):
    """A batch holds more items than one request may carry; split it."""


class ServiceError(CardbinError):
    """The lookup service could not answer (transport failure, 5xx, unexpected body); the lookup may be retried."""

    def __init__(self, message: str, status: int | None = None, problem_type: str | None = None) -> None:
        self.status = status
        self.problem_type = problem_type
        super().__init__(message)


class AccessDenied(ServiceError):
    """The service refused the caller (401 missing/unknown API key, 403 address not allowed)."""


class UnreadableSource(ReleaseError):
    """An input file cannot be read as any accepted layout or encoding; nothing was stored.

    `row` (1-based line or sheet row) is given when the fault sits at one place in the file; `rule` names the
    kind of fault (`unreadable_file`, `encoding`, `mixed_encoding`, `binary_file`, `empty_file`).
    """

    def __init__(self, path: str, reason: str, *, row: int | None = None, rule: str = "unreadable_file") -> None:
        self.path = path
        self.reason = reason
        self.row = row
        self.rule = rule
        super().__init__(f"{path}: {reason}")


class StoreUnavailable(ReleaseError):
    """The release store is missing, unreadable, read-only, corrupt or not a cardbin store; nothing was changed."""


class StoreBusy(ReleaseError):
    """The DuckDB file stayed locked by another process for longer than the bounded retry."""


class BundleUnavailable(ReleaseError):
    """A published release bundle, its catalog or its pointer cannot be read (missing, unreachable); nothing changed."""


class BundleBroken(BundleUnavailable):
    """A bundle was read but is not what its manifest (or the pointer) says: a wrong checksum, size or row count."""
