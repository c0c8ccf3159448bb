-- Projections of person files, check-ins and eradication surveys.
CREATE TABLE person_rows (
    id         TEXT PRIMARY KEY REFERENCES documents(id),
    full_name  TEXT NOT NULL,
    name_key   TEXT NOT NULL,           -- lower case, diacritics removed, for search
    citizen_id TEXT,
    birth_date TEXT NOT NULL,
    commune    TEXT NOT NULL,
    village    TEXT,
    status     TEXT,                    -- LegalStatus code in force
    due_on     TEXT,                    -- next visit due; NULL when not managed
    conflicted INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX person_rows_by_name ON person_rows(name_key);
CREATE INDEX person_rows_by_due ON person_rows(due_on) WHERE due_on IS NOT NULL;

CREATE TABLE checkin_rows (
    id          TEXT PRIMARY KEY REFERENCES documents(id),
    person      TEXT NOT NULL,          -- may arrive before the person's file
    date        TEXT NOT NULL,
    attended    INTEGER NOT NULL,
    test_result TEXT,
    psychosis   INTEGER NOT NULL,
    relapse     INTEGER NOT NULL,
    next_visit  TEXT,
    conflicted  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX checkin_rows_by_person ON checkin_rows(person, date DESC, id DESC);

CREATE TABLE survey_rows (
    id         TEXT PRIMARY KEY REFERENCES documents(id),
    date       TEXT NOT NULL,
    commune    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    sites      INTEGER NOT NULL,
    plants     INTEGER NOT NULL,
    area_m2    REAL NOT NULL,
    conflicted INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX survey_rows_by_date ON survey_rows(date DESC, id DESC);
