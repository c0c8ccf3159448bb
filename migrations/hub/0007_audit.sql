-- The audit log (issue 8, nhật ký truy cập và thay đổi): who — a tablet and
-- its officer, a staff member, an office tool, the hub above — changed which
-- record or took which export, when. Written in the same transaction as what
-- it records; never updated or deleted: the triggers below abort any UPDATE
-- or DELETE, whoever sends it.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,          -- Unix seconds (UTC)
    actor_kind  TEXT NOT NULL,             -- device | staff | office | uplink
    device_id   TEXT,                      -- the tablet that acted or was acted on
    actor       TEXT,                      -- its officer (from enrolment) or the staff username
    action      TEXT NOT NULL,             -- audit::Action code
    record_id   TEXT,
    record_kind TEXT,
    scope       TEXT NOT NULL,             -- JSON array of org unit codes the entry concerns
    detail      TEXT NOT NULL              -- JSON: changes, export format and period, address…
) STRICT;
CREATE INDEX audit_log_by_time ON audit_log(at DESC, id DESC);
CREATE INDEX audit_log_by_record ON audit_log(record_id) WHERE record_id IS NOT NULL;
CREATE INDEX audit_log_by_device ON audit_log(device_id) WHERE device_id IS NOT NULL;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
