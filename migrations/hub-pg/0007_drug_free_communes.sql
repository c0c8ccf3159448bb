-- As migrations/hub 0010: communes classed drug-free per year by the
-- district office (issue 23), one row per commune and year, as last set.
CREATE TABLE drug_free_communes (
    year      INTEGER NOT NULL,
    commune   TEXT NOT NULL,
    drug_free BOOLEAN NOT NULL,
    set_by    TEXT NOT NULL,
    set_at    BIGINT NOT NULL,
    PRIMARY KEY (year, commune)
);
