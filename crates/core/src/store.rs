//! The device store: one SQLite file holding one Automerge document per
//! record, projection rows for lists, and sync bookkeeping.
//!
//! Invariant: every save is one transaction covering the document bytes, its
//! projection row and its sync state, so a crash leaves either all of a save
//! or none of it. Rows are derived data: [`Store::rebuild_projections`] drops
//! and rebuilds them from documents alone.

use crate::record_doc::{self, ChangeNote, DocError, Header};
use crate::sync::wire::DocChanges;
use crate::{migrate, CoreError};
use automerge::{ActorId, AutoCommit, ChangeHash};
use chrono::NaiveDate;
use pcmt_model::api::{FieldConflict, HistoryEntry};
use pcmt_model::{Labelled, OrgTree, RecordKind, SessionInput, SessionRow};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
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
}

/// A record whose document could not be interpreted during a rebuild.
#[derive(Debug)]
pub struct Unreadable {
    pub id: String,
    pub error: CoreError,
}

impl Store {
    pub fn open(path: &Path, units: OrgTree) -> Result<Self, CoreError> {
        Self::init(Connection::open(path)?, units)
    }

    pub fn open_in_memory(units: OrgTree) -> Result<Self, CoreError> {
        Self::init(Connection::open_in_memory()?, units)
    }

    fn init(mut conn: Connection, units: OrgTree) -> Result<Self, CoreError> {
        // WAL with synchronous=FULL: a commit that returned is on disk, even
        // if the tablet loses power right after.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
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
        Ok(Self {
            conn,
            device_id,
            units,
        })
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

    /// Validates an officer's input; the note is what the change will carry.
    fn checked(
        &self,
        input: &SessionInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<ChangeNote, CoreError> {
        input
            .validate(&self.units, today)
            .map_err(CoreError::Invalid)?;
        Ok(ChangeNote {
            officer: author.officer.clone(),
        })
    }

    /// Validates and stores a new session. Returns its row as lists show it.
    pub fn create_session(
        &mut self,
        input: &SessionInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<SessionRow, CoreError> {
        let note = self.checked(input, author, today)?;
        let id = Uuid::now_v7();
        let mut doc = record_doc::new_session(id, input, self.actor(), &note, now());
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO documents (id, kind, commune, bytes, dirty) VALUES (?1, ?2, ?3, ?4, 1)",
            params![
                id.to_string(),
                RecordKind::Session.code(),
                input.commune,
                doc.save()
            ],
        )?;
        project(&tx, &doc)?;
        tx.commit()?;
        self.session(id)
    }

    /// Applies an officer's edit to an existing session.
    pub fn update_session(
        &mut self,
        id: Uuid,
        input: &SessionInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<SessionRow, CoreError> {
        let note = self.checked(input, author, today)?;
        self.change_doc(id, |doc| {
            Ok(record_doc::update_session(doc, input, &note, now()))
        })?;
        self.session(id)
    }

    /// Deletes a record as a tombstone in its document; `restore` undoes it.
    /// Both are ordinary changes: they sync, and both show in the history.
    pub fn delete(&mut self, id: Uuid, author: &Author) -> Result<(), CoreError> {
        self.set_deleted(id, true, author)
    }

    pub fn restore(&mut self, id: Uuid, author: &Author) -> Result<(), CoreError> {
        self.set_deleted(id, false, author)
    }

    fn set_deleted(&mut self, id: Uuid, deleted: bool, author: &Author) -> Result<(), CoreError> {
        let note = ChangeNote {
            officer: author.officer.clone(),
        };
        self.change_doc(id, |doc| {
            Ok(record_doc::set_deleted(doc, deleted, &note, now()))
        })
    }

    /// Loads a document, lets `edit` change it, and when it did, saves the
    /// document, its projection and its dirty flag in one transaction.
    fn change_doc(
        &mut self,
        id: Uuid,
        edit: impl FnOnce(&mut AutoCommit) -> Result<bool, CoreError>,
    ) -> Result<(), CoreError> {
        let actor = self.actor();
        let tx = self.conn.transaction()?;
        let mut doc = load_doc(&tx, id)?;
        doc.set_actor(actor);
        if edit(&mut doc)? {
            let header =
                record_doc::read_header(&doc).map_err(|e| doc_error(&id.to_string(), e))?;
            tx.execute(
                "UPDATE documents SET bytes = ?2, commune = ?3, dirty = 1 WHERE id = ?1",
                params![id.to_string(), doc.save(), header.commune],
            )?;
            project(&tx, &doc)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Fields of a record that hold concurrent values from different devices.
    pub fn conflicts(&self, id: Uuid) -> Result<Vec<FieldConflict>, CoreError> {
        Ok(record_doc::conflicts(&load_doc(&self.conn, id)?))
    }

    /// An officer settles a conflicted field, picking one of the values or
    /// typing a new one. The result must still be a valid record.
    pub fn resolve_conflict(
        &mut self,
        id: Uuid,
        field: &str,
        value: &str,
        author: &Author,
        today: NaiveDate,
    ) -> Result<(), CoreError> {
        let note = ChangeNote {
            officer: author.officer.clone(),
        };
        let units = self.units.clone();
        self.change_doc(id, |doc| {
            if !record_doc::conflicts(doc).iter().any(|c| c.field == field) {
                return Err(CoreError::NoConflict {
                    id,
                    field: field.to_string(),
                });
            }
            record_doc::resolve(doc, field, value, &note, now())
                .map_err(|e| doc_error(&id.to_string(), e))?;
            let session =
                record_doc::read_session(doc).map_err(|e| doc_error(&id.to_string(), e))?;
            session
                .validate(&units, today)
                .map_err(CoreError::Invalid)?;
            Ok(true)
        })
    }

    /// Who changed which field of a record, when, on which device.
    pub fn history(&self, id: Uuid) -> Result<Vec<HistoryEntry>, CoreError> {
        Ok(record_doc::history(&mut load_doc(&self.conn, id)?))
    }

    pub fn session(&self, id: Uuid) -> Result<SessionRow, CoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SESSION_SELECT} WHERE s.id = ?1"))?;
        stmt.query_row([id.to_string()], session_from_row)
            .optional()?
            .ok_or(CoreError::NotFound(id))?
    }

    /// Newest first, one page at a time.
    pub fn list_sessions(&self, limit: u32, offset: u32) -> Result<Vec<SessionRow>, CoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{SESSION_SELECT} ORDER BY s.date DESC, s.id DESC LIMIT ?1 OFFSET ?2"
        ))?;
        let rows = stmt.query_map([limit, offset], session_from_row)?;
        rows.map(|r| r?).collect()
    }

    /// Records changed here that the hub has not confirmed yet.
    pub fn unsynced_count(&self) -> Result<u64, CoreError> {
        let n: i64 =
            self.conn
                .query_row("SELECT count(*) FROM documents WHERE dirty = 1", [], |r| {
                    r.get(0)
                })?;
        Ok(n.unsigned_abs())
    }

    /// Drops every projection row and rebuilds them from the documents. A
    /// record that cannot be read is reported and left out; the rest rebuild.
    pub fn rebuild_projections(&mut self) -> Result<Vec<Unreadable>, CoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM session_rows", [])?;
        let mut unreadable = Vec::new();
        {
            let mut stmt = tx.prepare("SELECT id, bytes FROM documents")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let id: String = row.get(0)?;
                let bytes: Vec<u8> = row.get(1)?;
                let result = record_doc::load(&bytes)
                    .map_err(|e| doc_error(&id, e))
                    .and_then(|doc| project(&tx, &doc));
                if let Err(error) = result {
                    unreadable.push(Unreadable { id, error });
                }
            }
        }
        tx.commit()?;
        Ok(unreadable)
    }

    // ---- sync bookkeeping, used by sync::SyncRun ----

    /// Changes the hub lacks, for dirty documents with ids after `after`,
    /// up to about `max_bytes`. Each entry carries the heads it covers.
    pub(crate) fn pending_changes(
        &mut self,
        after: Option<Uuid>,
        max_bytes: usize,
    ) -> Result<Vec<(DocChanges, Vec<ChangeHash>)>, CoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, commune, bytes, hub_heads FROM documents
             WHERE dirty = 1 AND id > ?1 ORDER BY id LIMIT 500",
        )?;
        let after = after.map(|u| u.to_string()).unwrap_or_default();
        let mut rows = stmt.query([after])?;
        let mut out = Vec::new();
        let mut size = 0;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let bytes: Vec<u8> = row.get(3)?;
            let hub_heads = decode_heads(&row.get::<_, Vec<u8>>(4)?);
            let mut doc = record_doc::load(&bytes).map_err(|e| doc_error(&id, e))?;
            let changes: Vec<Vec<u8>> = doc
                .get_changes(&hub_heads)
                .into_iter()
                .map(|mut c| c.bytes().into_owned())
                .collect();
            size += changes.iter().map(Vec::len).sum::<usize>();
            let uuid =
                Uuid::parse_str(&id).map_err(|_| doc_error(&id, DocError::BadValue("id")))?;
            out.push((
                DocChanges {
                    id: uuid,
                    kind: row.get(1)?,
                    commune: row.get(2)?,
                    changes,
                },
                doc.get_heads(),
            ));
            if size >= max_bytes {
                break;
            }
        }
        Ok(out)
    }

    /// The hub confirmed it holds these documents up to these heads.
    pub(crate) fn mark_pushed(
        &mut self,
        acked: &[(Uuid, Vec<ChangeHash>)],
    ) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        for (id, heads) in acked {
            let mut doc = load_doc(&tx, *id)?;
            let dirty = doc.get_heads() != *heads;
            tx.execute(
                "UPDATE documents SET hub_heads = ?2, dirty = ?3 WHERE id = ?1",
                params![id.to_string(), encode_heads(heads), dirty],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Applies a batch pulled from the hub and moves the pull cursor, in one
    /// transaction: a cut after this leaves a consistent store, and the next
    /// pull continues from `cursor`. Applying a batch twice changes nothing.
    pub(crate) fn apply_remote(
        &mut self,
        batch: &[DocChanges],
        cursor: u64,
    ) -> Result<usize, CoreError> {
        let tx = self.conn.transaction()?;
        let mut changed_docs = 0;
        for dc in batch {
            let changes = dc
                .changes
                .iter()
                .map(|b| automerge::Change::from_bytes(b.clone()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| doc_error(&dc.id.to_string(), DocError::Load(e.to_string())))?;
            let existing: Option<(Vec<u8>, bool)> = tx
                .query_row(
                    "SELECT bytes, dirty FROM documents WHERE id = ?1",
                    [dc.id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (mut doc, was_dirty) = match &existing {
                Some((bytes, dirty)) => (
                    record_doc::load(bytes).map_err(|e| doc_error(&dc.id.to_string(), e))?,
                    *dirty,
                ),
                None => (AutoCommit::new(), false),
            };
            let before = doc.get_heads();
            doc.apply_changes(changes)
                .map_err(|e| doc_error(&dc.id.to_string(), DocError::Load(e.to_string())))?;
            let heads = doc.get_heads();
            if heads == before {
                continue;
            }
            changed_docs += 1;
            let header =
                record_doc::read_header(&doc).map_err(|e| doc_error(&dc.id.to_string(), e))?;
            // A document with no local edits pending now holds exactly what
            // the hub holds; one with local edits keeps its older hub heads,
            // so the next push re-sends (and the hub ignores) what it has.
            let hub_heads = if was_dirty {
                None
            } else {
                Some(encode_heads(&heads))
            };
            tx.execute(
                "INSERT INTO documents (id, kind, commune, bytes, hub_heads, dirty)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0)
                 ON CONFLICT(id) DO UPDATE SET bytes = excluded.bytes, commune = excluded.commune,
                   hub_heads = coalesce(?6, documents.hub_heads)",
                params![
                    header.id.to_string(),
                    header.kind.code(),
                    header.commune,
                    doc.save(),
                    encode_heads(&heads),
                    hub_heads
                ],
            )?;
            project(&tx, &doc)?;
        }
        set_meta(&tx, "pull_cursor", &cursor.to_string())?;
        tx.commit()?;
        Ok(changed_docs)
    }

    pub fn pull_cursor(&self) -> Result<u64, CoreError> {
        Ok(get_meta(&self.conn, "pull_cursor")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    /// Runs SQLite's own consistency check; "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, CoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

const SESSION_SELECT: &str = "SELECT s.id, s.date, s.commune, s.venue_kind, s.venue_name, s.form,
    s.attendees, s.women, s.topic, d.dirty
    FROM session_rows s JOIN documents d ON d.id = s.id";

fn session_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<SessionRow, CoreError>> {
    let id: String = r.get(0)?;
    let date: String = r.get(1)?;
    let bad = |what: &str| CoreError::CorruptRecord {
        id: id.clone(),
        reason: format!("projection column {what}"),
    };
    let parse = || -> Result<SessionRow, CoreError> {
        Ok(SessionRow {
            id: Uuid::parse_str(&id).map_err(|_| bad("id"))?,
            date: NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| bad("date"))?,
            commune: r.get(2)?,
            venue_kind: Labelled::from_code(&r.get::<_, String>(3)?)
                .ok_or_else(|| bad("venue_kind"))?,
            venue_name: r.get(4)?,
            form: Labelled::from_code(&r.get::<_, String>(5)?).ok_or_else(|| bad("form"))?,
            attendees: r.get(6)?,
            women: r.get(7)?,
            topic: Labelled::from_code(&r.get::<_, String>(8)?).ok_or_else(|| bad("topic"))?,
            unsynced: r.get(9)?,
        })
    };
    Ok(parse())
}

/// Writes the projection row(s) of one document: a deleted record has none,
/// and a record with concurrent values on a field is marked conflicted.
fn project(tx: &Transaction<'_>, doc: &AutoCommit) -> Result<(), CoreError> {
    let header: Header =
        record_doc::read_header(doc).map_err(|e| doc_error(&doc_id_hint(doc), e))?;
    let id = header.id.to_string();
    let deleted = record_doc::is_deleted(doc);
    tx.execute(
        "UPDATE documents SET deleted = ?2 WHERE id = ?1",
        params![id, deleted],
    )?;
    match header.kind {
        RecordKind::Session => {
            if deleted {
                tx.execute("DELETE FROM session_rows WHERE id = ?1", [&id])?;
                return Ok(());
            }
            let s = record_doc::read_session(doc).map_err(|e| doc_error(&id, e))?;
            let conflicted = !record_doc::conflicts(doc).is_empty();
            tx.execute(
                "INSERT OR REPLACE INTO session_rows
                 (id, date, commune, venue_kind, venue_name, form, attendees, women, topic, conflicted)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    id,
                    s.date.format("%Y-%m-%d").to_string(),
                    s.commune,
                    s.venue_kind.code(),
                    s.venue_name,
                    s.form.code(),
                    s.attendees,
                    s.women,
                    s.topic.code(),
                    conflicted
                ],
            )?;
        }
    }
    Ok(())
}

fn load_doc(conn: &Connection, id: Uuid) -> Result<AutoCommit, CoreError> {
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

/// The id a document claims, for error messages about a document whose
/// header could not be read.
fn doc_id_hint(doc: &AutoCommit) -> String {
    use automerge::ReadDoc;
    match doc.get(automerge::ROOT, "id") {
        Ok(Some((automerge::Value::Scalar(s), _))) => s.to_str().unwrap_or("?").to_string(),
        _ => "?".into(),
    }
}

fn doc_error(id: &str, e: DocError) -> CoreError {
    match (e, Uuid::parse_str(id)) {
        (DocError::FutureSchema(version), Ok(id)) => CoreError::FutureSchema { id, version },
        (e, _) => CoreError::CorruptRecord {
            id: id.to_string(),
            reason: e.to_string(),
        },
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

pub(crate) fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| ChangeHash::try_from(c).ok())
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use pcmt_model::{SessionForm, Topic, VenueKind};

    pub(crate) fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    pub(crate) fn input(name: &str) -> SessionInput {
        SessionInput {
            date: NaiveDate::from_ymd_opt(2026, 6, 26).unwrap(),
            commune: "62-610-23284".into(),
            venue_kind: VenueKind::School,
            venue_name: name.into(),
            form: SessionForm::Talk,
            attendees: 120,
            women: 60,
            topic: Topic::SyntheticDrugs,
        }
    }

    fn author() -> Author {
        Author {
            officer: "A Lưu".into(),
        }
    }

    #[test]
    fn a_saved_session_is_listed_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        let id = {
            let mut s = Store::open(&path, OrgTree::demo()).unwrap();
            let row = s
                .create_session(&input("Trường THCS Đăk Pék"), &author(), today())
                .unwrap();
            assert!(row.unsynced);
            row.id
        };
        let s = Store::open(&path, OrgTree::demo()).unwrap();
        let list = s.list_sessions(50, 0).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, id);
        assert_eq!(list[0].venue_name, "Trường THCS Đăk Pék");
        assert_eq!(s.unsynced_count().unwrap(), 1);
        assert_eq!(s.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn an_invalid_session_is_refused_and_stores_nothing() {
        let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
        let bad = SessionInput {
            women: 500,
            ..input("x")
        };
        assert!(matches!(
            s.create_session(&bad, &author(), today()),
            Err(CoreError::Invalid(e)) if e.len() == 1
        ));
        assert_eq!(s.list_sessions(50, 0).unwrap(), vec![]);
        assert_eq!(s.unsynced_count().unwrap(), 0);
    }

    #[test]
    fn rebuilt_rows_equal_the_rows_written_on_save() {
        let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
        for i in 0..20 {
            let row = s
                .create_session(&input(&format!("Điểm {i}")), &author(), today())
                .unwrap();
            if i % 3 == 0 {
                let edited = SessionInput {
                    attendees: 7,
                    women: 1,
                    ..input("Đã sửa")
                };
                s.update_session(row.id, &edited, &author(), today())
                    .unwrap();
            }
        }
        let before = s.list_sessions(100, 0).unwrap();
        assert!(s.rebuild_projections().unwrap().is_empty());
        assert_eq!(s.list_sessions(100, 0).unwrap(), before);
    }

    #[test]
    fn delete_is_a_tombstone_that_can_be_undone_and_shows_in_history() {
        let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
        let row = s
            .create_session(&input("Chợ Xốp"), &author(), today())
            .unwrap();
        s.delete(
            row.id,
            &Author {
                officer: "Y Hoa".into(),
            },
        )
        .unwrap();
        let gone = s.session(row.id);
        assert!(matches!(gone, Err(CoreError::NotFound(_))), "{gone:?}");
        assert_eq!(s.list_sessions(10, 0).unwrap(), vec![]);
        assert!(s.rebuild_projections().unwrap().is_empty());
        assert_eq!(
            s.list_sessions(10, 0).unwrap(),
            vec![],
            "a rebuild keeps it deleted"
        );
        s.restore(row.id, &author()).unwrap();
        assert_eq!(s.session(row.id).unwrap().venue_name, "Chợ Xốp");

        let history = s.history(row.id).unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[0].officer, "A Lưu");
        assert!(history[0]
            .fields
            .iter()
            .any(|f| f.field == "venue_name" && f.value == "Chợ Xốp"));
        assert_eq!(history[1].officer, "Y Hoa");
        assert_eq!(
            history[1].fields,
            vec![pcmt_model::api::FieldValue {
                field: "deleted".into(),
                value: "true".into()
            }]
        );
        assert_eq!(history[2].fields[0].value, "false");
        assert!(matches!(
            s.delete(Uuid::nil(), &author()),
            Err(CoreError::NotFound(_))
        ));
    }

    #[test]
    fn an_edit_lists_only_the_fields_it_changed() {
        let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
        let row = s
            .create_session(&input("Chợ Xốp"), &author(), today())
            .unwrap();
        let edited = SessionInput {
            attendees: 99,
            ..input("Chợ Xốp")
        };
        s.update_session(row.id, &edited, &author(), today())
            .unwrap();
        let history = s.history(row.id).unwrap();
        assert_eq!(
            history[1].fields,
            vec![pcmt_model::api::FieldValue {
                field: "attendees".into(),
                value: "99".into()
            }]
        );
    }

    #[test]
    fn a_full_disk_is_a_clear_error_and_harms_nothing_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        let mut s = Store::open(&path, OrgTree::demo()).unwrap();
        let kept = s
            .create_session(&input("Trước khi đầy"), &author(), today())
            .unwrap();
        let pages: i64 = s
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        // A size limit stands in for a full disk: SQLite answers SQLITE_FULL either way.
        s.conn
            .pragma_update(None, "max_page_count", pages + 2)
            .unwrap();
        let mut refused = None;
        for i in 0..200 {
            match s.create_session(
                &input(&format!("Ghi thêm {i} {}", "x".repeat(150))),
                &author(),
                today(),
            ) {
                Ok(_) => continue,
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        let err = refused.expect("the size limit is reached");
        assert!(matches!(err, CoreError::StorageFull), "{err:?}");
        assert!(err
            .user_message(pcmt_model::Lang::Vi)
            .contains("Bộ nhớ máy đã đầy"));
        assert_eq!(s.session(kept.id).unwrap().venue_name, "Trước khi đầy");
        assert_eq!(s.integrity_check().unwrap(), "ok");
        drop(s);
        let s = Store::open(&path, OrgTree::demo()).unwrap();
        assert_eq!(s.session(kept.id).unwrap().venue_name, "Trước khi đầy");
    }

    #[test]
    fn a_read_only_database_is_a_clear_error_and_harms_nothing_stored() {
        let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
        let kept = s
            .create_session(&input("Đã lưu"), &author(), today())
            .unwrap();
        s.conn.pragma_update(None, "query_only", true).unwrap();
        let err = s
            .create_session(&input("Mới"), &author(), today())
            .unwrap_err();
        assert!(matches!(err, CoreError::ReadOnly), "{err:?}");
        assert!(err.user_message(pcmt_model::Lang::En).contains("read-only"));
        assert_eq!(s.list_sessions(10, 0).unwrap().len(), 1);
        assert_eq!(s.session(kept.id).unwrap().venue_name, "Đã lưu");
    }

    #[test]
    fn a_document_from_a_newer_schema_is_refused_by_id_and_the_rest_open() {
        let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
        let good = s.create_session(&input("Tốt"), &author(), today()).unwrap();
        let future = s
            .create_session(&input("Tương lai"), &author(), today())
            .unwrap();
        let mut doc = load_doc(&s.conn, future.id).unwrap();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "schema", 99u64)
            .unwrap();
        s.conn
            .execute(
                "UPDATE documents SET bytes = ?2 WHERE id = ?1",
                params![future.id.to_string(), doc.save()],
            )
            .unwrap();
        let unreadable = s.rebuild_projections().unwrap();
        assert_eq!(unreadable.len(), 1);
        assert!(
            matches!(unreadable[0].error, CoreError::FutureSchema { id, version: 99 } if id == future.id)
        );
        assert_eq!(
            s.list_sessions(10, 0)
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>(),
            vec![good.id]
        );
    }

    #[test]
    fn a_corrupt_document_is_reported_and_the_rest_still_rebuild() {
        let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
        let good = s.create_session(&input("Tốt"), &author(), today()).unwrap();
        let bad = s
            .create_session(&input("Hỏng"), &author(), today())
            .unwrap();
        s.conn
            .execute(
                "UPDATE documents SET bytes = x'00ff00' WHERE id = ?1",
                [bad.id.to_string()],
            )
            .unwrap();
        let unreadable = s.rebuild_projections().unwrap();
        assert_eq!(unreadable.len(), 1);
        assert_eq!(unreadable[0].id, bad.id.to_string());
        assert!(matches!(
            unreadable[0].error,
            CoreError::CorruptRecord { .. }
        ));
        let list = s.list_sessions(10, 0).unwrap();
        assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), vec![good.id]);
    }
}
