//! The hub on PostgreSQL: the same protocol as the SQLite store (the scripts
//! are in `crate::storage`, written once), for offices beyond one district, where several
//! hub processes share one database.
//!
//! # How a cursor stays exact with several writers
//!
//! A device pulls "every change after seq N" and then holds N. With
//! several writers, numbers are handed out when a row is inserted but
//! become visible when its transaction commits, and those two orders
//! differ: push A takes 10, push B takes 11 and commits first, a reader
//! sees 11 and moves its cursor to 11, then A commits 10 behind the cursor,
//! a change that device never receives. Pushes therefore announce
//! themselves, and pulls stop below the first push still in flight (the
//! feed's watermark):
//!
//! - A push's insert into `changes` (`pcmt_append_changes`, migration
//!   0006) first takes a shared advisory lock keyed by `pcmt_feed_next()`,
//!   the lowest number the sequence can still hand out, and only then
//!   draws its numbers (all at or above that key); the lock is held to its
//!   commit. PostgreSQL releases a transaction's locks only after its
//!   commit is visible to others.
//! - A pull (`pcmt_feed`, one call) first asks for the bound
//!   (`pcmt_feed_bound`): `pcmt_feed_next()`, then the lowest such lock in
//!   this database. Then, in a statement of its own (the function is
//!   VOLATILE, so in READ COMMITTED each of its statements takes a new
//!   snapshot, which sees every commit before it), it reads the rows below
//!   the bound.
//!
//! A change below the bound was drawn by a push that held its lock (with a
//! key at or below the change) before the pull read the sequence, so that
//! push either still held it when the pull looked at the locks (and the
//! bound is at or below its key), or had released it, hence committed
//! before the rows were read. So a reader at N can never later find a
//! committed change below N. Rolled back pushes leave gaps, which are
//! harmless. The locks are shared: pushes never wait for each other for
//! the feed, and commit side by side (PostgreSQL flushes concurrent
//! commits together). Every write to the feed (a device's push, a batch
//! pulled from the hub above) goes through `storage::scripts::apply`, and
//! every reader through the bound: devices' pulls and this hub's own
//! upward push, which also reads "after position N".
//!
//! The price: a pull does not see past a push still in flight, whose lock
//! is held from the feed's insert (the end of a push's one write call) to
//! its commit, a round trip (a push with check-ins refreshes its people's
//! due dates in between, a few more). Only this database's locks count,
//! not those of other databases on the same server. A hub whose connection hung inside
//! a push would hold pulls back until the server ends that transaction
//! (the feed lock this replaces held every push back instead). All hub
//! processes sharing a database must run this scheme: stop them all to
//! upgrade from a hub that took the feed lock.
//!
//! The slow part of a push (loading and merging Automerge documents) runs
//! under a lock per document, so two processes merging the same document
//! cannot overwrite each other's result; document locks are taken in key
//! order, and the feed's locks are shared and never waited for, so pushes
//! cannot deadlock.
//!
//! The synchronous `postgres` client runs its own small runtime: call this
//! store from blocking threads (as the server does), never from async code.

mod audit;
mod calls;
pub(crate) mod pool;
mod reads;
mod rows;
mod tx;

use crate::error::HubError;
use crate::storage::{Hub, OfficeStorage};
use pcmt_core::projection::{self, REBUILD_KEY};
use pcmt_model::StatusRules;
use r2d2_postgres::postgres::{Client, Config, NoTls};
use r2d2_postgres::PostgresConnectionManager;
use rows::{hub_error, PgRows};
use uuid::Uuid;

/// The hub's advisory locks other than the per-document ones and the
/// feed's live in this class (two-key form; document locks use the one-key
/// form, a separate key space in PostgreSQL; the feed's, two-key as well,
/// are below 2^62 and therefore have a first key far below this).
const LOCK_CLASS: i32 = 0x5043_4d54; // "PCMT"
const MIGRATE_LOCK: i32 = 2;

/// Ordered migrations from `migrations/hub-pg`, applied at start-up.
/// Versions are the files' numbers; gaps are fine (a number is reserved
/// for a migration on another branch).
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        include_str!("../../../../migrations/hub-pg/0001_init.sql"),
    ),
    (
        2,
        include_str!("../../../../migrations/hub-pg/0002_report_rows.sql"),
    ),
    (
        3,
        include_str!("../../../../migrations/hub-pg/0003_lost_devices.sql"),
    ),
    (
        4,
        include_str!("../../../../migrations/hub-pg/0004_audit.sql"),
    ),
    (
        5,
        include_str!("../../../../migrations/hub-pg/0005_changes_by_document.sql"),
    ),
    (
        6,
        include_str!("../../../../migrations/hub-pg/0006_push_functions.sql"),
    ),
    (
        7,
        include_str!("../../../../migrations/hub-pg/0007_drug_free_communes.sql"),
    ),
    (
        8,
        include_str!("../../../../migrations/hub-pg/0008_staff_roles.sql"),
    ),
    (
        9,
        include_str!("../../../../migrations/hub-pg/0009_staff_disabled.sql"),
    ),
    (
        10,
        include_str!("../../../../migrations/hub-pg/0010_hot_spots.sql"),
    ),
    (
        11,
        include_str!("../../../../migrations/hub-pg/0011_org_units.sql"),
    ),
    (
        12,
        include_str!("../../../../migrations/hub-pg/0012_unit_dates.sql"),
    ),
    (
        13,
        include_str!("../../../../migrations/hub-pg/0013_attachments.sql"),
    ),
    (
        14,
        include_str!("../../../../migrations/hub-pg/0014_person_moves.sql"),
    ),
    (
        15,
        include_str!("../../../../migrations/hub-pg/0015_attachment_purges.sql"),
    ),
    (
        16,
        include_str!("../../../../migrations/hub-pg/0016_push_clears_refs.sql"),
    ),
    (
        17,
        include_str!("../../../../migrations/hub-pg/0017_generic_plans.sql"),
    ),
];

/// Connections one hub process keeps: requests beyond this wait for one.
pub const DEFAULT_POOL_SIZE: u32 = 8;

type Pool = r2d2::Pool<pool::Manager>;

/// The hub store on PostgreSQL.
pub type PgHubStore = Hub<Pg>;

/// The PostgreSQL database behind a [`PgHubStore`]: a pool of connections.
pub struct Pg {
    pool: Pool,
}

impl Hub<Pg> {
    /// Connects to `url` (`postgres://user@host:port/db`) and brings the
    /// schema up to date.
    pub fn connect(url: &str, pool_size: u32) -> Result<Self, HubError> {
        let config: Config = url.parse()?;
        // Not tested on check-out: r2d2's test is an empty query, a round
        // trip before every request's statements (a sync's four requests:
        // four more round trips). A connection the server dropped is
        // noticed by the request that uses it, which fails (the tablet
        // syncs again), and the pool then discards it (`has_broken`).
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .test_on_check_out(false)
            .connection_timeout(std::time::Duration::from_secs(30))
            .build(pool::Manager(PostgresConnectionManager::new(config, NoTls)))?;
        let store = Hub::new(Pg { pool });
        migrate(&mut *store.backend.pool.get()?, &store.rules)?;
        store.refresh_units()?;
        Ok(store)
    }

    /// A connection for tests that must go around the store (to try what
    /// the store never does, such as changing the audit log).
    #[cfg(test)]
    pub(crate) fn client(&self) -> Result<r2d2::PooledConnection<pool::Manager>, HubError> {
        Ok(self.backend.pool.get()?)
    }
}

/// Applies the migrations this database lacks, and rebuilds the projection
/// rows when one asks for it (documents stored before the rows existed).
/// Hub processes starting together take turns: the first does it, the
/// others find it done.
fn migrate(client: &mut Client, rules: &StatusRules) -> Result<(), HubError> {
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&LOCK_CLASS, &MIGRATE_LOCK],
    )?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    // Each version by itself, not "above the highest": a reserved number
    // merged later than a higher one still runs.
    let have = tx
        .query("SELECT version FROM schema_version", &[])?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<i32>, _>>()?;
    for (version, sql) in MIGRATIONS {
        if !have.contains(version) {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[version],
            )?;
        }
    }
    let wanted = tx
        .query_opt("SELECT 1 FROM meta WHERE key = $1", &[&REBUILD_KEY])?
        .is_some();
    if wanted {
        let unreadable = projection::rebuild(
            &mut PgRows(&mut tx, &mut pool::Statements::default()),
            rules,
        )
        .map_err(hub_error)?;
        for u in &unreadable {
            tracing::warn!(id = %u.id, error = %u.error, "record left out of the hub's reports");
        }
    }
    tx.commit()?;
    Ok(())
}

/// The one-key advisory lock of a document. Two ids sharing a key only
/// wait for each other.
fn doc_lock_key(id: &Uuid) -> i64 {
    let v = id.as_u128();
    ((v >> 64) as u64 ^ v as u64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use r2d2_postgres::postgres::Transaction;

    /// The test's own database on the server of `PCMT_TEST_PG`; None
    /// without one (the test then stops there, as every test of this
    /// module does).
    fn database(name: &str) -> Option<crate::testing::TestDatabase> {
        crate::testing::TestDatabase::from_env(name).expect("the PostgreSQL server of PCMT_TEST_PG")
    }

    /// As [`database`], migrated by a store opened and dropped.
    fn migrated(name: &str) -> Option<crate::testing::TestDatabase> {
        let db = database(name)?;
        drop(db.store().unwrap());
        Some(db)
    }

    /// Hub processes started together on a new database: one migrates,
    /// the others wait and find the schema done.
    #[test]
    fn stores_opened_at_once_on_a_new_database_migrate_it_once() {
        let Some(db) = database("stores_opened_at_once_on_a_new_database_migrate_it_once") else {
            return;
        };
        let stores: Vec<PgHubStore> = std::thread::scope(|s| {
            let opening: Vec<_> = (0..4).map(|_| s.spawn(|| db.store())).collect();
            opening
                .into_iter()
                .map(|o| o.join().expect("no panic").expect("a store"))
                .collect()
        });
        let versions: i64 = stores[0]
            .client()
            .unwrap()
            .query_one("SELECT count(*) FROM schema_version", &[])
            .unwrap()
            .get(0);
        assert_eq!(versions, MIGRATIONS.len() as i64);
    }

    /// A database that held documents before migration 0002 gets their
    /// rows when the first hub connects after it.
    #[test]
    fn a_database_from_before_the_rows_builds_them_when_a_hub_connects() {
        use crate::storage::{with_rows, HubStorage, OfficeStorage};
        let Some(db) = database("a_database_from_before_the_rows_builds_them_when_a_hub_connects")
        else {
            return;
        };
        let commune = "62-610-23290";
        let (id, mut doc) = crate::contract_tests::session_doc(commune);
        {
            let mut client = Client::connect(&db.url, NoTls).unwrap();
            client
                .batch_execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                .unwrap();
            client.batch_execute(MIGRATIONS[0].1).unwrap();
            client
                .execute("INSERT INTO schema_version (version) VALUES (1)", &[])
                .unwrap();
            client
                .execute(
                    "INSERT INTO documents (id, kind, commune, bytes) VALUES ($1, 'session', $2, $3)",
                    &[&id.to_string(), &commune, &doc.save()],
                )
                .unwrap();
        }
        let store = db.store().unwrap();
        let (units, rules) = (store.units(), store.rules());
        let june = pcmt_model::report::Period::month(2026, 6).unwrap();
        let report = with_rows(&store, |rows| {
            pcmt_core::report::compute(rows, &units, &rules, commune, &june, june.until)
        })
        .unwrap()
        .unwrap();
        let attendees = report
            .indicator(pcmt_model::report::IndicatorCode::Attendees)
            .and_then(|i| i.value);
        assert_eq!(attendees, Some(200.0));
        assert_eq!(store.meta(REBUILD_KEY).unwrap(), None, "rebuilt once");
    }

    /// Migration 0002 has the tables of SQLite's 0005 and 0006, column for
    /// column, so both stores keep the same rows.
    #[test]
    fn the_report_and_staff_tables_have_the_sqlite_hubs_columns() {
        let Some(db) = database("the_report_and_staff_tables_have_the_sqlite_hubs_columns") else {
            return;
        };
        let store = db.store().unwrap();
        let sqlite = crate::sqlite::HubStore::open_in_memory().unwrap();
        let tables = projection::ROW_TABLES
            .iter()
            .chain(&["staff", "staff_sessions", "documents"]);
        for table in tables {
            let conn = sqlite.conn();
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
                ))
                .unwrap();
            let want: Vec<String> = stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let have: Vec<String> = store
                .client()
                .unwrap()
                .query(
                    "SELECT column_name::text FROM information_schema.columns
                     WHERE table_name = $1 ORDER BY ordinal_position",
                    &[table],
                )
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            assert!(!want.is_empty(), "{table}");
            assert_eq!(have, want, "{table}");
        }
    }

    /// The ids of a pull's documents, in feed order.
    fn pulled(feed: &pcmt_core::sync::wire::PullResponse) -> Vec<Uuid> {
        feed.docs.iter().map(|d| d.id).collect()
    }

    /// Two pushes in flight at once, driven by hand: A inserts its change
    /// first, B inserts after it and commits first. A puller must not move
    /// its cursor past B while A may still commit below it; once A has
    /// committed it receives both, A first. (Pulling every committed row, its
    /// cursor would pass B and never come back for A.)
    #[test]
    fn a_push_committing_after_a_later_one_is_not_skipped_by_a_puller() {
        use crate::contract_tests::{office, pull, push_of, session_doc};
        use crate::rules::protocol::Writer;
        use crate::storage::scripts::apply;
        let Some(db) = database("a_push_committing_after_a_later_one_is_not_skipped_by_a_puller")
        else {
            return;
        };
        let store = db.store().unwrap();
        let commune = "62-610-23284";
        let office = office();
        // A new record's push, in a transaction left open.
        let push = |tx: &mut Transaction<'_>| {
            let (id, mut doc) = session_doc(commune);
            apply(
                &mut PgRows(tx, &mut pool::Statements::default()),
                &push_of(id, commune, &mut doc).docs,
                Writer::Device(&office),
                &store.units(),
                &store.rules,
            )
            .unwrap();
            id
        };
        let seq = |tx: &mut Transaction<'_>, id: Uuid| -> i64 {
            tx.query_one(
                "SELECT seq FROM changes WHERE doc_id = $1",
                &[&id.to_string()],
            )
            .unwrap()
            .get(0)
        };
        let (mut a, mut b) = (
            Client::connect(&db.url, NoTls).unwrap(),
            Client::connect(&db.url, NoTls).unwrap(),
        );
        let before = pull(&store, &[commune], 0);

        let mut a_tx = a.transaction().unwrap();
        let a_id = push(&mut a_tx);
        let mut b_tx = b.transaction().unwrap();
        let b_id = push(&mut b_tx);
        assert!(
            seq(&mut a_tx, a_id) < seq(&mut b_tx, b_id),
            "A inserted first"
        );
        b_tx.commit().unwrap();
        let while_a_is_open = pull(&store, &[commune], before.cursor);
        assert!(while_a_is_open.docs.is_empty(), "B waits for A");
        assert_eq!(while_a_is_open.cursor, before.cursor);

        a_tx.commit().unwrap();
        let after = pull(&store, &[commune], while_a_is_open.cursor);
        assert_eq!(pulled(&after), [a_id, b_id]);
        assert!(pull(&store, &[commune], after.cursor).docs.is_empty());
    }

    /// Two pushes of one record at once, driven by hand: B asks for the
    /// document while A holds its lock with an edit not yet committed. B
    /// waits, and once A commits it must read A's version: merging onto the
    /// one before would drop A's edit from the stored document. (Locking
    /// and reading in one statement, or in a STABLE function, reads as of
    /// before the wait.)
    #[test]
    fn a_push_waiting_for_a_documents_lock_reads_what_the_holder_committed() {
        use crate::contract_tests::{office, push_of, session_doc};
        use crate::rules::protocol::Writer;
        use crate::storage::scripts::apply;
        use crate::storage::{HubStorage, WriteTx};
        use automerge::transaction::Transactable;
        use pcmt_core::sync::wire::DocChanges;
        use pcmt_model::RecordKind;
        let Some(db) =
            database("a_push_waiting_for_a_documents_lock_reads_what_the_holder_committed")
        else {
            return;
        };
        let store = db.store().unwrap();
        let commune = "62-610-23284";
        let office = office();
        let (id, mut doc) = session_doc(commune);
        store
            .push(&office, &push_of(id, commune, &mut doc))
            .unwrap();
        let stored = |tx: &mut Transaction<'_>| -> Vec<u8> {
            tx.query_one(
                "SELECT bytes FROM documents WHERE id = $1",
                &[&id.to_string()],
            )
            .unwrap()
            .get(0)
        };

        let mut a = Client::connect(&db.url, NoTls).unwrap();
        let mut a_tx = a.transaction().unwrap();
        let heads = doc.get_heads();
        doc.put(automerge::ROOT, "attendees", 301).unwrap();
        let edit = DocChanges::since(id, RecordKind::Session, commune, &mut doc, &heads);
        apply(
            &mut PgRows(&mut a_tx, &mut pool::Statements::default()),
            &[edit],
            Writer::Device(&office),
            &store.units(),
            &store.rules,
        )
        .unwrap();
        let edited = stored(&mut a_tx);

        let read_by_b = std::thread::scope(|s| {
            let b = s.spawn(|| {
                let mut b = Client::connect(&db.url, NoTls).unwrap();
                let mut b_tx = b.transaction().unwrap();
                PgRows(&mut b_tx, &mut pool::Statements::default())
                    .lock_documents(&[id], office.device)
                    .unwrap()
                    .stored
                    .remove(&id.to_string())
                    .expect("stored")
            });
            let mut watch = Client::connect(&db.url, NoTls).unwrap();
            // Until B waits for A's lock.
            while watch
                .query_one(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                     WHERE d.datname = current_database() AND l.locktype = 'advisory'
                       AND NOT l.granted",
                    &[],
                )
                .unwrap()
                .get::<_, i64>(0)
                == 0
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            a_tx.commit().unwrap();
            b.join().unwrap()
        });
        assert!(
            read_by_b == edited,
            "B read the document as it was before A's edit"
        );
    }

    /// A connection the server ended (a restart, an administrator) fails
    /// at most the one request that meets it, and the pool replaces it:
    /// connections are not tested on check-out (a round trip before every
    /// request), so the next request must not meet it again.
    #[test]
    fn a_connection_the_server_ended_is_replaced_after_one_request() {
        use crate::storage::HubStorage;
        let Some(db) = migrated("a_connection_the_server_ended_is_replaced_after_one_request")
        else {
            return;
        };
        let store = PgHubStore::connect(&db.url, 1).unwrap();
        assert_eq!(store.document_count().unwrap(), 0);
        let ended: i64 = Client::connect(&db.url, NoTls)
            .unwrap()
            .query_one(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000))
                 FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(ended, 1, "the pool's one connection");
        // This one may meet the ended connection and fail.
        let _ = store.document_count();
        assert_eq!(store.document_count().unwrap(), 0);
    }

    /// The functions a sync calls plan their statements once, not at every
    /// call (migration 0017): a later CREATE OR REPLACE that forgot the
    /// setting would bring back a plan a call, with nothing else to show.
    #[test]
    fn a_sync_s_reads_run_on_generic_plans_whatever_the_session_says() {
        let Some(db) = migrated("a_sync_s_reads_run_on_generic_plans_whatever_the_session_says")
        else {
            return;
        };
        let mut client = Client::connect(&db.url, NoTls).unwrap();
        for function in ["pcmt_feed", "pcmt_lock_documents"] {
            let config: Option<Vec<String>> = client
                .query_one(
                    "SELECT proconfig FROM pg_proc WHERE proname = $1",
                    &[&function],
                )
                .unwrap()
                .get(0);
            assert_eq!(
                config.unwrap_or_default(),
                ["plan_cache_mode=force_generic_plan"],
                "{function}"
            );
        }
    }

    /// A device's pull reads its communes from the index on (commune, seq),
    /// also in the generic plan a function's statement settles on after a
    /// few runs, where the cursor and communes are unknown: a plan walking
    /// the feed in seq order reads every commune's rows after the cursor.
    /// The plans of the function's statements come back as notices
    /// (`auto_explain`, a module of PostgreSQL's own).
    #[test]
    fn a_pull_reads_its_communes_from_their_index_whatever_the_cursor() {
        use std::sync::{Arc, Mutex};
        let Some(db) = migrated("a_pull_reads_its_communes_from_their_index_whatever_the_cursor")
        else {
            return;
        };
        let notices = Arc::new(Mutex::new(Vec::new()));
        let mut config: Config = db.url.parse().unwrap();
        let kept = notices.clone();
        config.notice_callback(move |n| kept.lock().unwrap().push(n.message().to_string()));
        let mut client = config.connect(NoTls).unwrap();
        client
            .batch_execute(
                "INSERT INTO documents (id, kind, commune, bytes)
                     SELECT 'd' || i, 'session', 'c' || i % 50, '\\x00' FROM generate_series(1, 2000) i;
                 INSERT INTO changes (doc_id, commune, hash, bytes, origin)
                     SELECT 'd' || i, 'c' || i % 50, sha256(i::text::bytea), '\\x00', 'o'
                     FROM generate_series(1, 2000) i;
                 ANALYZE;
                 SET plan_cache_mode = force_generic_plan;
                 LOAD 'auto_explain';
                 SET auto_explain.log_min_duration = 0;
                 SET auto_explain.log_nested_statements = on;
                 SET auto_explain.log_level = notice;",
            )
            .unwrap();
        let rows = client
            .query(
                "SELECT * FROM pcmt_feed(0, ARRAY['c7'], 51, 'x', true)",
                &[],
            )
            .unwrap();
        assert_eq!(rows.len(), 40, "every row of c7");
        let plans = notices.lock().unwrap().join("\n");
        assert!(plans.contains("changes_by_commune"), "{plans}");
        assert!(!plans.contains("changes_pkey"), "{plans}");
    }
}
