-- Issue 7: manual review of uncertain orders; the log is append-only and is the audit trail.
CREATE TABLE review_items (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id),
    reason TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolution TEXT CHECK (resolution IN ('succeeded', 'failed')),
    resolved_by TEXT,
    note TEXT
);
CREATE INDEX review_items_open ON review_items (resolved_at, opened_at);
CREATE TABLE review_log (
    id {{id}},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    action TEXT NOT NULL CHECK (action IN ('opened', 'resolved')),
    actor TEXT NOT NULL,
    detail TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX review_log_order ON review_log (order_id, id);
