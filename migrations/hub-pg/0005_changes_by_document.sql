-- As migrations/hub 0009: a pull may send a document whole when the row it
-- reads is the document's first change in the feed (issue 18, item 4).
CREATE INDEX changes_by_document ON changes (doc_id, seq);
