-- The hub's table of communes classed drug-free per year (hub migration
-- 0010), empty on a tablet: classings do not reach tablets yet, and the
-- report reads the one query on both, finding none (the figure shows as
-- not classed).
CREATE TABLE drug_free_communes (
    year      INTEGER NOT NULL,
    commune   TEXT NOT NULL,
    drug_free INTEGER NOT NULL,
    set_by    TEXT NOT NULL,
    set_at    INTEGER NOT NULL,
    PRIMARY KEY (year, commune)
);
