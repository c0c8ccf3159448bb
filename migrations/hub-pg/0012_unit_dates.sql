-- Units that change (issue 19): the first and last day a unit exists
-- (yyyy-mm-dd, none for always) and the commune a merged commune became
-- part of the day after its last. Records keep the commune they were made
-- in; reports of later periods count them in the new one.
ALTER TABLE org_units ADD COLUMN valid_from TEXT;
ALTER TABLE org_units ADD COLUMN valid_to TEXT;
ALTER TABLE org_units ADD COLUMN merged_into TEXT;
