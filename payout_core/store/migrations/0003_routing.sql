-- Channel accounts the router may pick: a name (one funded account), the channel profile it follows, a weight.
CREATE TABLE channels (
    name TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    weight INTEGER NOT NULL CHECK (weight >= 0),
    active INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at BIGINT NOT NULL
);
