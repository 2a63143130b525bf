-- Issue 13: the database itself enforces what money depends on, on SQLite and PostgreSQL alike.
-- accounts: a balance never goes below zero unless the account may (the external counterparts), CHECK
--   accounts_covered. The posting marks (last_transfer) are gone: a posting is a write chain whose links fail their
--   transaction when they do not apply (store/README.md), so nothing is conditioned on a mark any more.
-- ledger_entries: a posting is made of transfers, each written as two legs, 2k and 2k + 1, of opposite amounts.
--   The foreign key ledger_entries_mirrored makes every leg's mirror exist: every transfer sums to zero. (transfer_id,
--   leg) is unique, so a transfer id names one posting. kind is one of ledger.POSTING_KINDS. The key is checked at the
--   end of each statement: a posting writes all its legs in one.
-- Both tables are rebuilt (SQLite cannot add constraints to a table); entries keep their order under new ids.
CREATE TABLE accounts_new (
    id TEXT PRIMARY KEY,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('merchant', 'channel', 'external')),
    owner TEXT NOT NULL,
    purpose TEXT NOT NULL,
    balance BIGINT NOT NULL DEFAULT 0,
    may_go_negative INTEGER NOT NULL DEFAULT 0 CHECK (may_go_negative IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT accounts_covered CHECK (balance >= 0 OR may_go_negative = 1)
);
INSERT INTO accounts_new (id, owner_kind, owner, purpose, balance, may_go_negative, created_at, updated_at)
SELECT id, owner_kind, owner, purpose, balance, may_go_negative, created_at, updated_at FROM accounts;
CREATE TABLE ledger_entries_new (
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
    CONSTRAINT ledger_entries_account FOREIGN KEY (account_id) REFERENCES accounts_new (id),
    CONSTRAINT ledger_entries_kind CHECK (kind IN ('deposit', 'fund', 'freeze', 'settle', 'unfreeze', 'return')),
    CONSTRAINT ledger_entries_moves CHECK (amount <> 0 AND leg >= 0),
    CONSTRAINT ledger_entries_leg UNIQUE (transfer_id, leg),
    CONSTRAINT ledger_entries_leg_amount UNIQUE (transfer_id, leg, amount),
    CONSTRAINT ledger_entries_mirror CHECK (mirror_leg = leg + 1 - 2 * (leg % 2) AND mirror_amount = -amount),
    CONSTRAINT ledger_entries_mirrored FOREIGN KEY (transfer_id, mirror_leg, mirror_amount)
        REFERENCES ledger_entries_new (transfer_id, leg, amount)
);
INSERT INTO ledger_entries_new
    (transfer_id, leg, account_id, amount, balance_after, order_id, kind, at, mirror_leg, mirror_amount)
SELECT transfer_id, leg, account_id, amount, balance_after, order_id, kind, at, leg + 1 - 2 * (leg % 2), -amount
FROM (SELECT e.*, ROW_NUMBER() OVER (PARTITION BY transfer_id ORDER BY id) - 1 AS leg FROM ledger_entries e) numbered
ORDER BY id;
DROP TABLE ledger_entries;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;
ALTER TABLE ledger_entries_new RENAME TO ledger_entries;
CREATE INDEX ledger_entries_account_at ON ledger_entries (account_id, at, id);
CREATE INDEX ledger_entries_order ON ledger_entries (order_id);
-- The route marks of 0006 are gone for the same reason.
ALTER TABLE channel_card_usage DROP COLUMN last_order;
