-- Less planning for every sync (issue 16). Measured with pg_stat_statements
-- over the 1,000-tablet benchmark: the statements inside the sync's
-- functions were planned afresh at nearly every call, 3.2 s of planning a
-- run, while the push function ran 9.2 s in all and the feed 4.5 s.
-- PL/pgSQL caches each statement's plan, but the plan cache plans a
-- statement again with the call's values while that custom plan looks
-- cheaper than the generic one, which for `x = ANY(<array>)` and the
-- feed's read it always does.

-- The feed's read and the documents' read under their locks: their generic
-- plans are the ones wanted (the feed's index by commune, built for it in
-- 0006 and checked by a test with generic plans forced; the documents'
-- primary key). Set on the function, it holds for the statements in it.
-- A later CREATE OR REPLACE of either must say it again.
ALTER FUNCTION pcmt_lock_documents(BIGINT[], TEXT[], TEXT) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION pcmt_feed(BIGINT, TEXT[], BIGINT, TEXT, BOOLEAN) SET plan_cache_mode = force_generic_plan;

-- The rows replaced: from their kind's table only, as on SQLite
-- (`pcmt_core::projection`), instead of every table. The documents'
-- `deleted` flags are set by the statement that says which kind each is,
-- so a push of sessions runs two statements here, not seven, and plans
-- two. Not forced generic: on a small table the generic plan of
-- `id = ANY(<array>)` is a scan of the whole table, kept as it grows.
CREATE OR REPLACE FUNCTION pcmt_put_rows(r pcmt_rows) RETURNS VOID LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    sessions TEXT[];
    people TEXT[];
    checkins TEXT[];
    surveys TEXT[];
    hotspots TEXT[];
BEGIN
    IF cardinality(r.ids) > 0 THEN
        WITH marked AS (
            UPDATE documents d SET deleted = u.deleted
            FROM unnest(r.ids, r.deleted) AS u(id, deleted) WHERE d.id = u.id
            RETURNING d.id, d.kind)
        SELECT array_agg(id) FILTER (WHERE kind = 'session'),
               array_agg(id) FILTER (WHERE kind = 'person'),
               array_agg(id) FILTER (WHERE kind = 'checkin'),
               array_agg(id) FILTER (WHERE kind = 'survey'),
               array_agg(id) FILTER (WHERE kind = 'hotspot')
        INTO sessions, people, checkins, surveys, hotspots
        FROM marked;
        IF sessions IS NOT NULL THEN
            DELETE FROM session_rows WHERE id = ANY(sessions);
        END IF;
        IF people IS NOT NULL THEN
            DELETE FROM person_rows WHERE id = ANY(people);
        END IF;
        IF checkins IS NOT NULL THEN
            DELETE FROM checkin_rows WHERE id = ANY(checkins);
        END IF;
        IF surveys IS NOT NULL THEN
            DELETE FROM site_rows WHERE survey = ANY(surveys);
            DELETE FROM survey_rows WHERE id = ANY(surveys);
        END IF;
        IF hotspots IS NOT NULL THEN
            DELETE FROM hotspot_rows WHERE id = ANY(hotspots);
        END IF;
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
