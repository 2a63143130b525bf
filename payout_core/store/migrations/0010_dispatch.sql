-- Issue 7: dispatch attempts (the intent to send, written with the move to dispatching) and channel evidence.
CREATE TABLE dispatch_attempts (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id),
    channel TEXT NOT NULL,
    channel_order_no TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('sending', 'pending', 'review', 'done')),
    sends INTEGER NOT NULL DEFAULT 0,
    queries INTEGER NOT NULL DEFAULT 0,
    first_sent_at BIGINT NOT NULL,
    last_sent_at BIGINT NOT NULL,
    next_query_at BIGINT NOT NULL,
    last_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dispatch_attempts_due ON dispatch_attempts (status, next_query_at);
CREATE TABLE dispatch_evidence (
    id {{id}},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    channel TEXT NOT NULL,
    channel_order_no TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('dispatch', 'resend', 'query')),
    url TEXT NOT NULL,
    request_body TEXT NOT NULL,
    http_status INTEGER,
    response_body TEXT,
    transport_error TEXT,
    sent_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    latency_ms DOUBLE PRECISION NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX dispatch_evidence_order ON dispatch_evidence (order_id, id);
