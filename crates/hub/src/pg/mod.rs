//! The hub on PostgreSQL: the same protocol as the SQLite store (the scripts
//! are in `crate::storage`, written once), for offices beyond one district, where several
//! hub processes share one database.
//!
//! # How a cursor stays exact with several writers
//!
//! A device pulls "every change after position N" and then holds N. With
//! several writers, a number handed out when a row is inserted becomes
//! visible when its transaction commits, and those two orders differ: push
//! A takes 10, push B takes 11 and commits first, a reader sees 11 and
//! moves its cursor to 11, then A commits 10 behind the cursor, a change
//! that device never receives. So the number a row gets at its insert
//! (`seq`) is not the one devices see. A row's position (`pos`, the number
//! pulls select by and cursors hold) is handed out after its push has
//! committed, by `feed_position()` (migration 0005), which each write runs
//! in a transaction of its own once it has committed, before the hub
//! answers: it takes the feed lock, gives every committed row still
//! without a position the next numbers (in `seq` order), and commits.
//! Positioning runs take turns on the lock and each commits before the
//! next begins (PostgreSQL releases a transaction's locks only after its
//! commit is visible), so positions become visible in the order they are
//! handed out: a reader at N can never later find a change positioned
//! below N. Rows of a push still in flight, or committed but not yet
//! positioned, are simply not pulled yet. Rolled back pushes leave no rows.
//!
//! Within a push, `seq` follows the order the changes are given; across
//! pushes, a change that depends on another was stored after that one's
//! push committed (the document lock, or its device pulled it), so it has
//! the higher `seq` and is positioned in the same run or a later one. A
//! document's changes therefore reach every puller after those they depend
//! on. A push is acknowledged only after its own changes have positions
//! (its run, or one that began after its commit), so a device that pulls
//! after a colleague's push was acknowledged receives it. Every write to
//! the feed (a device's push, a batch pulled from the hub above) goes
//! through `storage::scripts::apply` and [`Backend::write`](crate::storage::Backend),
//! and every reader (devices' pulls and this hub's own upward push) reads
//! positions only.
//!
//! Pushes no longer wait for each other to commit: they commit side by
//! side (PostgreSQL flushes concurrent commits together), and what takes
//! turns is one short run in the server, whose lock is held from the
//! moment it is granted through its commit without a round trip to a hub
//! in between (the call runs outside any transaction block, so the server
//! commits it as soon as it returns). A run that finds every row already
//! positioned by an earlier one writes nothing and flushes nothing.
//!
//! The slow part of a push (loading and merging Automerge documents) runs
//! under a lock per document, so two processes merging the same document
//! cannot overwrite each other's result; document locks are taken in key
//! order, and the feed lock only by positioning runs, which hold nothing
//! else, so pushes cannot deadlock.
//!
//! The synchronous `postgres` client runs its own small runtime: call this
//! store from blocking threads (as the server does), never from async code.

mod audit;
pub(crate) mod pool;
mod reads;
mod rows;
mod tx;

use crate::error::HubError;
use crate::storage::Hub;
use pcmt_core::projection::{self, REBUILD_KEY};
use pcmt_model::StatusRules;
use r2d2_postgres::postgres::{Client, Config, NoTls};
use r2d2_postgres::PostgresConnectionManager;
use rows::{hub_error, PgRows};
use uuid::Uuid;

/// The hub's advisory locks other than the per-document ones live in this
/// class (two-key form; document locks use the one-key form, a separate
/// key space in PostgreSQL).
const LOCK_CLASS: i32 = 0x5043_4d54; // "PCMT"
/// Taken by `feed_position()` only (see the module's doc).
const FEED_LOCK: i32 = 1;
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
        include_str!("../../../../migrations/hub-pg/0005_feed_positions.sql"),
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
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(std::time::Duration::from_secs(30))
            .build(pool::Manager(PostgresConnectionManager::new(config, NoTls)))?;
        let store = Hub::new(Pg { pool });
        let mut conn = store.backend.pool.get()?;
        migrate(&mut conn, &store.rules)?;
        // Rows a hub left unpositioned when it stopped between a push's
        // commit and its positioning.
        let pool::Connection { client, statements } = &mut *conn;
        position_feed(&mut PgRows(client, statements))?;
        drop(conn);
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

/// Gives the changes that committed without a position theirs (see the
/// module's doc). Outside any transaction block: the server commits the
/// run, and releases the feed lock, without waiting for this hub.
fn position_feed(rows: &mut PgRows<'_, Client>) -> Result<(), HubError> {
    rows.query("SELECT feed_position($1, $2)", &[&LOCK_CLASS, &FEED_LOCK])?;
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

    /// A connection to `db` with the schema of the migrations up to
    /// `version`, as an older hub left it.
    fn database_at(db: &crate::testing::TestDatabase, version: i32) -> Client {
        let mut client = Client::connect(&db.url, NoTls).unwrap();
        client
            .batch_execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            .unwrap();
        for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= version) {
            client.batch_execute(sql).unwrap();
            client
                .execute("INSERT INTO schema_version (version) VALUES ($1)", &[v])
                .unwrap();
        }
        client
    }

    /// Hub processes started together on a new database: one migrates,
    /// the others wait and find the schema done.
    #[test]
    fn stores_opened_at_once_on_a_new_database_migrate_it_once() {
        let Some(db) = crate::testing::TestDatabase::from_env(
            "stores_opened_at_once_on_a_new_database_migrate_it_once",
        )
        .expect("the PostgreSQL server of PCMT_TEST_PG") else {
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
        let Some(db) = crate::testing::TestDatabase::from_env(
            "a_database_from_before_the_rows_builds_them_when_a_hub_connects",
        )
        .expect("the PostgreSQL server of PCMT_TEST_PG") else {
            return;
        };
        let commune = "62-610-23290";
        let (id, mut doc) = crate::contract_tests::session_doc(commune);
        database_at(&db, 1)
            .execute(
                "INSERT INTO documents (id, kind, commune, bytes) VALUES ($1, 'session', $2, $3)",
                &[&id.to_string(), &commune, &doc.save()],
            )
            .unwrap();
        let store = db.store().unwrap();
        let (units, rules) = (store.units(), store.rules());
        let june = pcmt_model::report::Period::month(2026, 6).unwrap();
        let report = with_rows(&store, |rows| {
            pcmt_core::report::compute(rows, &units, &rules, commune, &june)
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
        let Some(db) = crate::testing::TestDatabase::from_env(
            "the_report_and_staff_tables_have_the_sqlite_hubs_columns",
        )
        .expect("the PostgreSQL server of PCMT_TEST_PG") else {
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
    /// first, B inserts after it and commits first. A puller that receives
    /// B moves its cursor past B; A, committed afterwards, must still come
    /// after that cursor. (Numbered at the insert, A would sit below it.)
    #[test]
    fn a_push_committed_after_a_later_one_still_reaches_a_cursor_past_that_one() {
        use crate::contract_tests::{office, pull, push_of, session_doc};
        use crate::rules::protocol::Writer;
        use crate::storage::scripts::apply;
        use r2d2_postgres::postgres::Transaction;
        let Some(db) = crate::testing::TestDatabase::from_env(
            "a_push_committed_after_a_later_one_still_reaches_a_cursor_past_that_one",
        )
        .expect("the PostgreSQL server of PCMT_TEST_PG") else {
            return;
        };
        let store = db.store().unwrap();
        let commune = "62-610-23284";
        let office = office();
        let connect = || {
            (
                Client::connect(&db.url, NoTls).unwrap(),
                pool::Statements::default(),
            )
        };
        let ((mut a, mut a_statements), (mut b, mut b_statements)) = (connect(), connect());
        // A new record's push, in a transaction left open.
        let push = |tx: &mut Transaction<'_>, statements: &mut pool::Statements| {
            let (id, mut doc) = session_doc(commune);
            apply(
                &mut PgRows(tx, statements),
                &push_of(id, commune, &mut doc).docs,
                Writer::Device(&office),
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

        let mut a_tx = a.transaction().unwrap();
        let a_id = push(&mut a_tx, &mut a_statements);
        let mut b_tx = b.transaction().unwrap();
        let b_id = push(&mut b_tx, &mut b_statements);
        assert!(
            seq(&mut a_tx, a_id) < seq(&mut b_tx, b_id),
            "A inserted first"
        );
        b_tx.commit().unwrap();
        position_feed(&mut PgRows(&mut b, &mut b_statements)).unwrap();
        let first = pull(&store, &[commune], 0);
        assert_eq!(pulled(&first), [b_id]);

        a_tx.commit().unwrap();
        position_feed(&mut PgRows(&mut a, &mut a_statements)).unwrap();
        let second = pull(&store, &[commune], first.cursor);
        assert_eq!(pulled(&second), [a_id], "A after the cursor that passed B");
        assert!(second.cursor > first.cursor);
        assert!(pull(&store, &[commune], second.cursor).docs.is_empty());
    }

    /// A database from before positions (migration 0005): its changes keep
    /// their numbers as positions, so the cursors devices hold stay exact,
    /// and changes pushed after the upgrade come after them.
    #[test]
    fn a_database_from_before_positions_keeps_the_cursors_devices_hold() {
        use crate::contract_tests::{office, pull, push_of, session_doc};
        use crate::storage::HubStorage;
        let Some(db) = crate::testing::TestDatabase::from_env(
            "a_database_from_before_positions_keeps_the_cursors_devices_hold",
        )
        .expect("the PostgreSQL server of PCMT_TEST_PG") else {
            return;
        };
        let commune = "62-610-23284";
        let mut client = database_at(&db, 4);
        let mut old = Vec::new();
        for _ in 0..2 {
            let (id, mut doc) = session_doc(commune);
            let change = push_of(id, commune, &mut doc).docs[0].changes[0].clone();
            let hash = automerge::Change::from_bytes(change.clone())
                .unwrap()
                .hash();
            client
                .execute(
                    "INSERT INTO documents (id, kind, commune, bytes) VALUES ($1, 'session', $2, $3)",
                    &[&id.to_string(), &commune, &doc.save()],
                )
                .unwrap();
            let seq: i64 = client
                .query_one(
                    "INSERT INTO changes (doc_id, commune, hash, bytes, origin)
                     VALUES ($1, $2, $3, $4, $5) RETURNING seq",
                    &[&id.to_string(), &commune, &hash.0.as_slice(), &change, &"d"],
                )
                .unwrap()
                .get(0);
            old.push((id, seq));
        }
        let store = db.store().unwrap();
        let held = u64::try_from(old[0].1).unwrap();
        let after_first = pull(&store, &[commune], held);
        assert_eq!(pulled(&after_first), [old[1].0]);
        assert_eq!(after_first.cursor, u64::try_from(old[1].1).unwrap());

        let (id, mut doc) = session_doc(commune);
        store
            .push(&office(), &push_of(id, commune, &mut doc))
            .unwrap();
        assert_eq!(pulled(&pull(&store, &[commune], after_first.cursor)), [id]);
    }
}
