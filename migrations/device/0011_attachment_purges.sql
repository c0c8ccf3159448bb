-- Files the office purged (issue 21, item 5), as the office data named
-- them: their bytes are gone from `attachments`, `attachment_parts` and
-- `attachment_wanted`, and a record's reference to one reads as purged
-- ("Tệp đã bị văn phòng xóa"); never fetched again.
CREATE TABLE attachment_purged (
    hash TEXT PRIMARY KEY
) STRICT;
