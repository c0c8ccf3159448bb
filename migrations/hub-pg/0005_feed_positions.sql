-- The feed's public positions (issue 16): a change is inserted with only
-- its `seq` (the order within its push) and gets its position, the number
-- devices' cursors hold, after its push has committed, from
-- feed_position() below. Pushes no longer take the feed lock, so they
-- commit side by side; only positioning takes turns (see
-- crates/hub/src/pg/mod.rs for why this keeps every cursor exact).
--
-- Rows stored before this migration keep their seq as their position, so
-- the cursors devices hold stay valid; new positions continue above them.
-- Every hub process must be stopped for the upgrade: an older process
-- would still read the feed by seq.
ALTER TABLE changes ADD COLUMN pos BIGINT;
UPDATE changes SET pos = seq;
CREATE UNIQUE INDEX changes_by_pos ON changes (pos);
DROP INDEX changes_by_commune;
CREATE INDEX changes_by_commune ON changes (commune, pos);
-- The rows still waiting for a position: few, and looked for after every
-- write.
CREATE INDEX changes_unpositioned ON changes (seq) WHERE pos IS NULL;

-- Gives every committed change still without a position the next ones, in
-- seq order, and returns how many it gave. Called in a transaction of its
-- own after each write commits (autocommit: the lock below is then held
-- only inside the server, from the moment it is granted through the
-- commit, never across a round trip to a hub). Runs take turns on the
-- advisory lock (lock_class, feed_lock); a VOLATILE function's every
-- statement sees what committed before it began, so the UPDATE, which
-- starts after the lock is granted, sees the previous run's positions and
-- continues above them, and sees every push that committed before it.
CREATE FUNCTION feed_position(lock_class INTEGER, feed_lock INTEGER) RETURNS BIGINT
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    given BIGINT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM changes WHERE pos IS NULL) THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(lock_class, feed_lock);
    UPDATE changes c SET pos = n.pos
    FROM (SELECT seq,
                 (SELECT coalesce(max(pos), 0) FROM changes)
                     + row_number() OVER (ORDER BY seq) AS pos
          FROM changes WHERE pos IS NULL) n
    WHERE c.seq = n.seq;
    GET DIAGNOSTICS given = ROW_COUNT;
    RETURN given;
END
$$;
