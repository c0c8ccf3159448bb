-- The office dashboard on PostgreSQL (issue 9): the projection rows of
-- migrations/hub 0005 and the staff tables of 0006, same tables and
-- columns. Written by pcmt_core::projection (through the hub's PostgreSQL
-- row writer) in each push's transaction, read by pcmt_core::report.
-- Dates stay `YYYY-MM-DD` text as on SQLite, so they compare the same way;
-- flags are BOOLEAN, counts BIGINT.
ALTER TABLE documents ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE session_rows (
    id         TEXT PRIMARY KEY REFERENCES documents(id),
    date       TEXT NOT NULL,
    commune    TEXT NOT NULL,
    venue_kind TEXT NOT NULL,
    venue_name TEXT NOT NULL,
    form       TEXT NOT NULL,
    attendees  BIGINT NOT NULL,
    women      BIGINT NOT NULL,
    topic      TEXT NOT NULL,
    conflicted BOOLEAN NOT NULL DEFAULT false,
    audience   TEXT NOT NULL DEFAULT '',
    materials  BIGINT NOT NULL DEFAULT 0,
    pledges    BIGINT NOT NULL DEFAULT 0,
    venue_key  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX session_rows_by_commune ON session_rows (commune, date);

CREATE TABLE person_rows (
    id         TEXT PRIMARY KEY REFERENCES documents(id),
    full_name  TEXT NOT NULL,
    name_key   TEXT NOT NULL,
    citizen_id TEXT,
    birth_date TEXT NOT NULL,
    commune    TEXT NOT NULL,
    village    TEXT,
    status     TEXT,
    due_on     TEXT,
    conflicted BOOLEAN NOT NULL DEFAULT false,
    statuses   TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX person_rows_by_commune ON person_rows (commune);

CREATE TABLE checkin_rows (
    id          TEXT PRIMARY KEY REFERENCES documents(id),
    person      TEXT NOT NULL,
    date        TEXT NOT NULL,
    attended    BOOLEAN NOT NULL,
    test_result TEXT,
    psychosis   BOOLEAN NOT NULL,
    relapse     BOOLEAN NOT NULL,
    next_visit  TEXT,
    conflicted  BOOLEAN NOT NULL DEFAULT false,
    supported   BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX checkin_rows_by_person ON checkin_rows (person, date DESC, id DESC);

CREATE TABLE survey_rows (
    id              TEXT PRIMARY KEY REFERENCES documents(id),
    date            TEXT NOT NULL,
    commune         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sites           BIGINT NOT NULL,
    plants          BIGINT NOT NULL,
    area_m2         DOUBLE PRECISION NOT NULL,
    conflicted      BOOLEAN NOT NULL DEFAULT false,
    area_covered_ha DOUBLE PRECISION,
    replanting      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX survey_rows_by_commune ON survey_rows (commune, date);

CREATE TABLE site_rows (
    survey      TEXT NOT NULL REFERENCES documents(id),
    idx         BIGINT NOT NULL,
    date        TEXT NOT NULL,
    commune     TEXT NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    polygon     TEXT,
    area_m2     DOUBLE PRECISION,
    species     TEXT NOT NULL,
    plants      BIGINT NOT NULL,
    action      TEXT NOT NULL,
    action_date TEXT NOT NULL,
    replanting  BOOLEAN NOT NULL,
    PRIMARY KEY (survey, idx)
);
CREATE INDEX site_rows_by_commune ON site_rows (commune, date);

-- Office staff who sign in to the dashboard (Argon2id PHC strings); a
-- staff member sees the org unit `unit` and everything below it.
CREATE TABLE staff (
    username   TEXT PRIMARY KEY,
    phc        TEXT NOT NULL,
    unit       TEXT NOT NULL,
    created_at BIGINT NOT NULL        -- Unix seconds
);

-- Signed-in browsers: only the SHA-256 of the cookie's token is stored.
CREATE TABLE staff_sessions (
    token_hash BYTEA PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES staff(username) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL        -- Unix seconds
);
CREATE INDEX staff_sessions_by_expiry ON staff_sessions (expires_at);

-- Documents the hub already holds get their rows in the same start-up.
INSERT INTO meta (key, value) VALUES ('rebuild_projections', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
