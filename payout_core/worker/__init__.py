"""The worker: one long-running process that routes, dispatches, queries and sweeps (`payout-core worker`).

Several may run at once, on several machines, against one store: work is claimed with leases in the database
(payout_core/store/lease.py), every move stays conditional, and the Dispatcher is the one code path that sends.
"""

from payout_core.worker.factory import build_dispatcher, load_factory
from payout_core.worker.logs import JsonLines, log_to_stderr
from payout_core.worker.loop import Worker
from payout_core.worker.metrics import serve_metrics

__all__ = ["JsonLines", "Worker", "build_dispatcher", "load_factory", "log_to_stderr", "serve_metrics"]
