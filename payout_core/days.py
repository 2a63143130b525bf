"""Business days: payouts, limits and channel statements all count days in Beijing time (no DST), whatever the
server's zone. The one definition, imported by the limits and by statement layouts alike."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def business_day(instant: datetime) -> str:
    return instant.astimezone(CHINA).date().isoformat()
