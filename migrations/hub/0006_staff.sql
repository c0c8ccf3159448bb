-- Office staff who sign in to the dashboard. Passwords are Argon2id PHC
-- strings; a staff member sees the org unit `unit` and everything below it.
CREATE TABLE staff (
    username   TEXT PRIMARY KEY,
    phc        TEXT NOT NULL,
    unit       TEXT NOT NULL,
    created_at INTEGER NOT NULL        -- Unix seconds
) STRICT;

-- Signed-in browsers. The cookie holds a 256-bit random token; only its
-- SHA-256 is stored, so a copy of the database opens no session.
CREATE TABLE staff_sessions (
    token_hash BLOB PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES staff(username) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL        -- Unix seconds
) STRICT;
CREATE INDEX staff_sessions_by_expiry ON staff_sessions(expires_at);
