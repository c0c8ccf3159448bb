-- Nhật ký xuất tệp (issue 8): every report file saved from this tablet, so
-- each export can be accounted for. Device-local, never synced; kept for
-- the life of the store.
CREATE TABLE export_log (
    at            INTEGER NOT NULL,   -- Unix seconds
    officer       TEXT NOT NULL,
    format        TEXT NOT NULL,      -- ExportFormat code
    unit          TEXT NOT NULL,
    unit_name     TEXT NOT NULL,
    period        TEXT NOT NULL,      -- Period as JSON
    file          TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    personal_data INTEGER NOT NULL
) STRICT;
CREATE INDEX export_log_by_time ON export_log(at DESC);
