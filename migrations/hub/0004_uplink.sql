-- A hub can itself sync upward (district → province) as a device of the
-- higher hub: its identity, token and the two cursors live here.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
