-- Daily usage counters, raised by a conditional update so concurrent submissions cannot both pass a limit.
-- scope 'card': subject = card key; scope 'merchant': subject = ''. day = business day (Asia/Shanghai).
CREATE TABLE daily_usage (
    scope TEXT NOT NULL CHECK (scope IN ('card', 'merchant')),
    merchant_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    day TEXT NOT NULL,
    used BIGINT NOT NULL,
    PRIMARY KEY (scope, merchant_id, subject, day)
);
