-- A push and a pull in few round trips (issue 16, item 3). Every statement the
-- synchronous client sends costs a round trip and the server's work for a
-- statement as such, whatever it does; a push was eleven. These functions
-- run a push's statements inside the server, one after another, so a
-- push is: BEGIN, pcmt_lock_documents, pcmt_store_push, COMMIT, and a
-- pull one call (pcmt_feed, the watermark and the rows). Each
-- table's statement is written here once; the hub calls the same function
-- for a push, a rebuild or an audit entry of the office.
--
-- The arguments travel as composite values of arrays (one array a column),
-- built by the hub as ROW($1, …)::pcmt_… from one parameter per array.
-- All are PL/pgSQL, whose statements' plans each connection keeps (a SQL
-- function's are made again at every call), and VOLATILE, so in READ
-- COMMITTED each statement in them takes a snapshot of its own.

CREATE TYPE pcmt_documents AS (id TEXT[], kind TEXT[], commune TEXT[], bytes BYTEA[]);

-- Projection rows: `ids`/`deleted` are the documents whose rows are
-- replaced (their old rows and sites go, `documents.deleted` is set), then
-- the new rows of each table, a column an array.
CREATE TYPE pcmt_rows AS (
    ids TEXT[], deleted BOOLEAN[],
    s_id TEXT[], s_date TEXT[], s_commune TEXT[], s_venue_kind TEXT[], s_venue_name TEXT[],
    s_form TEXT[], s_attendees BIGINT[], s_women BIGINT[], s_topic TEXT[], s_conflicted BOOLEAN[],
    s_audience TEXT[], s_materials BIGINT[], s_pledges BIGINT[], s_venue_key TEXT[],
    p_id TEXT[], p_full_name TEXT[], p_name_key TEXT[], p_citizen_id TEXT[], p_birth_date TEXT[],
    p_commune TEXT[], p_village TEXT[], p_status TEXT[], p_conflicted BOOLEAN[], p_statuses TEXT[],
    c_id TEXT[], c_person TEXT[], c_date TEXT[], c_attended BOOLEAN[], c_test_result TEXT[],
    c_psychosis BOOLEAN[], c_relapse BOOLEAN[], c_next_visit TEXT[], c_conflicted BOOLEAN[],
    c_supported BOOLEAN[],
    v_id TEXT[], v_date TEXT[], v_commune TEXT[], v_kind TEXT[], v_sites BIGINT[], v_plants BIGINT[],
    v_area_m2 DOUBLE PRECISION[], v_conflicted BOOLEAN[], v_area_covered_ha DOUBLE PRECISION[],
    v_replanting BIGINT[],
    x_survey TEXT[], x_idx BIGINT[], x_date TEXT[], x_commune TEXT[], x_lat DOUBLE PRECISION[],
    x_lon DOUBLE PRECISION[], x_polygon TEXT[], x_area_m2 DOUBLE PRECISION[], x_species TEXT[],
    x_plants BIGINT[], x_action TEXT[], x_action_date TEXT[], x_replanting BOOLEAN[]
);

-- Audit entries: one time for all, then a column an array. Scopes travel
-- as JSON text: an array of arrays must be rectangular, and scopes differ
-- in length.
CREATE TYPE pcmt_audit AS (
    at BIGINT, actor_kind TEXT[], device_id TEXT[], actor TEXT[], action TEXT[],
    record_id TEXT[], record_kind TEXT[], scope TEXT[], detail TEXT[]
);

CREATE TYPE pcmt_changes AS (doc_id TEXT[], commune TEXT[], hash BYTEA[], bytes BYTEA[], origin TEXT[]);

-- The lowest number the feed's sequence can still hand out. The sequence
-- must keep CACHE 1, its default: numbers a session has cached could be
-- drawn below this.
CREATE FUNCTION pcmt_feed_next() RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM changes_seq_seq);
END
$$;

-- Takes the documents' locks in the order given (the hub sorts the keys,
-- so two pushes never wait for each other in a circle), then reads their
-- bytes, and the officer `device` is enrolled for. VOLATILE, so in READ
-- COMMITTED each statement below takes a snapshot of its own: the read
-- sees the document as the push that held the lock before committed it
-- (one statement locking and reading would read as of before the wait).
CREATE FUNCTION pcmt_lock_documents(keys BIGINT[], ids TEXT[], device TEXT)
RETURNS TABLE (doc_id TEXT, doc_bytes BYTEA, officer TEXT)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(k) FROM unnest(keys) AS k;
    RETURN QUERY SELECT NULL::TEXT, NULL::BYTEA, d.officer FROM devices d WHERE d.id = device;
    RETURN QUERY SELECT d.id, d.bytes, NULL::TEXT FROM documents d WHERE d.id = ANY(ids);
END
$$;

CREATE FUNCTION pcmt_put_documents(d pcmt_documents) RETURNS VOID LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO documents (id, kind, commune, bytes)
    SELECT * FROM unnest(d.id, d.kind, d.commune, d.bytes)
    ON CONFLICT (id) DO UPDATE
        SET kind = excluded.kind, commune = excluded.commune, bytes = excluded.bytes;
END
$$;

-- Replaced whole, as SQLite's INSERT OR REPLACE does (`due_on` too): a
-- document's old rows go from every table (an id is in its kind's only).
CREATE FUNCTION pcmt_put_rows(r pcmt_rows) RETURNS VOID LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF cardinality(r.ids) > 0 THEN
        UPDATE documents d SET deleted = u.deleted
            FROM unnest(r.ids, r.deleted) AS u(id, deleted) WHERE d.id = u.id;
        DELETE FROM site_rows WHERE survey = ANY(r.ids);
        DELETE FROM session_rows WHERE id = ANY(r.ids);
        DELETE FROM person_rows WHERE id = ANY(r.ids);
        DELETE FROM checkin_rows WHERE id = ANY(r.ids);
        DELETE FROM survey_rows WHERE id = ANY(r.ids);
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
END
$$;

CREATE FUNCTION pcmt_append_audit(a pcmt_audit) RETURNS VOID LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO audit_log
        (at, actor_kind, device_id, actor, action, record_id, record_kind, scope, detail)
    SELECT a.at, u.actor_kind, u.device_id, u.actor, u.action, u.record_id, u.record_kind,
           ARRAY(SELECT jsonb_array_elements_text(u.scope::jsonb)), u.detail
    FROM unnest(a.actor_kind, a.device_id, a.actor, a.action, a.record_id, a.record_kind,
                a.scope, a.detail)
         WITH ORDINALITY AS u(actor_kind, device_id, actor, action, record_id, record_kind, scope,
                              detail, n)
    ORDER BY u.n;
END
$$;

-- Appends the changes the feed lacks, in the order given; how many were
-- new. First it announces the push to pullers (see crates/hub/src/pg): a
-- shared lock keyed by the lowest number the feed can still hand out,
-- taken before any row draws a number and held to the commit, in the
-- two-key form (the key's high and low 32 bits). Shared: pushes never
-- wait for each other here.
CREATE FUNCTION pcmt_append_changes(c pcmt_changes) RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    key BIGINT;
    added BIGINT;
BEGIN
    IF cardinality(c.doc_id) = 0 THEN
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

-- A push's writes after its merge, in one call: documents, rows, audit
-- entries, then (last, so the feed's lock is held as briefly as can be)
-- the changes. How many changes were new.
CREATE FUNCTION pcmt_store_push(d pcmt_documents, r pcmt_rows, a pcmt_audit, c pcmt_changes)
RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pcmt_put_documents(d);
    PERFORM pcmt_put_rows(r);
    PERFORM pcmt_append_audit(a);
    RETURN pcmt_append_changes(c);
END
$$;

-- Below this, no change of this database can still appear (see
-- crates/hub/src/pg): the lowest number the sequence can hand out, then
-- (a statement after it) the lowest key of the pushes in flight here,
-- rebuilt from the two-key form. Other databases'
-- locks do not count; document locks (one-key form) are not looked at.
CREATE FUNCTION pcmt_feed_bound() RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n BIGINT := pcmt_feed_next();
BEGIN
    RETURN least(n, (
        SELECT min((l.classid::BIGINT << 32) | l.objid::BIGINT) FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())));
END
$$;

-- The feed below the watermark: up to `lim` rows after `after`, none from
-- `skip`, of `communes` (a device's pull) or of every commune (NULL: the
-- hub's own feed for the hub above). The bound is computed first; the
-- rows are read by a statement of its own (VOLATILE: a snapshot of its own
-- in READ COMMITTED), which sees every push that committed before. A
-- device's communes one by one, each from the index on (commune, seq): the
-- generic plan a function's statement settles on for any cursor and
-- communes would otherwise walk the whole feed from the cursor in seq
-- order, every commune's rows, to find the device's.
CREATE FUNCTION pcmt_feed(after BIGINT, communes TEXT[], lim BIGINT, skip TEXT, snapshots BOOLEAN)
RETURNS TABLE (seq BIGINT, doc_id TEXT, kind TEXT, commune TEXT, bytes BYTEA, snapshot BYTEA)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    bound BIGINT := pcmt_feed_bound();
BEGIN
    IF communes IS NULL THEN
        RETURN QUERY
        SELECT c.seq, c.doc_id, d.kind, c.commune, c.bytes, NULL::BYTEA
        FROM changes c JOIN documents d ON d.id = c.doc_id
        WHERE c.seq > after AND c.seq < bound AND c.origin IS DISTINCT FROM skip
        ORDER BY c.seq LIMIT lim;
    ELSE
        -- With `snapshots` (migration 0005's index, issue 18 item 4): a row
        -- that is its document's first change in the feed carries the
        -- document as stored, read by the same statement.
        RETURN QUERY
        SELECT c.seq, c.doc_id, d.kind, c.commune, c.bytes,
            CASE WHEN snapshots AND d.commune = ANY(communes)
                AND NOT EXISTS (SELECT 1 FROM changes e WHERE e.doc_id = c.doc_id AND e.seq < c.seq)
            THEN d.bytes END
        FROM unnest(communes) AS k(commune)
        CROSS JOIN LATERAL (
            SELECT * FROM changes c
            WHERE c.commune = k.commune AND c.seq > after AND c.seq < bound
              AND c.origin IS DISTINCT FROM skip
            ORDER BY c.seq LIMIT lim) c
        JOIN documents d ON d.id = c.doc_id
        ORDER BY c.seq LIMIT lim;
    END IF;
END
$$;
