//! The hub's storage and the hub side of the sync protocol.
//!
//! A push is applied in one transaction: documents updated and their new
//! changes appended to the feed together. Changes the hub already holds are
//! skipped by hash, so a push sent twice changes nothing.
//!
//! Every applied document also refreshes its projection rows (the tablet's
//! `*_rows` tables, through `pcmt_core::projection`) in the same transaction,
//! so the office dashboard reports from the same rows with the same code.

use crate::audit::{self, Actor, Entry};
use crate::devices::Scope;
use crate::storage::{self, Batch, FeedRow, Writer, PULL_ROWS};
use pcmt_core::migrate;
use pcmt_core::projection::{self, SqliteRows};
use pcmt_core::sync::wire::{
    DocChanges, PullRequest, PullResponse, PushAck, PushRequest, PROTOCOL_VERSION,
};
use pcmt_core::CoreError;
use pcmt_model::{OrgTree, StatusRules};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("protocol version {0} is not supported (this hub speaks {PROTOCOL_VERSION})")]
    Protocol(u16),
    #[error("record {id} refused: {reason}")]
    Rejected { id: String, reason: String },
    #[error("hub database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("hub database error (PostgreSQL): {0}")]
    Pg(#[from] postgres::Error),
    #[error("no connection to the hub's PostgreSQL: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("{0}")]
    Unsupported(String),
    #[error("hub start-up: {0}")]
    Open(#[from] CoreError),
    #[error("not authorized: {0}")]
    Unauthorized(String),
    // These three reach officers' tablets and the office as they are:
    // Vietnamese first.
    #[error("Văn phòng đã thu hồi quyền đồng bộ của máy này. / This device has been revoked by the office.")]
    Revoked,
    #[error("Văn phòng đã báo máy này bị mất: không thể đăng ký lại. / This device has been marked lost by the office and may not enrol again.")]
    Lost,
    #[error("Quá nhiều lần thử sai từ địa chỉ này; thử lại sau {retry_after_s} giây. / Too many failed attempts from this address; retry in {retry_after_s} s.")]
    TooManyAttempts { retry_after_s: u64 },
    #[error("outside this device's communes: {0}")]
    Forbidden(String),
    #[error("no randomness available: {0}")]
    Random(String),
    #[error("the higher hub: {0}")]
    Upstream(String),
}

pub struct HubStore {
    conn: Connection,
    /// The org tree reports roll up through: the bundled demo district until
    /// org units are configured at the office, as on the tablets.
    pub(crate) units: Arc<OrgTree>,
    pub(crate) rules: Arc<StatusRules>,
}

impl HubStore {
    pub fn open(path: &Path) -> Result<Self, HubError> {
        Self::init(Connection::open(path)?)
    }

    pub fn open_in_memory() -> Result<Self, HubError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, HubError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate::apply(&mut conn, migrate::HUB)?;
        let mut hub = Self {
            conn,
            units: Arc::new(OrgTree::demo()),
            rules: Arc::new(StatusRules::bundled()),
        };
        if projection::rebuild_wanted(&hub.conn)? {
            hub.rebuild_projections()?;
        }
        Ok(hub)
    }

    /// Rebuilds every projection row from the documents, in one transaction.
    /// Returns the ids of documents the hub cannot interpret (a newer
    /// schema, say): they stay stored and synced, but out of the reports.
    pub fn rebuild_projections(&mut self) -> Result<Vec<String>, HubError> {
        let tx = self.conn.transaction()?;
        let unreadable = projection::rebuild(&mut SqliteRows(&tx), &self.rules)?;
        tx.commit()?;
        for u in &unreadable {
            tracing::warn!(id = %u.id, error = %u.error, "record left out of the hub's reports");
        }
        Ok(unreadable.into_iter().map(|u| u.id).collect())
    }

    pub fn units(&self) -> &OrgTree {
        &self.units
    }

    pub fn rules(&self) -> &StatusRules {
        &self.rules
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// A transaction needs the connection mutably while projection reads the rules.
    pub(crate) fn conn_and_rules(&mut self) -> (&mut Connection, &StatusRules) {
        (&mut self.conn, &self.rules)
    }

    pub fn document_count(&self) -> Result<u64, HubError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    /// Stores a device's changes. A document outside the device's communes
    /// refuses the whole push: nothing of it is stored.
    pub fn push(&mut self, scope: &Scope, req: &PushRequest) -> Result<PushAck, HubError> {
        storage::check_push(scope, req)?;
        let tx = self.conn.transaction()?;
        let mut new_changes = 0u32;
        for dc in &req.docs {
            new_changes += apply_doc(&tx, dc, Writer::Device(scope), &self.rules)?;
        }
        tx.commit()?;
        Ok(storage::ack(req, new_changes))
    }

    /// The device's next batch of the change feed, only of its communes
    /// (whatever the request asks for). SQLite has one writer, so feed
    /// positions commit in order and a cursor never passes a change still
    /// to come.
    pub fn pull(&self, scope: &Scope, req: &PullRequest) -> Result<PullResponse, HubError> {
        let allowed = storage::pull_communes(scope, req)?;
        let communes =
            serde_json::to_string(&allowed).map_err(|e| HubError::Malformed(e.to_string()))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.seq, c.doc_id, d.kind, c.commune, c.bytes
             FROM changes c JOIN documents d ON d.id = c.doc_id
             WHERE c.seq > ?1 AND c.commune IN (SELECT value FROM json_each(?2))
               AND c.origin IS NOT ?4
             ORDER BY c.seq LIMIT ?3",
        )?;
        let mut rows = stmt.query(params![
            storage::cursor(req)?,
            communes,
            PULL_ROWS + 1,
            scope.device.to_string()
        ])?;
        let mut batch = Batch::new(req);
        while let Some(r) = rows.next()? {
            if !batch.add(feed_row(r)?)? {
                break;
            }
        }
        Ok(batch.finish())
    }
}

/// A feed row selected as (seq, doc_id, kind, commune, bytes).
pub(crate) fn feed_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FeedRow> {
    Ok(FeedRow {
        seq: r.get(0)?,
        doc_id: r.get(1)?,
        kind: r.get(2)?,
        commune: r.get(3)?,
        bytes: r.get(4)?,
    })
}

/// Applies one document's changes from `writer` and refreshes its
/// projection rows; returns how many changes were new to the hub.
pub(crate) fn apply_doc(
    conn: &Connection,
    dc: &DocChanges,
    writer: Writer<'_>,
    rules: &StatusRules,
) -> Result<u32, HubError> {
    let id = dc.id.to_string();
    let existing: Option<Vec<u8>> = conn
        .query_row("SELECT bytes FROM documents WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(mut merged) = storage::merge(existing.as_deref(), dc, writer)? else {
        return Ok(0);
    };
    conn.execute(
        "INSERT INTO documents (id, kind, commune, bytes) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, commune = excluded.commune, bytes = excluded.bytes",
        params![id, merged.kind, merged.commune, merged.doc.save()],
    )?;
    storage::refresh_rows(&mut SqliteRows(conn), &merged.doc, rules)?;
    let origin = writer.origin();
    let actor = Actor::of_origin(origin, || audit::sqlite_officer(conn, origin))?;
    audit::sqlite_append(
        conn,
        &Entry::record(
            actor,
            merged.action,
            dc.id,
            merged.kind,
            &merged.commune,
            merged.fresh.len(),
        ),
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO changes (doc_id, commune, hash, bytes, origin) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut added = 0;
    for mut change in merged.fresh {
        let hash = change.hash();
        added += insert.execute(params![
            id,
            merged.commune,
            hash.0.as_slice(),
            change.bytes().as_ref(),
            writer.origin().to_string()
        ])? as u32;
    }
    Ok(added)
}

impl storage::RowStore for SqliteRows<'_> {
    fn savepoint(&mut self, sql: &str) -> Result<(), HubError> {
        Ok(self.0.execute_batch(sql)?)
    }

    fn storage_error(&self, e: CoreError) -> HubError {
        match e {
            CoreError::Db(e) => HubError::Db(e),
            other => HubError::Open(other),
        }
    }
}

#[cfg(test)]
mod tests {
    //! What only the SQLite store does (projection rows for the dashboard,
    //! migrations of older files); the sync protocol's tests run on both
    //! stores in `contract_tests`.
    use super::*;
    use crate::contract_tests::{office, push_of, session_doc};

    fn session_rows(hub: &HubStore) -> Vec<(String, i64)> {
        let mut stmt = hub
            .conn()
            .prepare("SELECT id, attendees FROM session_rows ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// A body the hub cannot read stays out of the rows after a rebuild
    /// too, and the rebuild names it (rows after pushes, edits and
    /// deletions are in `contract_tests::office`, on both stores).
    #[test]
    fn a_rebuild_names_the_documents_it_leaves_out() {
        use automerge::transaction::Transactable;
        let mut hub = HubStore::open_in_memory().unwrap();
        let (id, mut doc) = session_doc("62-610-23284");
        hub.push(&office(), &push_of(id, "62-610-23284", &mut doc))
            .unwrap();
        let (odd, mut odd_doc) = session_doc("62-610-23284");
        odd_doc
            .put(automerge::ROOT, "attendees", "rất đông")
            .unwrap();
        hub.push(&office(), &push_of(odd, "62-610-23284", &mut odd_doc))
            .unwrap();
        assert_eq!(hub.document_count().unwrap(), 2);
        assert_eq!(session_rows(&hub), [(id.to_string(), 200)]);
        assert_eq!(hub.rebuild_projections().unwrap(), [odd.to_string()]);
        assert_eq!(session_rows(&hub), [(id.to_string(), 200)]);
    }

    /// A hub that held documents before it kept rows gets them on opening.
    #[test]
    fn a_hub_from_before_the_rows_builds_them_when_it_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old-hub.db");
        let (id, mut doc) = session_doc("62-610-23290");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate::apply(&mut conn, &migrate::HUB[..4]).unwrap();
            conn.execute(
                "INSERT INTO documents (id, kind, commune, bytes) VALUES (?1, 'session', '62-610-23290', ?2)",
                params![id.to_string(), doc.save()],
            )
            .unwrap();
        }
        let hub = HubStore::open(&path).unwrap();
        assert_eq!(session_rows(&hub), [(id.to_string(), 200)]);
        assert!(!projection::rebuild_wanted(hub.conn()).unwrap());
    }
}
