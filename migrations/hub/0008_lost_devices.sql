-- A device the office marked lost (issue 8): its token is refused like a
-- revoked one, and its id may never enrol again, whatever code it brings.
ALTER TABLE devices ADD COLUMN lost_at INTEGER;
