-- What a staff account may do (issue 19), as migrations/hub 0011.
ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'staff' CHECK (role IN ('staff', 'admin'));
