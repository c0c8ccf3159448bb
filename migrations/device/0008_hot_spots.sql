-- Drug hot spots (điểm, tụ điểm phức tạp về ma túy, issue 23): one row per
-- spot, `date` the day it was detected (its earliest status), `stage` the
-- status in force now, `stages` the whole history as JSON for the
-- report. A new kind: no document of it is held yet (an older app kept
-- any it met unread, and shows them when the store next opens).
CREATE TABLE hotspot_rows (
    id         TEXT PRIMARY KEY REFERENCES documents(id),
    date       TEXT NOT NULL,
    commune    TEXT NOT NULL,
    village    TEXT,
    place      TEXT NOT NULL,
    stage      TEXT NOT NULL,
    activities TEXT NOT NULL,
    stages     TEXT NOT NULL,
    lat        REAL,
    lon        REAL,
    conflicted INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX hotspot_rows_by_date ON hotspot_rows(date DESC, id DESC);
CREATE INDEX hotspot_rows_by_commune ON hotspot_rows(commune, date);
