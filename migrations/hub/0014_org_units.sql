-- The office's administrative units (issue 19): the tree reports roll up
-- through, staff units lie in and tablets validate against, loaded whole
-- from a spreadsheet (pcmt-hub --load-units, /dashboard/admin/units). Its
-- version (meta org_units_version) is bumped at every load, which the
-- audit log records; a hub never loaded has no rows (the demo seeds the
-- demo district).
CREATE TABLE org_units (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL,
    parent TEXT
);
