-- Accounts and double-entry ledger entries. Every entry records the balance after it, so any past balance is one
-- indexed lookup. `updated_at` never goes backwards, so entry times are monotonic per account.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('merchant', 'channel', 'external')),
    owner TEXT NOT NULL,
    purpose TEXT NOT NULL,
    balance BIGINT NOT NULL DEFAULT 0,
    may_go_negative INTEGER NOT NULL DEFAULT 0 CHECK (may_go_negative IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE ledger_entries (
    id {{id}},
    transfer_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    order_id BIGINT,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX ledger_entries_account_at ON ledger_entries (account_id, at, id);
CREATE INDEX ledger_entries_order ON ledger_entries (order_id);
