-- Drug hot spots (issue 23): the tablet's `hotspot_rows` (device migration
-- 0008), so the dashboard reports them with the same code. A hub before
-- this one refused documents of the kind (unknown kind in the header), so
-- none is held yet and nothing needs rebuilding.
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
