-- The hub on PostgreSQL (issue 9): the sync side of migrations/hub 0001-0004
-- in one step. The dashboard's tables (projection rows, staff) are not here
-- yet: the dashboard runs on the SQLite store only.

-- Every document the hub has been sent (Automerge bytes, merged).
CREATE TABLE documents (
    id      TEXT PRIMARY KEY,
    kind    TEXT NOT NULL,
    commune TEXT NOT NULL,
    bytes   BYTEA NOT NULL
);

-- The change feed devices pull from; a device's cursor is the last seq it
-- holds. Several hub processes insert here: seq order equals commit order
-- only because every push takes the feed lock before its first insert and
-- holds it to commit (see crates/hub/src/pg.rs). For the same reason the
-- sequence must keep CACHE 1 (the default): a cached block per session
-- would hand out numbers out of lock order.
CREATE TABLE changes (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_id  TEXT NOT NULL REFERENCES documents(id),
    commune TEXT NOT NULL,
    hash    BYTEA NOT NULL UNIQUE,
    bytes   BYTEA NOT NULL,
    origin  TEXT              -- the device a change first came from
);
CREATE INDEX changes_by_commune ON changes (commune, seq);

-- Enrolment: one-time codes bound to communes and an officer, traded for a
-- device token. Only SHA-256 hashes are stored.
CREATE TABLE enrolment_codes (
    code_hash  BYTEA PRIMARY KEY,
    communes   TEXT NOT NULL,             -- JSON array of commune codes
    officer    TEXT NOT NULL,
    expires_at BIGINT NOT NULL,           -- Unix seconds
    used_by    TEXT                       -- device id, once used
);

CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    token_hash  BYTEA NOT NULL UNIQUE,
    communes    TEXT NOT NULL,            -- JSON array: the device's whole scope
    officer     TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
