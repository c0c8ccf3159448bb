-- Issue 20, item 2: the moves of each person file that moved (JSON, oldest
-- first), written with the file by every push (hub migration 0017).
CREATE TABLE person_moves (
    person TEXT PRIMARY KEY,
    moves  TEXT NOT NULL
);
