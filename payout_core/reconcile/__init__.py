"""Reconciliation (对账): each channel account's daily statement read in its profile's layout, matched against our
orders, every difference opened as an item (payout_core.differences), and a summary with both balances."""

from payout_core.reconcile.errors import NoStatementLayout, ReconcileError, StatementConflict, StatementRefused
from payout_core.reconcile.reader import Statement, StatementLine, read_statement
from payout_core.reconcile.run import Reconciler, compare
from payout_core.reconcile.summary import DaySummary

__all__ = [
    "DaySummary",
    "NoStatementLayout",
    "ReconcileError",
    "Reconciler",
    "Statement",
    "StatementConflict",
    "StatementLine",
    "StatementRefused",
    "compare",
    "read_statement",
]
