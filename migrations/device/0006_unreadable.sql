-- Documents this version of the app cannot read (issue 18): a newer app's
-- schema, a body of the wrong shape. They are kept with their bytes and
-- synced like any other, but have no projection rows; the officer sees them
-- listed as records this version cannot show. NULL when readable; else what
-- reading it said. The store tries them again each time it opens, so an
-- updated app shows them.
ALTER TABLE documents ADD COLUMN unreadable TEXT;
CREATE INDEX documents_unreadable ON documents(id) WHERE unreadable IS NOT NULL;
