//! Documents this version of the app cannot read (bản ghi phiên bản này
//! chưa hiển thị được): a newer app's schema, a body of the wrong shape. The
//! hub stores and relays them, so a tablet keeps them too: their bytes stay
//! in `documents` (synced like any other), they have no rows, and
//! `documents.unreadable` says why, for the officer's list. Each time the
//! store opens they are tried again, so an updated app shows them; a change
//! that makes one readable shows it at once.

use super::Store;
use crate::error::CoreError;
use crate::projection::{project, refresh_due, RowWriter, SqliteRows};
use crate::record_doc;
use automerge::AutoCommit;
use pcmt_model::api::KeptRecord;
use pcmt_model::{Labelled, RecordKind, StatusRules};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

/// Writes the rows of document `id`, just stored, or keeps it out of the
/// rows when this version cannot read it, noting why. True when it could
/// be read (the caller clears an earlier note). Only a storage failure is
/// an error: one unreadable record must not stop the others (a pulled
/// batch, a store opening). Call it inside a transaction.
pub(crate) fn project_or_keep(
    conn: &Connection,
    id: &str,
    doc: &AutoCommit,
    rules: &StatusRules,
) -> Result<bool, CoreError> {
    // Cached statements: this runs for every document of every pull.
    let step = |sql: &str| -> Result<(), CoreError> {
        conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    };
    step("SAVEPOINT project")?;
    let projected = match record_doc::read_header(doc) {
        // Its rows would go under another record's id.
        Ok(header) if header.id.to_string() != id => Err(CoreError::CorruptRecord {
            id: id.to_string(),
            reason: format!("the document says it is {}", header.id),
        }),
        _ => project(&mut SqliteRows(conn), doc, rules),
    };
    match projected {
        Ok(()) => {
            step("RELEASE project")?;
            Ok(true)
        }
        // The caller's transaction is abandoned, savepoint and all.
        Err(error) if error.is_storage() => Err(error),
        Err(error) => {
            // Whatever the failed projection wrote goes.
            step("ROLLBACK TO project")?;
            step("RELEASE project")?;
            keep_out(conn, id, &error.to_string(), rules)?;
            Ok(false)
        }
    }
}

/// Takes a document out of the rows, as a rebuild would leave it, and
/// notes why it cannot be read.
fn keep_out(
    conn: &Connection,
    id: &str,
    reason: &str,
    rules: &StatusRules,
) -> Result<(), CoreError> {
    // A visit leaving the rows no longer counts for its person's next one.
    let person: Option<String> = conn
        .query_row("SELECT person FROM checkin_rows WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    let mut rows = SqliteRows(conn);
    for kind in RecordKind::ALL {
        rows.remove(*kind, id)?;
    }
    rows.remove_sites(id)?;
    conn.execute(
        "UPDATE documents SET unreadable = ?2 WHERE id = ?1",
        params![id, reason],
    )?;
    match person.as_deref().map(Uuid::parse_str) {
        Some(Ok(person)) => refresh_due(&mut rows, person, rules),
        _ => Ok(()),
    }
}

impl Store {
    /// Records kept on this tablet that this version cannot show, by id.
    pub fn unreadable_records(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<KeptRecord>, CoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, commune, unreadable FROM documents
             WHERE unreadable IS NOT NULL ORDER BY id LIMIT ?1 OFFSET ?2",
        )?;
        let mut rows = stmt.query(params![limit, offset])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            out.push(KeptRecord {
                id: Uuid::parse_str(&id).map_err(|_| CoreError::CorruptRecord {
                    id,
                    reason: "not a UUID".into(),
                })?,
                // A kind a newer app added is None here.
                kind: RecordKind::from_code(&r.get::<_, String>(1)?),
                commune: r.get(2)?,
                reason: r.get(3)?,
            });
        }
        Ok(out)
    }

    pub fn unreadable_count(&self) -> Result<u64, CoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM documents WHERE unreadable IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n.unsigned_abs())
    }

    /// Tries the kept documents again, as the store opens: those this
    /// version reads get their rows. How many it read.
    pub(crate) fn retry_kept(&mut self) -> Result<usize, CoreError> {
        let tx = self.conn.transaction()?;
        let kept: Vec<(String, Vec<u8>)> = {
            let mut stmt =
                tx.prepare("SELECT id, bytes FROM documents WHERE unreadable IS NOT NULL")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut shown = 0;
        for (id, bytes) in kept {
            // Bytes that are no document at all stay listed as they are.
            let Ok(doc) = record_doc::load(&bytes) else {
                continue;
            };
            if project_or_keep(&tx, &id, &doc, &self.rules)? {
                tx.execute(
                    "UPDATE documents SET unreadable = NULL WHERE id = ?1",
                    [&id],
                )?;
                shown += 1;
            }
        }
        tx.commit()?;
        Ok(shown)
    }
}
