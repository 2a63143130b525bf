"""Manual review of orders dispatch could not decide: list them with their evidence, resolve them, audited."""

from payout_core.review.desk import ReviewDesk, UncertainOrder
from payout_core.review.errors import NotUnderReview, ReviewError
from payout_core.review.items import Resolution, ReviewItem, ReviewLogEntry

__all__ = [
    "NotUnderReview",
    "Resolution",
    "ReviewDesk",
    "ReviewError",
    "ReviewItem",
    "ReviewLogEntry",
    "UncertainOrder",
]
