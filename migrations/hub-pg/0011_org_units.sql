-- The office's administrative units (issue 19), as migrations/hub 0014.
CREATE TABLE org_units (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL,
    parent TEXT
);
