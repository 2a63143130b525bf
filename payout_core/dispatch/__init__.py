"""Dispatch to channels: fail only on an explicit failure, keep every answer, query the rest, recover by querying."""

from payout_core.dispatch.adapter import ChannelAdapter, ChannelRequest, Payout, call, new_client
from payout_core.dispatch.answer import AnswerReader, ChannelAnswer, Expected, Signed
from payout_core.dispatch.dispatcher import Checkpoint, Dispatcher, OnError, no_checkpoint
from payout_core.dispatch.errors import (
    DispatchError,
    NoAdapter,
    NotInProgress,
    SignatureKeyUnusable,
    StaleAttempt,
    UnknownAttempt,
)
from payout_core.dispatch.evidence import Evidence, Exchange, masked_exchange, masked_outcome
from payout_core.dispatch.outcome import Failed, Outcome, Pending, Returned, Succeeded, classify
from payout_core.dispatch.policy import QueryPolicy
from payout_core.dispatch.records import Attempt, evidence_of, find_attempt
from payout_core.dispatch.recovery import RecoveryReport, recover
from payout_core.dispatch.signature import Verifier, load_verifier

__all__ = [
    "AnswerReader",
    "Attempt",
    "ChannelAdapter",
    "ChannelAnswer",
    "ChannelRequest",
    "Checkpoint",
    "DispatchError",
    "Dispatcher",
    "Evidence",
    "Exchange",
    "Expected",
    "Failed",
    "NoAdapter",
    "NotInProgress",
    "OnError",
    "Outcome",
    "Payout",
    "Pending",
    "QueryPolicy",
    "RecoveryReport",
    "Returned",
    "SignatureKeyUnusable",
    "Signed",
    "StaleAttempt",
    "Succeeded",
    "UnknownAttempt",
    "Verifier",
    "call",
    "classify",
    "evidence_of",
    "find_attempt",
    "load_verifier",
    "masked_exchange",
    "masked_outcome",
    "new_client",
    "no_checkpoint",
    "recover",
]
