"""退汇: a return after success is a separate adjustment order crediting the merchant; the original never changes."""

from payout_core.returns.adjustments import PayoutReturn, ReturnSource, record_return
from payout_core.returns.errors import NotSucceeded, ReturnError
from payout_core.returns.service import Returns

__all__ = ["NotSucceeded", "PayoutReturn", "ReturnError", "ReturnSource", "Returns", "record_return"]
