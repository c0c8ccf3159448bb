//! The hub on PostgreSQL: the same protocol as the SQLite store (the logic
//! is in [`crate::storage`]), for offices beyond one district, where several
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
//! one transaction-level advisory lock (the feed lock) right before its
//! first insert into `changes` and holds it until its commit; PostgreSQL
//! releases transaction locks only after the commit is visible to others.
//! Numbers are therefore handed out, and become visible, in one order: a
//! reader at N can never later find a committed change below N. Rolled back
//! pushes leave gaps, which are harmless. Every write to the feed (a
//! device's push, a batch pulled from the hub above) goes through
//! `apply_docs`, and so does every reader's guarantee: devices' pulls and
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

use crate::audit::{self, Action, Actor, Entry};
use crate::devices::{code_hash, hash, new_code, new_token, now, Scope};
use crate::pg_dashboard::{hub_error, PgRows};
use crate::storage::{
    self, Batch, CodeRow, DeviceRow, FeedRow, HubStorage, Writer, PULL_ROWS, UPLINK_PULL_KEY,
    UPLINK_ROWS,
};
use crate::store::HubError;
use crate::uplink::UPLINK_ORIGIN;
use pcmt_core::projection::{self, REBUILD_KEY};
use pcmt_core::sync::wire::{
    DocChanges, Enrolment, PullRequest, PullResponse, PushAck, PushRequest,
};
use pcmt_model::{OrgTree, StatusRules};
use r2d2_postgres::postgres::{self, Client, Config, NoTls};
use r2d2_postgres::PostgresConnectionManager;
use std::sync::Arc;
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
    (1, include_str!("../../../migrations/hub-pg/0001_init.sql")),
    (
        2,
        include_str!("../../../migrations/hub-pg/0002_report_rows.sql"),
    ),
    (
        3,
        include_str!("../../../migrations/hub-pg/0003_lost_devices.sql"),
    ),
    (4, include_str!("../../../migrations/hub-pg/0004_audit.sql")),
];

/// Connections one hub process keeps: requests beyond this wait for one.
pub const DEFAULT_POOL_SIZE: u32 = 8;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

pub struct PgHubStore {
    pub(crate) pool: Pool,
    /// The org tree reports roll up through: the bundled demo district, as
    /// on the SQLite store.
    pub(crate) units: Arc<OrgTree>,
    pub(crate) rules: Arc<StatusRules>,
}

impl PgHubStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and brings the
    /// schema up to date.
    pub fn connect(url: &str, pool_size: u32) -> Result<Self, HubError> {
        let config: Config = url.parse()?;
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(std::time::Duration::from_secs(30))
            .build(PostgresConnectionManager::new(config, NoTls))?;
        let store = Self {
            pool,
            units: Arc::new(OrgTree::demo()),
            rules: Arc::new(StatusRules::bundled()),
        };
        migrate(&mut *store.pool.get()?, &store.rules)?;
        Ok(store)
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
        let unreadable = projection::rebuild(&mut PgRows(&mut tx), rules).map_err(hub_error)?;
        for u in &unreadable {
            tracing::warn!(id = %u.id, error = %u.error, "record left out of the hub's reports");
        }
    }
    tx.commit()?;
    Ok(())
}

/// A feed row selected as (seq, doc_id, kind, commune, bytes).
fn feed_row(r: &postgres::Row) -> Result<FeedRow, HubError> {
    Ok(FeedRow {
        seq: r.try_get(0)?,
        doc_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        commune: r.try_get(3)?,
        bytes: r.try_get(4)?,
    })
}

/// The one-key advisory lock of a document. Two ids sharing a key only
/// wait for each other.
fn doc_lock_key(id: &Uuid) -> i64 {
    let v = id.as_u128();
    ((v >> 64) as u64 ^ v as u64) as i64
}

/// Merges and stores `docs` in `tx`, their new changes appended to the
/// feed as coming from `writer`; returns how many changes were new. The
/// transaction must be committed by the caller, and holds the feed lock
/// from the first insert until then (see the module's comment).
fn apply_docs(
    tx: &mut postgres::Transaction<'_>,
    docs: &[DocChanges],
    writer: Writer<'_>,
    rules: &StatusRules,
) -> Result<u32, HubError> {
    let mut keys: Vec<i64> = docs.iter().map(|d| doc_lock_key(&d.id)).collect();
    keys.sort_unstable();
    keys.dedup();
    for key in &keys {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[key])?;
    }
    let mut merged = Vec::new();
    let mut actor = None;
    for dc in docs {
        let id = dc.id.to_string();
        let existing: Option<Vec<u8>> = tx
            .query_opt("SELECT bytes FROM documents WHERE id = $1", &[&id])?
            .map(|r| r.try_get(0))
            .transpose()?;
        let Some(mut m) = storage::merge(existing.as_deref(), dc, writer)? else {
            continue;
        };
        tx.execute(
            "INSERT INTO documents (id, kind, commune, bytes) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, commune = excluded.commune, bytes = excluded.bytes",
            &[&id, &m.kind, &m.commune, &m.doc.save()],
        )?;
        // Rows before the feed lock: it is held only for the inserts below.
        storage::refresh_rows(&mut PgRows(&mut *tx), &m.doc, rules)?;
        let actor = match &actor {
            Some(a) => a,
            None => {
                let origin = writer.origin();
                actor.insert(Actor::of_origin(origin, || audit::pg_officer(tx, origin))?)
            }
        };
        audit::pg_append(
            tx,
            &Entry::record(
                actor.clone(),
                m.action,
                dc.id,
                m.kind,
                &m.commune,
                m.fresh.len(),
            ),
        )?;
        merged.push((id, m));
    }
    if merged.is_empty() {
        return Ok(0);
    }
    // Held to commit: see the module's comment.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&LOCK_CLASS, &FEED_LOCK],
    )?;
    let insert = tx.prepare(
        "INSERT INTO changes (doc_id, commune, hash, bytes, origin) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (hash) DO NOTHING",
    )?;
    let origin = writer.origin().to_string();
    let mut added = 0u32;
    for (id, m) in &mut merged {
        for change in &mut m.fresh {
            let hash = change.hash().0.to_vec();
            let bytes = change.bytes().into_owned();
            added += tx.execute(&insert, &[id, &m.commune, &hash, &bytes, &origin])? as u32;
        }
    }
    Ok(added)
}

impl PgHubStore {
    /// A connection for tests that must go around the store (to try what
    /// the store never does, such as changing the audit log).
    #[cfg(test)]
    pub(crate) fn client(
        &self,
    ) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, HubError> {
        Ok(self.pool.get()?)
    }
}

impl HubStorage for PgHubStore {
    fn push(&self, scope: &Scope, req: &PushRequest) -> Result<PushAck, HubError> {
        storage::check_push(scope, req)?;
        let mut client = self.pool.get()?;
        let mut tx = client.transaction()?;
        let new_changes = apply_docs(&mut tx, &req.docs, Writer::Device(scope), &self.rules)?;
        tx.commit()?;
        Ok(storage::ack(req, new_changes))
    }

    fn pull(&self, scope: &Scope, req: &PullRequest) -> Result<PullResponse, HubError> {
        let allowed = storage::pull_communes(scope, req)?;
        let mut client = self.pool.get()?;
        let rows = client.query(
            "SELECT c.seq, c.doc_id, d.kind, c.commune, c.bytes
             FROM changes c JOIN documents d ON d.id = c.doc_id
             WHERE c.seq > $1 AND c.commune = ANY($2) AND c.origin IS DISTINCT FROM $4
             ORDER BY c.seq LIMIT $3",
            &[
                &storage::cursor(req)?,
                &allowed,
                &i64::from(PULL_ROWS + 1),
                &scope.device.to_string(),
            ],
        )?;
        let mut batch = Batch::new(req);
        for r in &rows {
            if !batch.add(feed_row(r)?)? {
                break;
            }
        }
        Ok(batch.finish())
    }

    fn issue_code(
        &self,
        communes: &[String],
        officer: &str,
        valid_secs: i64,
    ) -> Result<String, HubError> {
        let (code_hash, communes_json, shown) = new_code(communes)?;
        let mut client = self.pool.get()?;
        let mut tx = client.transaction()?;
        tx.execute(
            "INSERT INTO enrolment_codes (code_hash, communes, officer, expires_at) VALUES ($1, $2, $3, $4)",
            &[&code_hash, &communes_json, &officer, &(now() + valid_secs)],
        )?;
        audit::pg_append(&mut tx, &Entry::code_issued(communes, officer))?;
        tx.commit()?;
        Ok(shown)
    }

    fn enrol(&self, code: &str, device: Uuid) -> Result<Enrolment, HubError> {
        let mut client = self.pool.get()?;
        let mut tx = client.transaction()?;
        // FOR UPDATE: a device marked lost meanwhile waits for this to end.
        storage::not_lost(
            tx.query_opt(
                "SELECT lost_at IS NOT NULL FROM devices WHERE id = $1 FOR UPDATE",
                &[&device.to_string()],
            )?
            .map(|r| r.try_get(0))
            .transpose()?,
        )?;
        // FOR UPDATE: two hub processes given the same code at once; the
        // second waits, then finds it used.
        let row = tx
            .query_opt(
                "SELECT communes, officer, expires_at, used_by FROM enrolment_codes
                 WHERE code_hash = $1 FOR UPDATE",
                &[&code_hash(code)],
            )?
            .map(|r| -> Result<CodeRow, HubError> {
                Ok(CodeRow {
                    communes: r.try_get(0)?,
                    officer: r.try_get(1)?,
                    expires_at: r.try_get(2)?,
                    used_by: r.try_get(3)?,
                })
            })
            .transpose()?;
        let code_row = storage::usable_code(row)?;
        let (token, token_hash) = new_token()?;
        let device_id = device;
        let device = device.to_string();
        tx.execute(
            "UPDATE enrolment_codes SET used_by = $2 WHERE code_hash = $1",
            &[&code_hash(code), &device],
        )?;
        tx.execute(
            "INSERT INTO devices (id, token_hash, communes, officer, enrolled_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, communes = excluded.communes,
               officer = excluded.officer, enrolled_at = excluded.enrolled_at, revoked_at = NULL",
            &[&device, &token_hash, &code_row.communes, &code_row.officer, &now()],
        )?;
        audit::pg_append(
            &mut tx,
            &Entry::enrolled(device_id, &code_row.officer, &code_row.communes),
        )?;
        tx.commit()?;
        storage::enrolment(token, &code_row.communes, code_row.officer)
    }

    fn authenticate(&self, token: &str) -> Result<Scope, HubError> {
        let row = self
            .pool
            .get()?
            .query_opt(
                "SELECT id, communes, revoked_at IS NOT NULL, lost_at IS NOT NULL FROM devices
                 WHERE token_hash = $1",
                &[&hash(token)],
            )?
            .map(|r| -> Result<DeviceRow, HubError> {
                Ok(DeviceRow {
                    id: r.try_get(0)?,
                    communes: r.try_get(1)?,
                    revoked: r.try_get(2)?,
                    lost: r.try_get(3)?,
                })
            })
            .transpose()?;
        storage::scope_of(row)
    }

    fn revoke(&self, device: Uuid) -> Result<bool, HubError> {
        let mut client = self.pool.get()?;
        let mut tx = client.transaction()?;
        let revoked = tx.query_opt(
            "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
             RETURNING officer, communes",
            &[&device.to_string(), &now()],
        )?;
        if let Some(row) = &revoked {
            let (officer, communes): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            audit::pg_append(
                &mut tx,
                &Entry::withdrawn(Action::DeviceRevoked, device, &officer, &communes),
            )?;
        }
        tx.commit()?;
        Ok(revoked.is_some())
    }

    fn mark_lost(&self, device: Uuid) -> Result<bool, HubError> {
        let mut client = self.pool.get()?;
        let mut tx = client.transaction()?;
        let lost = tx.query_opt(
            "UPDATE devices SET lost_at = $2, revoked_at = coalesce(revoked_at, $2)
             WHERE id = $1 AND lost_at IS NULL RETURNING officer, communes",
            &[&device.to_string(), &now()],
        )?;
        if let Some(row) = &lost {
            let (officer, communes): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            audit::pg_append(
                &mut tx,
                &Entry::withdrawn(Action::DeviceLost, device, &officer, &communes),
            )?;
        }
        tx.commit()?;
        Ok(lost.is_some())
    }

    fn document_count(&self) -> Result<u64, HubError> {
        let n: i64 = self
            .pool
            .get()?
            .query_one("SELECT count(*) FROM documents", &[])?
            .try_get(0)?;
        Ok(n.unsigned_abs())
    }

    fn meta(&self, key: &str) -> Result<Option<String>, HubError> {
        Ok(self
            .pool
            .get()?
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), HubError> {
        self.pool.get()?.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn changes_after(
        &self,
        after: i64,
        max_bytes: usize,
    ) -> Result<(Vec<DocChanges>, i64), HubError> {
        let rows = self
            .pool
            .get()?
            .query(
                "SELECT c.seq, c.doc_id, d.kind, c.commune, c.bytes FROM changes c JOIN documents d ON d.id = c.doc_id
                 WHERE c.seq > $1 AND c.origin IS DISTINCT FROM $2 ORDER BY c.seq LIMIT $3",
                &[&after, &UPLINK_ORIGIN.to_string(), &UPLINK_ROWS],
            )?
            .iter()
            .map(feed_row)
            .collect::<Result<Vec<_>, _>>()?;
        storage::group_for_uplink(rows, after, max_bytes)
    }

    fn apply_from_above(&self, batch: &[DocChanges], cursor: u64) -> Result<u32, HubError> {
        let mut client = self.pool.get()?;
        let mut tx = client.transaction()?;
        let mut changed_docs = 0;
        // Document by document, as the SQLite store counts them.
        for dc in batch {
            if apply_docs(
                &mut tx,
                std::slice::from_ref(dc),
                Writer::Above,
                &self.rules,
            )? > 0
            {
                changed_docs += 1;
            }
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&UPLINK_PULL_KEY, &cursor.to_string()],
        )?;
        tx.commit()?;
        Ok(changed_docs)
    }

    fn append_audit(&self, entry: &audit::Entry) -> Result<(), HubError> {
        audit::pg_append(&mut *self.pool.get()?, entry)
    }

    fn audit_log(&self, query: &audit::Query) -> Result<audit::Page, HubError> {
        audit::pg_read(&mut *self.pool.get()?, query)
    }
}

#[cfg(test)]
impl PgHubStore {
    /// Every row of every table as text, in a fixed order (but for logged
    /// failed sign-ins): equal before and after a request means the request
    /// changed nothing stored.
    pub(crate) fn fingerprint(&self) -> String {
        let mut client = self.pool.get().expect("a connection");
        let tables: Vec<String> = client
            .query(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = 'public' ORDER BY 1",
                &[],
            )
            .expect("the tables")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(tables.len() >= 5, "{tables:?}");
        let mut out = String::new();
        for table in tables {
            let rows: Vec<String> = client
                .query(
                    &format!(
                        "SELECT t::text FROM \"{table}\" t {} ORDER BY 1",
                        crate::http_tests::except_logged_failures(&table)
                    ),
                    &[],
                )
                .expect("the rows")
                .iter()
                .map(|r| r.get(0))
                .collect();
            out.push_str(&format!("{table}: {rows:?}\n"));
        }
        out
    }
}

/// The variable tests and benchmarks read a PostgreSQL server's URL from
/// (`cargo xtask test` and `cargo xtask with-pg` set it).
pub const TEST_PG_ENV: &str = "PCMT_TEST_PG";

/// A database of its own for one test, on the server `PCMT_TEST_PG` names,
/// dropped when this is. Tests that get None skip, and say so.
pub struct TestDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl TestDatabase {
    /// None (with a message on standard error) when `PCMT_TEST_PG` is not
    /// set; an error when it is set but the server cannot be used.
    pub fn from_env(test: &str) -> Result<Option<Self>, HubError> {
        let Ok(admin) = std::env::var(TEST_PG_ENV) else {
            // Straight to the stream: the test harness captures eprintln!,
            // and a skip nobody sees looks like a pass.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED on PostgreSQL: {test} ({TEST_PG_ENV} is not set; `cargo xtask test` sets it)"
            );
            return Ok(None);
        };
        let name = format!("pcmt_t_{}", Uuid::now_v7().simple());
        let mut client = Client::connect(&admin, NoTls)?;
        client.batch_execute(&format!("CREATE DATABASE {name}"))?;
        Ok(Some(Self {
            url: with_database(&admin, &name),
            admin,
            name,
        }))
    }

    pub fn store(&self) -> Result<PgHubStore, HubError> {
        PgHubStore::connect(&self.url, DEFAULT_POOL_SIZE)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // FORCE: a store of this test may still hold pooled connections.
        if let Ok(mut client) = Client::connect(&self.admin, NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[host_start..].find('/') {
        Some(i) => &base[..host_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hub processes started together on a new database: one migrates,
    /// the others wait and find the schema done.
    #[test]
    fn stores_opened_at_once_on_a_new_database_migrate_it_once() {
        let Some(db) =
            TestDatabase::from_env("stores_opened_at_once_on_a_new_database_migrate_it_once")
                .expect("the PostgreSQL server of PCMT_TEST_PG")
        else {
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
            .pool
            .get()
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
        use crate::dashboard::storage::{with_rows, OfficeStorage};
        let Some(db) = TestDatabase::from_env(
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
        let Some(db) =
            TestDatabase::from_env("the_report_and_staff_tables_have_the_sqlite_hubs_columns")
                .expect("the PostgreSQL server of PCMT_TEST_PG")
        else {
            return;
        };
        let store = db.store().unwrap();
        let sqlite = crate::HubStore::open_in_memory().unwrap();
        let tables = projection::ROW_TABLES
            .iter()
            .chain(&["staff", "staff_sessions", "documents"]);
        for table in tables {
            let mut stmt = sqlite
                .conn()
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
                .pool
                .get()
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

    #[test]
    fn a_test_database_url_keeps_the_server_and_options() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5433/pcmt", "t1"),
            "postgres://u@127.0.0.1:5433/t1"
        );
        assert_eq!(
            with_database("postgres://u@h:1?sslmode=disable", "t1"),
            "postgres://u@h:1/t1?sslmode=disable"
        );
    }
}
