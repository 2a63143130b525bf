-- A channel's own per-card daily limit (WeChat: 20,000 CNY to one card per merchant account per day), counted per
-- channel account, card and business day when a route freezes funds on it, given back on an explicit failure.
-- last_order marks the route that last raised a row: the freeze sent after it in the same round trip applies only
-- with it. orders.card_limit_day is the day an order was counted on (NULL: its channel has no such limit).
CREATE TABLE channel_card_usage (
    channel TEXT NOT NULL,
    card_key TEXT NOT NULL,
    day TEXT NOT NULL,
    used BIGINT NOT NULL CHECK (used >= 0),
    last_order BIGINT,
    PRIMARY KEY (channel, card_key, day)
);
ALTER TABLE orders ADD COLUMN card_limit_day TEXT;
