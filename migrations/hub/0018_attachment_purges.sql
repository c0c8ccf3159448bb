-- The office's side of attachments (issue 21, item 5). `attachment_refs`
-- becomes one row per attachment a document holds (its file, its
-- thumbnail, the site of a survey it shows by the site's place in the
-- list, when it was taken), rewritten with each pushed document: a file
-- is served to tablets and staff only through a record that is not
-- deleted, and the dashboard lists a unit's photos from here. 0016's rows
-- named no document; no hub outside development held any (issue 21 was
-- not yet released), so they are dropped, not carried over.
DROP TABLE attachment_refs;
CREATE TABLE attachment_refs (
    doc_id    TEXT NOT NULL,
    hash      TEXT NOT NULL,
    thumbnail TEXT NOT NULL,
    commune   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    taken_at  INTEGER NOT NULL,
    site      INTEGER NOT NULL,
    PRIMARY KEY (doc_id, hash)
);
CREATE INDEX attachment_refs_by_hash ON attachment_refs(hash);
CREATE INDEX attachment_refs_by_thumbnail ON attachment_refs(thumbnail);
CREATE INDEX attachment_refs_by_commune ON attachment_refs(commune, taken_at);

-- A file the office purged (a photo showing a bystander): its bytes are
-- gone, its hash stays so it is refused if sent again, one row per commune
-- whose records referred to it then (the tablets told to drop it). The
-- file and its thumbnail each have their rows. Never deleted.
CREATE TABLE attachment_purges (
    hash      TEXT NOT NULL,
    commune   TEXT NOT NULL,
    staff     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    purged_at INTEGER NOT NULL,
    PRIMARY KEY (hash, commune)
);
