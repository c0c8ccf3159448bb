-- Issue 20, item 2: the moves of each person file that moved (JSON, oldest
-- first), written with the file by every push, so reports count the person
-- and their visits in each commune for the days they lived there. Only
-- files that moved have a row (none before moves existed).
CREATE TABLE person_moves (
    person TEXT PRIMARY KEY,
    moves  TEXT NOT NULL
) STRICT;
