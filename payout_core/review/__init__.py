"""Manual review of orders dispatch could not decide: list them with their evidence, resolve them, audited."""

from payout_core.dispatch.reviews import Resolution, ReviewItem, ReviewLogEntry
from payout_core.review.desk import ReviewDesk, UncertainOrder
from payout_core.review.errors import NotUnderReview, ReviewError

__all__ = [
    "NotUnderReview",
    "Resolution",
    "ReviewDesk",
    "ReviewError",
    "ReviewItem",
    "ReviewLogEntry",
    "UncertainOrder",
]
