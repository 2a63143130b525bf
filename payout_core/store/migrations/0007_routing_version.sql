-- One counter raised by every change to the channels table: a router that routes from its own copy of the active
-- routes conditions the freeze on it, so a copy older than the last change makes the freeze refuse, never misroute.
CREATE TABLE routing_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO routing_version (id, version) VALUES (1, 0);
