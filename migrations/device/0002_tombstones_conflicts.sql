-- Delete is a tombstone inside the document; the column mirrors it so lists
-- can skip deleted records without opening documents. Conflicted marks
-- records with concurrent values on one field, to be shown to an officer.
ALTER TABLE documents ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_rows ADD COLUMN conflicted INTEGER NOT NULL DEFAULT 0;
