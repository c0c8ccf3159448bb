-- Drug hot spots (issue 23): the rows of migrations/hub 0013, and
-- pcmt_put_rows (migration 0006) taking them too: their columns are added
-- at the end of pcmt_rows, which the hub fills in that order, and the
-- function is replaced whole with a hot spot's old row removed and its new
-- one inserted like every other kind's. A hub before this one refused
-- documents of the kind, so none needs its rows rebuilt.
CREATE TABLE hotspot_rows (
    id         TEXT PRIMARY KEY REFERENCES documents(id),
    date       TEXT NOT NULL,
    commune    TEXT NOT NULL,
    village    TEXT,
    place      TEXT NOT NULL,
    stage      TEXT NOT NULL,
    activities TEXT NOT NULL,
    stages     TEXT NOT NULL,
    lat        DOUBLE PRECISION,
    lon        DOUBLE PRECISION,
    conflicted BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX hotspot_rows_by_commune ON hotspot_rows (commune, date);

ALTER TYPE pcmt_rows
    ADD ATTRIBUTE h_id TEXT[], ADD ATTRIBUTE h_date TEXT[], ADD ATTRIBUTE h_commune TEXT[],
    ADD ATTRIBUTE h_village TEXT[], ADD ATTRIBUTE h_place TEXT[], ADD ATTRIBUTE h_stage TEXT[],
    ADD ATTRIBUTE h_activities TEXT[], ADD ATTRIBUTE h_stages TEXT[],
    ADD ATTRIBUTE h_lat DOUBLE PRECISION[], ADD ATTRIBUTE h_lon DOUBLE PRECISION[],
    ADD ATTRIBUTE h_conflicted BOOLEAN[];

CREATE OR REPLACE FUNCTION pcmt_put_rows(r pcmt_rows) RETURNS VOID LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF cardinality(r.ids) > 0 THEN
        UPDATE documents d SET deleted = u.deleted
            FROM unnest(r.ids, r.deleted) AS u(id, deleted) WHERE d.id = u.id;
        DELETE FROM site_rows WHERE survey = ANY(r.ids);
        DELETE FROM session_rows WHERE id = ANY(r.ids);
        DELETE FROM person_rows WHERE id = ANY(r.ids);
        DELETE FROM checkin_rows WHERE id = ANY(r.ids);
        DELETE FROM survey_rows WHERE id = ANY(r.ids);
        DELETE FROM hotspot_rows WHERE id = ANY(r.ids);
    END IF;
    IF cardinality(r.s_id) > 0 THEN
        INSERT INTO session_rows
            (id, date, commune, venue_kind, venue_name, form, attendees, women, topic, conflicted,
             audience, materials, pledges, venue_key)
        SELECT * FROM unnest(r.s_id, r.s_date, r.s_commune, r.s_venue_kind, r.s_venue_name, r.s_form,
                             r.s_attendees, r.s_women, r.s_topic, r.s_conflicted, r.s_audience,
                             r.s_materials, r.s_pledges, r.s_venue_key);
    END IF;
    IF cardinality(r.p_id) > 0 THEN
        INSERT INTO person_rows
            (id, full_name, name_key, citizen_id, birth_date, commune, village, status, due_on,
             conflicted, statuses)
        SELECT u.id, u.full_name, u.name_key, u.citizen_id, u.birth_date, u.commune, u.village,
               u.status, NULL, u.conflicted, u.statuses
        FROM unnest(r.p_id, r.p_full_name, r.p_name_key, r.p_citizen_id, r.p_birth_date, r.p_commune,
                    r.p_village, r.p_status, r.p_conflicted, r.p_statuses)
             AS u(id, full_name, name_key, citizen_id, birth_date, commune, village, status,
                  conflicted, statuses);
    END IF;
    IF cardinality(r.c_id) > 0 THEN
        INSERT INTO checkin_rows
            (id, person, date, attended, test_result, psychosis, relapse, next_visit, conflicted,
             supported)
        SELECT * FROM unnest(r.c_id, r.c_person, r.c_date, r.c_attended, r.c_test_result,
                             r.c_psychosis, r.c_relapse, r.c_next_visit, r.c_conflicted,
                             r.c_supported);
    END IF;
    IF cardinality(r.v_id) > 0 THEN
        INSERT INTO survey_rows
            (id, date, commune, kind, sites, plants, area_m2, conflicted, area_covered_ha, replanting)
        SELECT * FROM unnest(r.v_id, r.v_date, r.v_commune, r.v_kind, r.v_sites, r.v_plants,
                             r.v_area_m2, r.v_conflicted, r.v_area_covered_ha, r.v_replanting);
    END IF;
    IF cardinality(r.x_survey) > 0 THEN
        INSERT INTO site_rows
            (survey, idx, date, commune, lat, lon, polygon, area_m2, species, plants, action,
             action_date, replanting)
        SELECT * FROM unnest(r.x_survey, r.x_idx, r.x_date, r.x_commune, r.x_lat, r.x_lon,
                             r.x_polygon, r.x_area_m2, r.x_species, r.x_plants, r.x_action,
                             r.x_action_date, r.x_replanting);
    END IF;
    IF cardinality(r.h_id) > 0 THEN
        INSERT INTO hotspot_rows
            (id, date, commune, village, place, stage, activities, stages, lat, lon, conflicted)
        SELECT * FROM unnest(r.h_id, r.h_date, r.h_commune, r.h_village, r.h_place, r.h_stage,
                             r.h_activities, r.h_stages, r.h_lat, r.h_lon, r.h_conflicted);
    END IF;
END
$$;
