-- A pull may send a document whole (issue 18, item 4) when the row it
-- reads is the document's first change in the feed: found by looking up
-- the document's earlier changes, one index probe per row.
CREATE INDEX changes_by_document ON changes(doc_id, seq);
