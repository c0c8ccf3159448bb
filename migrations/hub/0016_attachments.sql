-- Attachments (issue 21). A file arrives in chunks (`attachment_uploads`
-- names the device and the size announced, `attachment_chunks` holds its
-- bytes by position); only when the last chunk is in and the whole matches
-- its SHA-256 and is a JPEG, PNG or PDF by its bytes does it get its row
-- in `attachments`: until then nothing serves it. `attachment_refs` says
-- which communes' records refer to a hash (written with each pushed
-- document): a device is served a file only through a record of its
-- communes, and may only upload one a record of its communes refers to.
CREATE TABLE attachments (
    hash      TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    size      INTEGER NOT NULL,
    device    TEXT NOT NULL,
    stored_at INTEGER NOT NULL
);
CREATE INDEX attachments_by_device ON attachments(device, stored_at);

CREATE TABLE attachment_uploads (
    hash       TEXT PRIMARY KEY,
    device     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    started_at INTEGER NOT NULL
);

CREATE TABLE attachment_chunks (
    hash   TEXT NOT NULL,
    pos    INTEGER NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (hash, pos)
);

CREATE TABLE attachment_refs (
    hash    TEXT NOT NULL,
    commune TEXT NOT NULL,
    PRIMARY KEY (hash, commune)
);
