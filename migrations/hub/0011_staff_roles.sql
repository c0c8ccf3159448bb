-- What a staff account may do (issue 19): plain staff read reports and the
-- log of their unit; an administrator also manages its tablets. Existing
-- accounts stay plain staff: the office makes its first administrator on
-- the command line (pcmt-hub --add-staff NAME --unit U --admin).
ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'staff' CHECK (role IN ('staff', 'admin'));
