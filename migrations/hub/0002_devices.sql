-- Enrolment: office staff issue a one-time code bound to communes and an
-- officer; a tablet trades it for a device token. Only hashes are stored.
CREATE TABLE enrolment_codes (
    code_hash  BLOB PRIMARY KEY,
    communes   TEXT NOT NULL,            -- JSON array of commune codes
    officer    TEXT NOT NULL,
    expires_at INTEGER NOT NULL,         -- Unix seconds
    used_by    TEXT                      -- device id, once used
) STRICT;

CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    communes    TEXT NOT NULL,           -- JSON array: the device's whole scope
    officer     TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;
