-- Merchants (approval mode, limits, API allowlist) and payout orders. (merchant_id, merchant_order_no) is the
-- idempotency key. The recipient is msgspec JSON; card_key is a hash so limits need no second copy of the number.
CREATE TABLE merchants (
    id TEXT PRIMARY KEY,
    approval TEXT NOT NULL CHECK (approval IN ('auto', 'manual')),
    per_card_daily_limit BIGINT NOT NULL,
    daily_limit BIGINT,
    ip_allowlist TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE orders (
    id {{id}},
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    merchant_order_no TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    recipient TEXT NOT NULL,
    card_key TEXT NOT NULL,
    business_day TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('created', 'approved', 'rejected', 'dispatching', 'succeeded', 'failed')),
    channel TEXT,
    channel_order_no TEXT UNIQUE,
    approver TEXT,
    route_failure TEXT,
    failure_code TEXT,
    reason TEXT,
    operator TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    approved_at BIGINT,
    routed_at BIGINT,
    dispatched_at BIGINT,
    finished_at BIGINT,
    UNIQUE (merchant_id, merchant_order_no)
);
CREATE INDEX orders_state ON orders (state, id);
