-- What reports read (issue 7): attendees by audience group, materials and
-- pledges, the venue name folded for matching schools and industrial zones,
-- a person's status history, whether a visit gave support, the area swept
-- and re-planting per survey, and one row per site found (for the
-- eradication figures and the map exports).
ALTER TABLE session_rows ADD COLUMN audience TEXT NOT NULL DEFAULT '';   -- "group:count,…"
ALTER TABLE session_rows ADD COLUMN materials INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_rows ADD COLUMN pledges INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_rows ADD COLUMN venue_key TEXT NOT NULL DEFAULT ''; -- venue_name folded like search keys
CREATE INDEX session_rows_by_commune ON session_rows(commune, date);

ALTER TABLE person_rows ADD COLUMN statuses TEXT NOT NULL DEFAULT '[]'; -- JSON list of status spans
CREATE INDEX person_rows_by_commune ON person_rows(commune);

ALTER TABLE checkin_rows ADD COLUMN supported INTEGER NOT NULL DEFAULT 0;

ALTER TABLE survey_rows ADD COLUMN area_covered_ha REAL;
ALTER TABLE survey_rows ADD COLUMN replanting INTEGER NOT NULL DEFAULT 0;
CREATE INDEX survey_rows_by_commune ON survey_rows(commune, date);

CREATE TABLE site_rows (
    survey      TEXT NOT NULL REFERENCES documents(id),
    idx         INTEGER NOT NULL,       -- place in the survey's list of sites
    date        TEXT NOT NULL,          -- the survey's date
    commune     TEXT NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    polygon     TEXT,                   -- JSON list of points as walked; NULL if not walked
    area_m2     REAL,
    species     TEXT NOT NULL,
    plants      INTEGER NOT NULL,
    action      TEXT NOT NULL,
    action_date TEXT NOT NULL,
    replanting  INTEGER NOT NULL,
    PRIMARY KEY (survey, idx)
) STRICT;
CREATE INDEX site_rows_by_commune ON site_rows(commune, date);

-- Rows written before this migration lack the new columns: the store
-- rebuilds every projection from the documents at its next opening.
INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_projections', '1');
