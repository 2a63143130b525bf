-- Issue 7: 退汇 — a return after success is its own adjustment order, linked to the untouched original.
CREATE TABLE payout_returns (
    id {{id}},
    original_order_id BIGINT NOT NULL UNIQUE REFERENCES orders (id),
    merchant_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    source TEXT NOT NULL CHECK (source IN ('channel', 'operator')),
    code TEXT,
    reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
