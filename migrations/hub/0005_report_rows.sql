-- The office dashboard (issue 7) reports from the same projection rows a
-- tablet keeps, written by pcmt_core::projection from the documents the hub
-- holds, so pcmt_core::report computes the same figures. Each table has the
-- tablet's final shape (device migrations 0001–0004 together); a core test
-- checks the two schemas agree.
ALTER TABLE documents ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

CREATE TABLE session_rows (
    id         TEXT PRIMARY KEY REFERENCES documents(id),
    date       TEXT NOT NULL,
    commune    TEXT NOT NULL,
    venue_kind TEXT NOT NULL,
    venue_name TEXT NOT NULL,
    form       TEXT NOT NULL,
    attendees  INTEGER NOT NULL,
    women      INTEGER NOT NULL,
    topic      TEXT NOT NULL,
    conflicted INTEGER NOT NULL DEFAULT 0,
    audience   TEXT NOT NULL DEFAULT '',
    materials  INTEGER NOT NULL DEFAULT 0,
    pledges    INTEGER NOT NULL DEFAULT 0,
    venue_key  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX session_rows_by_date ON session_rows(date DESC, id DESC);
CREATE INDEX session_rows_by_commune ON session_rows(commune, date);

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
    conflicted INTEGER NOT NULL DEFAULT 0,
    statuses   TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX person_rows_by_name ON person_rows(name_key);
CREATE INDEX person_rows_by_due ON person_rows(due_on) WHERE due_on IS NOT NULL;
CREATE INDEX person_rows_by_commune ON person_rows(commune);

CREATE TABLE checkin_rows (
    id          TEXT PRIMARY KEY REFERENCES documents(id),
    person      TEXT NOT NULL,
    date        TEXT NOT NULL,
    attended    INTEGER NOT NULL,
    test_result TEXT,
    psychosis   INTEGER NOT NULL,
    relapse     INTEGER NOT NULL,
    next_visit  TEXT,
    conflicted  INTEGER NOT NULL DEFAULT 0,
    supported   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX checkin_rows_by_person ON checkin_rows(person, date DESC, id DESC);

CREATE TABLE survey_rows (
    id              TEXT PRIMARY KEY REFERENCES documents(id),
    date            TEXT NOT NULL,
    commune         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sites           INTEGER NOT NULL,
    plants          INTEGER NOT NULL,
    area_m2         REAL NOT NULL,
    conflicted      INTEGER NOT NULL DEFAULT 0,
    area_covered_ha REAL,
    replanting      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX survey_rows_by_date ON survey_rows(date DESC, id DESC);
CREATE INDEX survey_rows_by_commune ON survey_rows(commune, date);

CREATE TABLE site_rows (
    survey      TEXT NOT NULL REFERENCES documents(id),
    idx         INTEGER NOT NULL,
    date        TEXT NOT NULL,
    commune     TEXT NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    polygon     TEXT,
    area_m2     REAL,
    species     TEXT NOT NULL,
    plants      INTEGER NOT NULL,
    action      TEXT NOT NULL,
    action_date TEXT NOT NULL,
    replanting  INTEGER NOT NULL,
    PRIMARY KEY (survey, idx)
) STRICT;
CREATE INDEX site_rows_by_commune ON site_rows(commune, date);

-- Documents the hub already holds get their rows when it next opens.
INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_projections', '1');
