//! The device store: one SQLite file holding one Automerge document per
//! record, projection rows for lists, and sync bookkeeping.
//!
//! Invariant: every save is one transaction covering the document bytes, its
//! projection row and its sync state, so a crash leaves either all of a save
//! or none of it. Rows are derived data: [`Store::rebuild_projections`] drops
//! and rebuilds them from documents alone.
//!
//! This file opens the store and holds what every part shares; each concern
//! adds its own `impl Store` beside it: `records` (commands that change a
//! record's document), `queries` (the rows lists and searches read),
//! `reports` (reports and the export log), `sync_state` (what the sync run
//! and the enrolment keep), `kept` (documents this version cannot read,
//! kept out of the rows) and `local` (device-local values: settings,
//! drafts).

mod attachments;
mod kept;
mod local;
mod moves;
mod office;
mod queries;
mod records;
mod reports;
mod sync_state;
#[cfg(test)]
mod tests;

pub use crate::error::Unreadable;
pub use attachments::{AttachTo, Outgoing, Received, CHUNK_BYTES};
pub use sync_state::{
    ENROL_CODE, HUB_CERTIFICATE, HUB_CERTIFICATE_SEEN, LAST_SYNC, RENEWAL_CODE, WITHDRAWN,
};

use crate::error::doc_error;
use crate::projection::SqliteRows;
use crate::record_doc;
use crate::vault::DbKey;
use crate::{migrate, CoreError};
use automerge::{ActorId, AutoCommit};
use pcmt_model::{OrgTree, StatusRules};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use uuid::Uuid;

/// The officer making a change on this device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Author {
    pub officer: String,
}

pub struct Store {
    conn: Connection,
    device_id: Uuid,
    units: OrgTree,
    rules: StatusRules,
    /// The province's plan reports are judged against (`office.rs`).
    plan: pcmt_model::Plan,
    /// The district's other communes, where a person may move to
    /// (`office.rs`; none until the office's data came: the bundled tree
    /// holds the whole district).
    neighbours: Vec<pcmt_model::OrgUnit>,
}

impl Store {
    pub fn open(path: &Path, units: OrgTree) -> Result<Self, CoreError> {
        Self::init(Connection::open(path)?, units)
    }

    pub fn open_in_memory(units: OrgTree) -> Result<Self, CoreError> {
        Self::init(Connection::open_in_memory()?, units)
    }

    /// Opens (or creates) the store encrypted under `key` (SQLCipher, raw
    /// 256-bit key from [`crate::vault`]). A wrong key, or a plaintext file,
    /// gives [`CoreError::WrongKey`] before anything is written: the key is
    /// checked with a read, ahead of the journal-mode switch and migrations.
    pub fn open_encrypted(path: &Path, key: &DbKey, units: OrgTree) -> Result<Self, CoreError> {
        Self::init(keyed_connection(path, key)?, units)
    }

    /// Turns an existing plaintext store into an encrypted one under `key`,
    /// for tablets that had data before encryption existed. The copy is made
    /// by SQLCipher into a new file beside it, checked, and renamed over the
    /// original, so a crash leaves either the old plaintext file or the
    /// complete encrypted one. The plaintext's WAL is checkpointed and
    /// removed first: left beside the encrypted file it would be replayed
    /// into it. (Flash storage may keep old plaintext blocks after this;
    /// see the threat model in ARCHITECTURE.md.)
    pub fn encrypt_in_place(path: &Path, key: &DbKey) -> Result<(), CoreError> {
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".encrypting");
        let tmp = std::path::PathBuf::from(tmp_name);
        let io = |source| CoreError::File {
            path: path.to_path_buf(),
            source,
        };
        if tmp.exists() {
            // Left by a cut during an earlier attempt; the original is intact.
            std::fs::remove_file(&tmp).map_err(io)?;
        }
        {
            if !path.exists() {
                return Err(io(std::io::ErrorKind::NotFound.into()));
            }
            // Default flags: the attached copy inherits them and must be created.
            let conn = Connection::open(path)?;
            require_sqlcipher(&conn)?;
            let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let tmp_str = tmp
                .to_str()
                .ok_or_else(|| io(std::io::Error::other("path is not UTF-8")))?;
            conn.execute(
                "ATTACH DATABASE ?1 AS encrypted KEY ?2",
                [tmp_str, key.raw_literal().as_str()],
            )?;
            conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
            // sqlcipher_export copies schema and rows, not the header's version.
            conn.pragma_update(Some("encrypted"), "user_version", version)?;
            conn.execute_batch("DETACH DATABASE encrypted")?;
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        // Checked with the key before it replaces anything.
        keyed_connection(&tmp, key)?
            .close()
            .map_err(|(_, e)| CoreError::from(e))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            match std::fs::remove_file(std::path::PathBuf::from(side)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                _ => {}
            }
        }
        std::fs::rename(&tmp, path).map_err(io)?;
        crate::vault::sync_dir(path).map_err(io)
    }

    fn init(mut conn: Connection, units: OrgTree) -> Result<Self, CoreError> {
        // WAL with synchronous=FULL: a commit that returned is on disk, even
        // if the tablet loses power right after.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A report reads the projection tables twice (the period and the
        // year before) and the screens read them again: with SQLite's 2 MiB
        // default every read went back to the file (and, encrypted, through
        // decryption). 32 MiB holds a province's rows; it is taken only as
        // pages are read.
        conn.pragma_update(None, "cache_size", -32_768)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate::apply(&mut conn, migrate::DEVICE)?;
        let device_id = match get_meta(&conn, "device_id")? {
            Some(s) => Uuid::parse_str(&s).map_err(|_| CoreError::CorruptRecord {
                id: "meta.device_id".into(),
                reason: "not a UUID".into(),
            })?,
            None => {
                let id = Uuid::new_v4();
                set_meta(&conn, "device_id", &id.to_string())?;
                id
            }
        };
        let mut store = Self {
            conn,
            device_id,
            units,
            rules: StatusRules::bundled(),
            plan: pcmt_model::Plan::bundled(),
            neighbours: Vec::new(),
        };
        store.use_office_data()?;
        // A migration that adds projection columns asks for a rebuild, so
        // rows written before it carry what the new columns derive from.
        // A document that cannot be read stays out of the rows, as after any
        // rebuild, and is listed as kept. Otherwise only the kept documents
        // are tried again: an updated app may read them now.
        if crate::projection::rebuild_wanted(&store.conn)? {
            store.rebuild_projections()?;
        } else {
            store.retry_kept()?;
        }
        Ok(store)
    }

    pub fn device_id(&self) -> Uuid {
        self.device_id
    }

    pub fn units(&self) -> &OrgTree {
        &self.units
    }

    fn actor(&self) -> ActorId {
        ActorId::from(self.device_id.as_bytes().as_slice())
    }

    /// Drops every projection row and rebuilds them from the documents. A
    /// record that cannot be read is reported, left out and listed as kept;
    /// the rest rebuild.
    pub fn rebuild_projections(&mut self) -> Result<Vec<Unreadable>, CoreError> {
        let tx = self.conn.transaction()?;
        let unreadable = crate::projection::rebuild(&mut SqliteRows(&tx), &self.rules)?;
        tx.execute(
            "UPDATE documents SET unreadable = NULL WHERE unreadable IS NOT NULL",
            [],
        )?;
        for u in &unreadable {
            tx.execute(
                "UPDATE documents SET unreadable = ?2 WHERE id = ?1",
                params![u.id, u.error.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(unreadable)
    }

    /// Bytes the database holds on the device (pages in use, the WAL aside).
    pub fn data_size(&self) -> Result<u64, CoreError> {
        let bytes: i64 = self.conn.query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| r.get(0),
        )?;
        Ok(bytes.unsigned_abs())
    }

    /// Runs SQLite's own consistency check; "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, CoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

pub(crate) fn load_doc(conn: &Connection, id: Uuid) -> Result<AutoCommit, CoreError> {
    let bytes: Vec<u8> = conn
        .query_row(
            "SELECT bytes FROM documents WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(CoreError::NotFound(id))?;
    record_doc::load(&bytes).map_err(|e| doc_error(&id.to_string(), e))
}

/// A connection keyed for SQLCipher and proven to read with that key.
fn keyed_connection(path: &Path, key: &DbKey) -> Result<Connection, CoreError> {
    let conn = Connection::open(path)?;
    require_sqlcipher(&conn)?;
    conn.execute_batch(&key.pragma())?;
    // SQLCipher reads the first page only when a statement needs it; a wrong
    // key shows up here as "file is not a database" (WrongKey), with nothing
    // written yet.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
    Ok(conn)
}

/// Without SQLCipher, `PRAGMA key` is ignored without an error and the data
/// would be written in the clear, so it is refused instead.
fn require_sqlcipher(conn: &Connection) -> Result<(), CoreError> {
    let version: Option<String> = conn
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .optional()?;
    match version {
        Some(v) if !v.is_empty() => {
            // A wrong key already comes back as WrongKey; SQLCipher's own
            // log of it would only be noise on the app's stderr.
            conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
            Ok(())
        }
        _ => Err(CoreError::NoEncryption),
    }
}

fn get_meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .map(|_| ())
}
