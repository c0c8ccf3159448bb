-- Staff accounts an administrator disabled (issue 19), as migrations/hub 0012.
ALTER TABLE staff ADD COLUMN disabled_at BIGINT;
