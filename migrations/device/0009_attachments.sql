-- Attachments (issue 21): photos and files of records, inside the
-- encrypted store like everything else (never a file in a shared folder).
-- `attachments` holds whole bodies only, keyed by their SHA-256 (hex); a
-- body being downloaded lies in `attachment_parts`, one row per chunk,
-- so a cut download resumes at the chunk where it stopped, and moves to
-- `attachments` once its hash is checked. `at_hub`: the hub holds it (sent
-- from here, or received from it).
CREATE TABLE attachments (
    hash   TEXT PRIMARY KEY,
    kind   TEXT NOT NULL,
    bytes  BLOB NOT NULL,
    at_hub INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX attachments_to_send ON attachments(at_hub) WHERE at_hub = 0;

CREATE TABLE attachment_parts (
    hash   TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (hash, seq)
) STRICT;

-- Which documents refer to which hashes (written with the document, local
-- or pulled): the thumbnails to fetch after a pull.
CREATE TABLE attachment_refs (
    doc_id    TEXT NOT NULL,
    hash      TEXT NOT NULL,
    thumbnail INTEGER NOT NULL,
    PRIMARY KEY (doc_id, hash)
) STRICT;
CREATE INDEX attachment_refs_by_hash ON attachment_refs(hash);

-- Full images the officer asked for (opened while online, or a whole
-- commune's): fetched at the next sync.
CREATE TABLE attachment_wanted (
    hash TEXT PRIMARY KEY
) STRICT;
