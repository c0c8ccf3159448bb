-- The audit log (issue 8): the same as migrations/hub/0008_audit.sql. Never
-- updated, deleted or truncated: the triggers below raise on any attempt.
-- (They stop the application and mistakes; a database owner can still drop
-- them, which PostgreSQL's own logs would show.)
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,           -- Unix seconds (UTC)
    actor_kind  TEXT NOT NULL,             -- device | staff | office | uplink
    device_id   TEXT,
    actor       TEXT,                      -- officer (from enrolment) or staff username
    action      TEXT NOT NULL,
    record_id   TEXT,
    record_kind TEXT,
    scope       TEXT[] NOT NULL,           -- org unit codes the entry concerns
    detail      TEXT NOT NULL              -- JSON
);
CREATE INDEX audit_log_by_time ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_by_record ON audit_log (record_id) WHERE record_id IS NOT NULL;
CREATE INDEX audit_log_by_device ON audit_log (device_id) WHERE device_id IS NOT NULL;

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
