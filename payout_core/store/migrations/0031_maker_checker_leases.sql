-- Issue 15: who submitted an order (maker-checker: its approver must be someone else; NULL: the merchant's API),
-- and the leases by which workers claim work. A lease is an owner and an instant: work whose lease has passed is
-- free to claim again, so a worker that died leaves nothing stuck. Orders are claimed while approved (to route and
-- dispatch them), dispatch attempts while an answer is awaited (to query them, or to sweep one left `sending`).
ALTER TABLE orders ADD COLUMN submitted_by TEXT REFERENCES actors (id);
ALTER TABLE orders ADD COLUMN lease_owner TEXT;
ALTER TABLE orders ADD COLUMN lease_until BIGINT;
ALTER TABLE dispatch_attempts ADD COLUMN lease_owner TEXT;
ALTER TABLE dispatch_attempts ADD COLUMN lease_until BIGINT;
