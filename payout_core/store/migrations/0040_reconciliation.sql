-- Issue 14: reconciliation against each channel account's daily statement (对账) and the differences it finds (差错).
-- statements: one per channel account and business day (UNIQUE statements_one_per_day), with the file's digest, the
--   statement's closing balance beside the ledger's at the cut-off, and the day's summary (JSON).
-- statement_lines: every line read, with the order it matched (NULL: unknown to us).
-- reconcile_items: one per difference, opened once (UNIQUE reconcile_items_once on channel, kind and reference),
--   open until an operator's decision resolves it (CHECK reconcile_items_decided).
-- adjustments: the adjustment order of an item resolved by booking the channel's truth (at most one per item,
--   UNIQUE adjustments_item); its money moves as a posting of the new kind 'adjust', so ledger_entries is rebuilt
--   with that kind in CHECK ledger_entries_kind (and stays append-only). The original order is never edited.
CREATE TABLE statements (
    id {{id}},
    channel TEXT NOT NULL,
    business_day TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    lines INTEGER NOT NULL CHECK (lines >= 0),
    closing_balance BIGINT,
    ledger_balance BIGINT NOT NULL,
    cutoff_at BIGINT NOT NULL,
    reconciled_at BIGINT NOT NULL,
    summary TEXT NOT NULL,
    CONSTRAINT statements_one_per_day UNIQUE (channel, business_day)
);
CREATE TABLE statement_lines (
    id {{id}},
    statement_id BIGINT NOT NULL REFERENCES statements (id),
    row_no INTEGER NOT NULL,
    channel_order_no TEXT NOT NULL,
    channel_ref TEXT,
    status TEXT NOT NULL CHECK (status IN ('paid', 'failed', 'returned')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    finished_at BIGINT NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    CONSTRAINT statement_lines_row UNIQUE (statement_id, row_no)
);
CREATE INDEX statement_lines_order_no ON statement_lines (channel_order_no, status);
CREATE TABLE reconcile_items (
    id {{id}},
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    statement_line_id BIGINT REFERENCES statement_lines (id),
    business_day TEXT,
    found_by TEXT NOT NULL CHECK (found_by IN ('statement', 'query')),
    channel_amount BIGINT NOT NULL CHECK (channel_amount >= 0),
    our_amount BIGINT NOT NULL CHECK (our_amount >= 0),
    evidence TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
    opened_at BIGINT NOT NULL,
    decision TEXT CHECK (decision IN ('book', 'dismiss')),
    decided_by TEXT,
    reason TEXT,
    resolved_at BIGINT,
    CONSTRAINT reconcile_items_kind CHECK (kind IN ('paid_not_succeeded', 'failed_at_channel', 'amount_differs',
        'unknown_order', 'missing_from_statement', 'returned')),
    CONSTRAINT reconcile_items_once UNIQUE (channel, kind, ref),
    CONSTRAINT reconcile_items_decided CHECK (
        (state = 'open' AND decision IS NULL AND decided_by IS NULL AND resolved_at IS NULL)
        OR (state = 'resolved' AND decision IS NOT NULL AND decided_by IS NOT NULL AND reason IS NOT NULL
            AND resolved_at IS NOT NULL))
);
CREATE INDEX reconcile_items_state ON reconcile_items (state, channel, id);
CREATE INDEX reconcile_items_order ON reconcile_items (order_id);
CREATE INDEX orders_channel_finished ON orders (channel, state, finished_at);
CREATE TABLE adjustments (
    id {{id}},
    item_id BIGINT NOT NULL REFERENCES reconcile_items (id),
    order_id BIGINT REFERENCES orders (id),
    merchant_id TEXT,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    transfer_id TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT adjustments_item UNIQUE (item_id),
    CONSTRAINT adjustments_kind CHECK (kind IN ('book_payment', 'reverse_payment', 'unattributed'))
);
-- Rebuilt through a plain copy, so the constraints keep their names (PostgreSQL names a UNIQUE's index after it).
CREATE TABLE ledger_entries_copy AS SELECT * FROM ledger_entries;
DROP TABLE ledger_entries;
CREATE TABLE ledger_entries (
    id {{id}},
    transfer_id TEXT NOT NULL,
    leg INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    order_id BIGINT,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    mirror_leg INTEGER NOT NULL,
    mirror_amount BIGINT NOT NULL,
    CONSTRAINT ledger_entries_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT ledger_entries_kind CHECK (kind IN ('deposit', 'fund', 'freeze', 'settle', 'unfreeze', 'return',
        'adjust')),
    CONSTRAINT ledger_entries_moves CHECK (amount <> 0 AND leg >= 0),
    CONSTRAINT ledger_entries_leg UNIQUE (transfer_id, leg),
    CONSTRAINT ledger_entries_leg_amount UNIQUE (transfer_id, leg, amount),
    CONSTRAINT ledger_entries_mirror CHECK (mirror_leg = leg + 1 - 2 * (leg % 2) AND mirror_amount = -amount),
    CONSTRAINT ledger_entries_mirrored FOREIGN KEY (transfer_id, mirror_leg, mirror_amount)
        REFERENCES ledger_entries (transfer_id, leg, amount)
);
INSERT INTO ledger_entries
    (transfer_id, leg, account_id, amount, balance_after, order_id, kind, at, mirror_leg, mirror_amount)
SELECT transfer_id, leg, account_id, amount, balance_after, order_id, kind, at, mirror_leg, mirror_amount
FROM ledger_entries_copy ORDER BY id;
DROP TABLE ledger_entries_copy;
CREATE INDEX ledger_entries_account_at ON ledger_entries (account_id, at, id);
CREATE INDEX ledger_entries_order ON ledger_entries (order_id);
{{append_only:ledger_entries}}
-- Later truth: a final order is queried again on a schedule (dispatch QueryPolicy.follow_up_seconds), so a payment
-- after a decline, a return (退汇) or a channel answer contradicting an operator's decision is found.
ALTER TABLE dispatch_attempts ADD COLUMN follow_ups INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dispatch_attempts ADD COLUMN follow_up_at BIGINT;
CREATE INDEX dispatch_attempts_follow_up ON dispatch_attempts (follow_up_at);
