-- The device a change first came from: a pull skips the device's own
-- changes, which it already holds (they would double a first sync's bytes).
ALTER TABLE changes ADD COLUMN origin TEXT;
