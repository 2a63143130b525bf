-- Issue 15: who may do what, and what they did.
-- actors: the people (and services) that act on payouts; an actor is deactivated, never deleted (the audit log
--   names it). 'auto' is reserved: it is the approver of an order that the merchant's configuration approved.
-- actor_roles: one row per role an actor holds (submitter, approver, operator, admin).
-- actor_bootstrap: its one row says the first admin was created (the only change no admin authorises).
-- audit_log: every decision and configuration change, with its actor, time, subject and the state before and
--   after, written in the transaction of the change it records. The database refuses to change or delete a row.
-- ledger_entries, dispatch_evidence and review_log are append-only too: history is added to, never rewritten.
CREATE TABLE actors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT actors_id CHECK (length(id) BETWEEN 1 AND 64 AND id <> 'auto'),
    CONSTRAINT actors_active CHECK (active IN (0, 1))
);
CREATE TABLE actor_roles (
    actor_id TEXT NOT NULL,
    role TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (actor_id, role),
    CONSTRAINT actor_roles_actor FOREIGN KEY (actor_id) REFERENCES actors (id),
    CONSTRAINT actor_roles_role CHECK (role IN ('submitter', 'approver', 'operator', 'admin'))
);
CREATE TABLE actor_bootstrap (
    id INTEGER PRIMARY KEY,
    actor_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    CONSTRAINT actor_bootstrap_once CHECK (id = 1),
    CONSTRAINT actor_bootstrap_actor FOREIGN KEY (actor_id) REFERENCES actors (id)
);
CREATE TABLE audit_log (
    id {{id}},
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    reason TEXT NOT NULL,
    CONSTRAINT audit_log_actor FOREIGN KEY (actor) REFERENCES actors (id)
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);
CREATE INDEX audit_log_at ON audit_log (at, id);
{{append_only:audit_log}}
{{append_only:ledger_entries}}
{{append_only:dispatch_evidence}}
{{append_only:review_log}}
