"""Dispatch to channels: fail only on an explicit failure, keep every answer, query the rest, recover by querying."""

from payout_core.dispatch.adapter import ChannelAdapter, ChannelRequest, Payout, call, new_client
from payout_core.dispatch.dispatcher import Checkpoint, Dispatcher, no_checkpoint
from payout_core.dispatch.errors import DispatchError, NoAdapter, NotInProgress, StaleAttempt, UnknownAttempt
from payout_core.dispatch.evidence import Evidence, Exchange, mask_account, masked_exchange
from payout_core.dispatch.outcome import Failed, Outcome, Pending, Returned, Succeeded, classify
from payout_core.dispatch.policy import QueryPolicy
from payout_core.dispatch.records import Attempt, evidence_of, find_attempt
from payout_core.dispatch.recovery import RecoveryReport, recover

__all__ = [
    "Attempt",
    "ChannelAdapter",
    "ChannelRequest",
    "Checkpoint",
    "DispatchError",
    "Dispatcher",
    "Evidence",
    "Exchange",
    "Failed",
    "NoAdapter",
    "NotInProgress",
    "Outcome",
    "Payout",
    "Pending",
    "QueryPolicy",
    "RecoveryReport",
    "Returned",
    "StaleAttempt",
    "Succeeded",
    "UnknownAttempt",
    "call",
    "classify",
    "evidence_of",
    "find_attempt",
    "mask_account",
    "masked_exchange",
    "new_client",
    "no_checkpoint",
    "recover",
]
