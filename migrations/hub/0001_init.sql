-- Hub store: every document it has been sent, and the change feed devices
-- pull from. seq orders the feed; a device's cursor is the last seq it holds.
CREATE TABLE documents (
    id      TEXT PRIMARY KEY,
    kind    TEXT NOT NULL,
    commune TEXT NOT NULL,
    bytes   BLOB NOT NULL
) STRICT;

CREATE TABLE changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id  TEXT NOT NULL REFERENCES documents(id),
    commune TEXT NOT NULL,
    hash    BLOB NOT NULL UNIQUE,
    bytes   BLOB NOT NULL
) STRICT;
CREATE INDEX changes_by_commune ON changes(commune, seq);
