-- The transfer that last moved each account. Statements sent after a posting's balance update in the same round
-- trip (its entries, the claim of the order it freezes for) are conditioned on it, so they apply exactly when the
-- update did, and a route can commit without waiting for the client while it holds the hot account rows.
ALTER TABLE accounts ADD COLUMN last_transfer TEXT;
