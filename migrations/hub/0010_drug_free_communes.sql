-- Communes classed drug-free (xã, phường, thị trấn không có ma túy) per
-- year by the district office (issue 23), from the dashboard: one row per
-- commune and year, as last set, with who set it and when (Unix seconds);
-- each setting is also in the audit log.
CREATE TABLE drug_free_communes (
    year      INTEGER NOT NULL,
    commune   TEXT NOT NULL,
    drug_free INTEGER NOT NULL,
    set_by    TEXT NOT NULL,
    set_at    INTEGER NOT NULL,
    PRIMARY KEY (year, commune)
);
