"""Returns entered by operators (a bank statement, a channel notice) and read by anyone."""

from __future__ import annotations

from payout_core.orders import PayoutEngine
from payout_core.returns.adjustments import PayoutReturn, all_returns, record_return, return_of
from payout_core.store import Clock, utcnow


class Returns:
    def __init__(self, engine: PayoutEngine, *, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def record(self, order_id: int, *, reason: str, operator: str, code: str | None = None) -> PayoutReturn:
        """An operator's 退汇 entry: idempotent per order, the original order unchanged."""
        with self._engine.store.transaction() as tx:
            order = self._engine.get(order_id, tx=tx)
            return record_return(
                tx, order, source="operator", reason=reason, recorded_by=operator, code=code, at=self._clock()
            )

    def of(self, order_id: int) -> PayoutReturn | None:
        with self._engine.store.transaction(write=False) as tx:
            return return_of(tx, order_id)

    def all(self) -> list[PayoutReturn]:
        with self._engine.store.transaction(write=False) as tx:
            return all_returns(tx)
