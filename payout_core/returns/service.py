"""Returns entered by operators (a bank statement, a channel notice) and read by anyone."""

from __future__ import annotations

from payout_core.audit import check_actor_id, record, require_role, role_explained
from payout_core.orders import PayoutEngine
from payout_core.returns.adjustments import PayoutReturn, all_returns, record_return, return_of
from payout_core.store import Clock, utcnow


class Returns:
    def __init__(self, engine: PayoutEngine, *, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def record(self, order_id: int, *, reason: str, operator: str, code: str | None = None) -> PayoutReturn:
        """An operator's 退汇 entry (the operator role; audited as order.return): idempotent per order (a repeated
        entry changes and audits nothing), the original order unchanged."""
        check_actor_id(operator, "operator")
        store, now = self._engine.store, self._clock()
        with role_explained(store, operator, "operator"), store.transaction() as tx:
            require_role(tx, operator, "operator")
            order = self._engine.get(order_id, tx=tx)
            entered, new = record_return(
                tx, order, source="operator", reason=reason, recorded_by=operator, code=code, at=now
            )
            if new:
                after = {"return_id": entered.id, "amount": entered.amount, "code": code}
                record(
                    tx,
                    actor=operator,
                    action="order.return",
                    subject=f"order:{order_id}",
                    before=None,
                    after=after,
                    at=now,
                    reason=reason,
                )
            return entered

    def of(self, order_id: int) -> PayoutReturn | None:
        with self._engine.store.transaction(write=False) as tx:
            return return_of(tx, order_id)

    def all(self) -> list[PayoutReturn]:
        with self._engine.store.transaction(write=False) as tx:
            return all_returns(tx)
