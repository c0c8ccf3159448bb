-- Device store. Documents are the truth; *_rows tables are projections that
-- can be dropped and rebuilt from documents at any time.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE documents (
    id        TEXT PRIMARY KEY,          -- UUIDv7, made on the device
    kind      TEXT NOT NULL,             -- RecordKind code
    commune   TEXT NOT NULL,             -- owning org unit code
    bytes     BLOB NOT NULL,             -- Automerge save()
    hub_heads BLOB NOT NULL DEFAULT x'', -- change hashes (32 bytes each) the hub is known to hold
    dirty     INTEGER NOT NULL DEFAULT 1 -- 1 while local changes are not confirmed by the hub
) STRICT;
CREATE INDEX documents_dirty ON documents(dirty) WHERE dirty = 1;

CREATE TABLE session_rows (
    id         TEXT PRIMARY KEY REFERENCES documents(id),
    date       TEXT NOT NULL,
    commune    TEXT NOT NULL,
    venue_kind TEXT NOT NULL,
    venue_name TEXT NOT NULL,
    form       TEXT NOT NULL,
    attendees  INTEGER NOT NULL,
    women      INTEGER NOT NULL,
    topic      TEXT NOT NULL
) STRICT;
CREATE INDEX session_rows_by_date ON session_rows(date DESC, id DESC);
