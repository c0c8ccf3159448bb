-- Staff accounts an administrator disabled from the dashboard (issue 19):
-- kept for the log's sake (entries name the account), never signed in to.
ALTER TABLE staff ADD COLUMN disabled_at INTEGER;
