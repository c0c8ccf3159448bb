-- Issue 20, item 2: a person file that moved to another commune leaves on
-- this tablet only a read-only note: who (the name it was known by here),
-- from where, to where, from which day. The file, its visits and their
-- rows are gone from this tablet.
CREATE TABLE moved_people (
    id          TEXT PRIMARY KEY,   -- the person file's id
    full_name   TEXT NOT NULL,
    from_commune TEXT NOT NULL,
    to_commune  TEXT NOT NULL,
    to_name     TEXT NOT NULL,
    moved_on    TEXT NOT NULL       -- YYYY-MM-DD, the first day in the new commune
) STRICT;

-- The moves of a person file this tablet holds (JSON, oldest first), so
-- reports count the person, and their visits, in each commune for the days
-- they lived there. Only files that moved have a row (none before moves
-- existed, so nothing to rebuild).
CREATE TABLE person_moves (
    person TEXT PRIMARY KEY,
    moves  TEXT NOT NULL
) STRICT;
