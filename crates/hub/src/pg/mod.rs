//! The hub on PostgreSQL: the same protocol as the SQLite store (the scripts
//! are in `crate::storage`, written once), for offices beyond one district, where several
//! hub processes share one database.
//!
//! # Why pushes take the feed lock
//!
//! A device pulls "every change after seq N" and then holds N. With several
//! writers, sequence numbers are handed out when a row is inserted but
//! become visible when its transaction commits, and those two orders
//! differ: push A takes seq 10, push B takes seq 11 and commits first, a
//! reader sees 11 and moves its cursor to 11, then A commits seq 10 behind
//! the cursor — a change that device never receives. So every push takes
//! one transaction-level advisory lock (the feed lock) in its insert into
//! `changes`, before any row draws a number, and holds it until its commit; PostgreSQL
//! releases transaction locks only after the commit is visible to others.
//! Numbers are therefore handed out, and become visible, in one order: a
//! reader at N can never later find a committed change below N. Rolled back
//! pushes leave gaps, which are harmless. Every write to the feed (a
//! device's push, a batch pulled from the hub above) goes through
//! `storage::scripts::apply`, and so does every reader's guarantee: devices' pulls and
//! this hub's own upward push, which also reads "after position N".
//!
//! The lock is held only for the inserts and the commit. The slow part of a
//! push (loading and merging Automerge documents) runs before it, under a
//! lock per document instead, so two processes merging the same document
//! cannot overwrite each other's result; document locks are taken in key
//! order and always before the feed lock, so pushes cannot deadlock.
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
        include_str!("../../../../migrations/hub-pg/0005_changes_by_document.sql"),
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
        migrate(&mut *store.backend.pool.get()?, &store.rules)?;
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
}
