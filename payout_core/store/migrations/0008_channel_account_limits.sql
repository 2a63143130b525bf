-- A channel's own daily limit on a channel account's total (WeChat: 100,000 CNY per merchant account per day),
-- counted in channel_card_usage under the reserved card_key '*' (limits.channel.ACCOUNT_TOTAL; a real card_key is a
-- hex HMAC) by the route that freezes funds on the account, given back on an explicit failure.
-- orders.account_limit_day is the day an order was counted on the account's total (NULL: not counted), so the
-- give-back lowers exactly the counters the route raised, whatever the profile says by then.
ALTER TABLE orders ADD COLUMN account_limit_day TEXT;
