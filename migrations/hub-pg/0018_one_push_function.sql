-- A push's writes in one function body (issue 16). `pcmt_store_push` called
-- four functions, one per table group, passing each its composite value;
-- a call inside PL/pgSQL is a statement of its own (planned, started, its
-- argument copied and taken apart again), and over the 1,000-tablet
-- benchmark the four calls cost about a tenth of the time the push
-- function ran. The statements are now in it, each table's still written
-- once: the two functions others call alone (`pcmt_put_rows` for a
-- rebuild, `pcmt_append_audit` for the office's entries) call it with the
-- parts they do not write left NULL, and every part is skipped when
-- empty or NULL. `pcmt_put_documents` and `pcmt_append_changes` had no
-- other caller and go.
CREATE OR REPLACE FUNCTION pcmt_store_push(d pcmt_documents, r pcmt_rows, a pcmt_audit, c pcmt_changes)
RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    sessions TEXT[];
    people TEXT[];
    checkins TEXT[];
    surveys TEXT[];
    hotspots TEXT[];
    key BIGINT;
    added BIGINT;
BEGIN
    -- The documents, their attachment refs cleared (the hub writes them
    -- again from the documents after, migration 0016).
    IF cardinality(d.id) > 0 THEN
        DELETE FROM attachment_refs WHERE doc_id = ANY(d.id);
        INSERT INTO documents (id, kind, commune, bytes)
        SELECT * FROM unnest(d.id, d.kind, d.commune, d.bytes)
        ON CONFLICT (id) DO UPDATE
            SET kind = excluded.kind, commune = excluded.commune, bytes = excluded.bytes;
    END IF;
    -- The rows replaced, from their kind's table only (migration 0017),
    -- then each table's new rows.
    IF cardinality(r.ids) > 0 THEN
        WITH marked AS (
            UPDATE documents doc SET deleted = u.deleted
            FROM unnest(r.ids, r.deleted) AS u(id, deleted) WHERE doc.id = u.id
            RETURNING doc.id, doc.kind)
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
    -- The audit entries, in the order given.
    IF cardinality(a.actor_kind) > 0 THEN
        INSERT INTO audit_log
            (at, actor_kind, device_id, actor, action, record_id, record_kind, scope, detail)
        SELECT a.at, u.actor_kind, u.device_id, u.actor, u.action, u.record_id, u.record_kind,
               ARRAY(SELECT jsonb_array_elements_text(u.scope::jsonb)), u.detail
        FROM unnest(a.actor_kind, a.device_id, a.actor, a.action, a.record_id, a.record_kind,
                    a.scope, a.detail)
             WITH ORDINALITY AS u(actor_kind, device_id, actor, action, record_id, record_kind,
                                  scope, detail, n)
        ORDER BY u.n;
    END IF;
    -- Last, so the feed's lock is held as briefly as can be: the changes
    -- the feed lacks, in the order given, after announcing the push to
    -- pullers (see crates/hub/src/pg and migration 0006): a shared lock
    -- keyed by the lowest number the feed can still hand out, taken before
    -- any row draws a number and held to the commit. How many were new.
    IF cardinality(c.doc_id) > 0 IS NOT TRUE THEN
        RETURN 0;
    END IF;
    key := pcmt_feed_next();
    PERFORM pg_advisory_xact_lock_shared((key >> 32)::INT4, (key & 4294967295)::BIT(32)::INT4);
    INSERT INTO changes (doc_id, commune, hash, bytes, origin)
    SELECT u.doc_id, u.commune, u.hash, u.bytes, u.origin
    FROM unnest(c.doc_id, c.commune, c.hash, c.bytes, c.origin)
         WITH ORDINALITY AS u(doc_id, commune, hash, bytes, origin, n)
    ORDER BY u.n
    ON CONFLICT (hash) DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END
$$;

CREATE OR REPLACE FUNCTION pcmt_put_rows(r pcmt_rows) RETURNS VOID LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pcmt_store_push(NULL, r, NULL, NULL);
END
$$;

CREATE OR REPLACE FUNCTION pcmt_append_audit(a pcmt_audit) RETURNS VOID LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pcmt_store_push(NULL, NULL, a, NULL);
END
$$;

DROP FUNCTION pcmt_put_documents(pcmt_documents);
DROP FUNCTION pcmt_append_changes(pcmt_changes);
