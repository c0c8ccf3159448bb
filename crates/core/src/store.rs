//! The device store: one SQLite file holding one Automerge document per
//! record, projection rows for lists, and sync bookkeeping.
//!
//! Invariant: every save is one transaction covering the document bytes, its
//! projection row and its sync state, so a crash leaves either all of a save
//! or none of it. Rows are derived data: [`Store::rebuild_projections`] drops
//! and rebuilds them from documents alone.

use crate::projection::{
    checkin_row, person_row, project, session_row, survey_row, SqliteRows, CHECKIN_SELECT,
    PERSON_SELECT, SESSION_SELECT, SURVEY_SELECT,
};
use crate::record_doc::{self, ChangeNote, DocError, Record};
use crate::sync::wire::{DocChanges, Enrolment};
use crate::text::fold;
use crate::vault::DbKey;
use crate::{migrate, CoreError};
use automerge::{ActorId, AutoCommit, ChangeHash};
use chrono::NaiveDate;
use pcmt_model::api::{
    CheckInRow, DueVisit, FieldConflict, HistoryEntry, ListFilter, PersonRow, Settings, SurveyRow,
};
use pcmt_model::report::{ExportEntry, Period, Report, SiteFeature};
use pcmt_model::{
    visit_state, CheckInInput, Labelled, OrgTree, PersonInput, RecordKind, SessionInput,
    SessionRow, StatusRules, SurveyInput, DUE_SOON_DAYS,
};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
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
}

/// A record that names the commune owning it and validates against the org
/// tree alone (a check-in needs its person's file instead).
trait CommuneRecord: Record {
    fn commune(&self) -> &str;
    fn validate(
        &self,
        units: &OrgTree,
        today: NaiveDate,
    ) -> Result<(), Vec<pcmt_model::FieldError>>;
}

macro_rules! commune_record {
    ($($t:ty),+) => {$(
        impl CommuneRecord for $t {
            fn commune(&self) -> &str {
                &self.commune
            }
            fn validate(&self, units: &OrgTree, today: NaiveDate) -> Result<(), Vec<pcmt_model::FieldError>> {
                <$t>::validate(self, units, today)
            }
        }
    )+};
}
commune_record!(SessionInput, PersonInput, SurveyInput);

/// The period and commune filter shared by every dated list (?1 from, ?2 until, ?3 commune).
/// Sessions also filter by venue kind (?6) and form (?7).
const PERIOD_AND_COMMUNE: &str =
    "(?1 IS NULL OR s.date >= ?1) AND (?2 IS NULL OR s.date <= ?2) AND (?3 IS NULL OR s.commune = ?3)";
const VENUE_AND_FORM: &str = "(?6 IS NULL OR s.venue_kind = ?6) AND (?7 IS NULL OR s.form = ?7)";

fn filter_params(f: &ListFilter, limit: u32, offset: u32) -> impl rusqlite::Params {
    let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    (day(f.from), day(f.until), f.commune.clone(), limit, offset)
}

fn session_filter_params(f: &ListFilter, limit: u32, offset: u32) -> impl rusqlite::Params {
    let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    (
        day(f.from),
        day(f.until),
        f.commune.clone(),
        limit,
        offset,
        f.venue_kind.map(Labelled::code),
        f.form.map(Labelled::code),
    )
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
        };
        // A migration that adds projection columns asks for a rebuild, so
        // rows written before it carry what the new columns derive from.
        // A document that cannot be read stays out of the rows, as after any
        // rebuild, and is reported by id when it is opened.
        if crate::projection::rebuild_wanted(&store.conn)? {
            store.rebuild_projections()?;
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

    fn note(author: &Author) -> ChangeNote {
        ChangeNote {
            officer: author.officer.clone(),
        }
    }

    /// Stores a new, already validated record owned by `commune`, in one
    /// transaction with its projection.
    fn insert_record<R: Record>(
        &mut self,
        commune: &str,
        record: &R,
        author: &Author,
    ) -> Result<Uuid, CoreError> {
        let id = Uuid::now_v7();
        let mut doc = record_doc::new_record(
            id,
            commune,
            record,
            self.actor(),
            &Self::note(author),
            now(),
        )
        .map_err(|e| doc_error(&id.to_string(), e))?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO documents (id, kind, commune, bytes, dirty) VALUES (?1, ?2, ?3, ?4, 1)",
            params![id.to_string(), R::KIND.code(), commune, doc.save()],
        )?;
        project(&mut SqliteRows(&tx), &doc, &self.rules)?;
        tx.commit()?;
        Ok(id)
    }

    /// Writes an already validated edit of a record; only changed fields.
    fn edit_record<R: Record>(
        &mut self,
        id: Uuid,
        record: &R,
        author: &Author,
    ) -> Result<(), CoreError> {
        let note = Self::note(author);
        self.change_doc(id, |_, doc| {
            if record_doc::read_header(doc).map(|h| h.kind) != Ok(R::KIND) {
                return Err(CoreError::NotFound(id));
            }
            record_doc::update_record(doc, record, &note, now())
                .map_err(|e| doc_error(&id.to_string(), e))
        })
    }

    /// Validates and stores a new record that names its own commune.
    fn create<R: CommuneRecord>(
        &mut self,
        input: &R,
        author: &Author,
        today: NaiveDate,
    ) -> Result<Uuid, CoreError> {
        input
            .validate(&self.units, today)
            .map_err(CoreError::Invalid)?;
        self.insert_record(input.commune(), input, author)
    }

    /// Validates and applies an officer's edit of such a record.
    fn update<R: CommuneRecord>(
        &mut self,
        id: Uuid,
        input: &R,
        author: &Author,
        today: NaiveDate,
    ) -> Result<(), CoreError> {
        input
            .validate(&self.units, today)
            .map_err(CoreError::Invalid)?;
        self.edit_record(id, input, author)
    }

    /// Validates and stores a new session. Returns its row as lists show it.
    pub fn create_session(
        &mut self,
        input: &SessionInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<SessionRow, CoreError> {
        let id = self.create(input, author, today)?;
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
        self.update(id, input, author, today)?;
        self.session(id)
    }

    /// Opens a person's management file (hồ sơ quản lý).
    pub fn create_person(
        &mut self,
        input: &PersonInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<PersonRow, CoreError> {
        let id = self.create(input, author, today)?;
        self.person(id)
    }

    pub fn update_person(
        &mut self,
        id: Uuid,
        input: &PersonInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<PersonRow, CoreError> {
        self.update(id, input, author, today)?;
        self.person(id)
    }

    /// The person's file as stored, for the person screen and check-in validation.
    pub fn person_file(&self, id: Uuid) -> Result<PersonInput, CoreError> {
        self.record(id)
    }

    /// A record as stored (when concurrent values conflict, the one Automerge
    /// shows first), for detail screens and edit forms. A record of another
    /// kind is NotFound.
    pub fn record<R: record_doc::Record>(&self, id: Uuid) -> Result<R, CoreError> {
        let doc = load_doc(&self.conn, id)?;
        if record_doc::read_header(&doc).map(|h| h.kind) != Ok(R::KIND) {
            return Err(CoreError::NotFound(id));
        }
        record_doc::read_record(&doc).map_err(|e| doc_error(&id.to_string(), e))
    }

    /// Records a visit. It belongs to the person's commune, and is checked
    /// against the person's file (no visit before management began).
    pub fn create_checkin(
        &mut self,
        input: &CheckInInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<CheckInRow, CoreError> {
        let person = self.person_file(input.person)?;
        input.validate(&person, today).map_err(CoreError::Invalid)?;
        let id = self.insert_record(&person.commune, input, author)?;
        self.checkin(id)
    }

    /// Records a field sweep, with zero or more sites found.
    pub fn create_survey(
        &mut self,
        input: &SurveyInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<SurveyRow, CoreError> {
        let id = self.create(input, author, today)?;
        self.survey(id)
    }

    pub fn update_survey(
        &mut self,
        id: Uuid,
        input: &SurveyInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<SurveyRow, CoreError> {
        self.update(id, input, author, today)?;
        self.survey(id)
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
        self.change_doc(id, |_, doc| {
            Ok(record_doc::set_deleted(doc, deleted, &note, now()))
        })
    }

    /// Loads a document, lets `edit` change it, and when it did, saves the
    /// document, its projection and its dirty flag in one transaction.
    fn change_doc(
        &mut self,
        id: Uuid,
        edit: impl FnOnce(&Transaction<'_>, &mut AutoCommit) -> Result<bool, CoreError>,
    ) -> Result<(), CoreError> {
        let actor = self.actor();
        change_doc(&mut self.conn, &self.rules, actor, id, edit)
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
        let note = Self::note(author);
        let units = &self.units;
        let (conn, actor) = (
            &mut self.conn,
            ActorId::from(self.device_id.as_bytes().as_slice()),
        );
        change_doc(conn, &self.rules, actor, id, |tx, doc| {
            if !record_doc::conflicts(doc).iter().any(|c| c.field == field) {
                return Err(CoreError::NoConflict {
                    id,
                    field: field.to_string(),
                });
            }
            record_doc::resolve(doc, field, value, &note, now())
                .map_err(|e| doc_error(&id.to_string(), e))?;
            validate_doc(tx, doc, units, today)?;
            Ok(true)
        })
    }

    /// Who changed which field of a record, when, on which device.
    pub fn history(&self, id: Uuid) -> Result<Vec<HistoryEntry>, CoreError> {
        Ok(record_doc::history(&mut load_doc(&self.conn, id)?))
    }

    /// One row read by `read`, or NotFound.
    fn one<T>(
        &self,
        sql: &str,
        id: Uuid,
        read: fn(&Row<'_>) -> Result<T, CoreError>,
    ) -> Result<T, CoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        stmt.query_row([id.to_string()], |r| Ok(read(r)))
            .optional()?
            .ok_or(CoreError::NotFound(id))?
    }

    fn many<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: fn(&Row<'_>) -> Result<T, CoreError>,
    ) -> Result<Vec<T>, CoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, |r| Ok(read(r)))?;
        rows.map(|r| r?).collect()
    }

    pub fn session(&self, id: Uuid) -> Result<SessionRow, CoreError> {
        self.one(
            &format!("{SESSION_SELECT} WHERE s.id = ?1"),
            id,
            session_row,
        )
    }

    pub fn person(&self, id: Uuid) -> Result<PersonRow, CoreError> {
        self.one(&format!("{PERSON_SELECT} WHERE p.id = ?1"), id, person_row)
    }

    pub fn checkin(&self, id: Uuid) -> Result<CheckInRow, CoreError> {
        self.one(
            &format!("{CHECKIN_SELECT} WHERE c.id = ?1"),
            id,
            checkin_row,
        )
    }

    pub fn survey(&self, id: Uuid) -> Result<SurveyRow, CoreError> {
        self.one(&format!("{SURVEY_SELECT} WHERE s.id = ?1"), id, survey_row)
    }

    /// Newest first, one page at a time.
    pub fn list_sessions(
        &self,
        filter: &ListFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<SessionRow>, CoreError> {
        let sql = format!("{SESSION_SELECT} WHERE {PERIOD_AND_COMMUNE} AND {VENUE_AND_FORM} ORDER BY s.date DESC, s.id DESC LIMIT ?4 OFFSET ?5");
        self.many(
            &sql,
            session_filter_params(filter, limit, offset),
            session_row,
        )
    }

    /// Surveys newest first, those with no findings included (they prove coverage).
    pub fn list_surveys(
        &self,
        filter: &ListFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<SurveyRow>, CoreError> {
        let sql = format!("{SURVEY_SELECT} WHERE {PERIOD_AND_COMMUNE} ORDER BY s.date DESC, s.id DESC LIMIT ?4 OFFSET ?5");
        self.many(&sql, filter_params(filter, limit, offset), survey_row)
    }

    /// People whose name contains `query`, with or without diacritics
    /// ("nguyen van a" finds "Nguyễn Văn A"), or whose citizen ID starts with it.
    pub fn search_people(
        &self,
        query: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<PersonRow>, CoreError> {
        let sql = format!(
            "{PERSON_SELECT} WHERE instr(p.name_key, ?1) > 0 OR (?2 <> '' AND p.citizen_id LIKE ?2 || '%')
             ORDER BY p.name_key, p.id LIMIT ?3 OFFSET ?4"
        );
        let digits: String = query.chars().filter(char::is_ascii_digit).collect();
        let digits = if digits.len() == query.trim().len() {
            digits
        } else {
            String::new()
        };
        self.many(
            &sql,
            params![fold(query), digits, limit, offset],
            person_row,
        )
    }

    /// People due within the next few days or overdue, most overdue first.
    pub fn due_visits(&self, today: NaiveDate, limit: u32) -> Result<Vec<DueVisit>, CoreError> {
        let horizon = today + chrono::Days::new(DUE_SOON_DAYS.unsigned_abs());
        let sql = format!(
            "{PERSON_SELECT} WHERE p.due_on IS NOT NULL AND p.due_on <= ?1 ORDER BY p.due_on, p.name_key LIMIT ?2"
        );
        let people = self.many(
            &sql,
            params![horizon.format("%Y-%m-%d").to_string(), limit],
            person_row,
        )?;
        Ok(people
            .into_iter()
            .filter_map(|person| {
                let state = visit_state(person.due_on?, today);
                Some(DueVisit { person, state })
            })
            .collect())
    }

    /// A person's visits, newest first.
    pub fn checkins_of(&self, person: Uuid) -> Result<Vec<CheckInRow>, CoreError> {
        let sql = format!("{CHECKIN_SELECT} WHERE c.person = ?1 ORDER BY c.date DESC, c.id DESC");
        self.many(&sql, [person.to_string()], checkin_row)
    }

    /// The report of an org unit (a commune, or a district or province
    /// rolled up through the tree) for a period.
    pub fn report(&self, unit: &str, period: &Period) -> Result<Report, CoreError> {
        crate::report::compute(
            &mut SqliteRows(&self.conn),
            &self.units,
            &self.rules,
            unit,
            period,
        )
    }

    /// The sites found in an org unit during a period, for the map exports.
    pub fn site_features(
        &self,
        unit: &str,
        period: &Period,
    ) -> Result<Vec<SiteFeature>, CoreError> {
        crate::report::site_features(&mut SqliteRows(&self.conn), &self.units, unit, period)
    }

    /// Notes a report file saved from this tablet (nhật ký xuất tệp).
    pub fn log_export(&mut self, entry: &ExportEntry) -> Result<(), CoreError> {
        crate::export_log::append(&self.conn, entry)
    }

    /// The latest exports from this tablet, newest first.
    pub fn exports(&self, limit: u32) -> Result<Vec<ExportEntry>, CoreError> {
        crate::export_log::latest(&self.conn, limit)
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
        let unreadable = crate::projection::rebuild(&mut SqliteRows(&tx), &self.rules)?;
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
            let uuid =
                Uuid::parse_str(&id).map_err(|_| doc_error(&id, DocError::BadValue("id")))?;
            let kind = RecordKind::from_code(&row.get::<_, String>(1)?)
                .ok_or_else(|| doc_error(&id, DocError::BadValue("kind")))?;
            let commune: String = row.get(2)?;
            let changes = DocChanges::since(uuid, kind, &commune, &mut doc, &hub_heads);
            size += changes.changes.iter().map(Vec::len).sum::<usize>();
            out.push((changes, doc.get_heads()));
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
            project(&mut SqliteRows(&tx), &doc, &self.rules)?;
        }
        set_meta(&tx, "pull_cursor", &cursor.to_string())?;
        tx.commit()?;
        Ok(changed_docs)
    }

    /// The device's enrolment with the hub (token and communes), if any.
    pub fn enrolment(&self) -> Result<Option<Enrolment>, CoreError> {
        match get_meta(&self.conn, "enrolment")? {
            None => Ok(None),
            Some(json) => {
                serde_json::from_str(&json)
                    .map(Some)
                    .map_err(|e| CoreError::CorruptRecord {
                        id: "meta.enrolment".into(),
                        reason: e.to_string(),
                    })
            }
        }
    }

    pub fn set_enrolment(&mut self, e: &Enrolment) -> Result<(), CoreError> {
        self.renew_enrolment(e, false)
    }

    /// A new enrolment replacing the old one; with other communes, the pull
    /// starts again from the beginning of the hub's feed (what the tablet
    /// already holds merges without change).
    pub fn renew_enrolment(
        &mut self,
        e: &Enrolment,
        communes_changed: bool,
    ) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        let json = serde_json::to_string(e).map_err(|err| CoreError::CorruptRecord {
            id: "meta.enrolment".into(),
            reason: err.to_string(),
        })?;
        set_meta(&tx, "enrolment", &json)?;
        if communes_changed {
            set_meta(&tx, "pull_cursor", "0")?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn pull_cursor(&self) -> Result<u64, CoreError> {
        Ok(get_meta(&self.conn, "pull_cursor")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    /// Every document's id and heads: two replicas hold the same records
    /// exactly when these are equal (convergence checks, diagnostics).
    pub fn document_heads(
        &self,
    ) -> Result<std::collections::BTreeMap<Uuid, Vec<ChangeHash>>, CoreError> {
        let mut stmt = self.conn.prepare("SELECT id, bytes FROM documents")?;
        let mut rows = stmt.query([])?;
        let mut out = std::collections::BTreeMap::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let mut doc =
                record_doc::load(&r.get::<_, Vec<u8>>(1)?).map_err(|e| doc_error(&id, e))?;
            let uuid =
                Uuid::parse_str(&id).map_err(|_| doc_error(&id, DocError::BadValue("id")))?;
            let mut heads = doc.get_heads();
            heads.sort();
            out.insert(uuid, heads);
        }
        Ok(out)
    }

    /// A device-local value (settings, drafts, the time of the last sync);
    /// never synced. Keys are namespaced by the caller ("setting.", "draft.").
    pub fn local_value(&self, key: &str) -> Result<Option<String>, CoreError> {
        Ok(get_meta(&self.conn, &format!("local.{key}"))?)
    }

    pub fn set_local_value(&mut self, key: &str, value: Option<&str>) -> Result<(), CoreError> {
        let key = format!("local.{key}");
        match value {
            Some(v) => set_meta(&self.conn, &key, v)?,
            None => {
                self.conn
                    .execute("DELETE FROM meta WHERE key = ?1", [&key])?;
            }
        }
        Ok(())
    }

    /// The officer's settings on this tablet, or None before first start.
    pub fn settings(&self) -> Result<Option<Settings>, CoreError> {
        self.local_json("settings")
    }

    /// Saves valid settings; the officer's name signs every later change.
    pub fn save_settings(&mut self, settings: &Settings) -> Result<(), CoreError> {
        settings.validate().map_err(CoreError::Invalid)?;
        self.set_local_json("settings", settings)
    }

    fn local_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, CoreError> {
        match self.local_value(key)? {
            None => Ok(None),
            Some(json) => {
                serde_json::from_str(&json)
                    .map(Some)
                    .map_err(|e| CoreError::CorruptRecord {
                        id: format!("meta.local.{key}"),
                        reason: e.to_string(),
                    })
            }
        }
    }

    fn set_local_json<T: serde::Serialize>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), CoreError> {
        let json = serde_json::to_string(value).map_err(|e| CoreError::CorruptRecord {
            id: format!("meta.local.{key}"),
            reason: e.to_string(),
        })?;
        self.set_local_value(key, Some(&json))
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

fn change_doc(
    conn: &mut Connection,
    rules: &StatusRules,
    actor: ActorId,
    id: Uuid,
    edit: impl FnOnce(&Transaction<'_>, &mut AutoCommit) -> Result<bool, CoreError>,
) -> Result<(), CoreError> {
    let tx = conn.transaction()?;
    let mut doc = load_doc(&tx, id)?;
    doc.set_actor(actor);
    if edit(&tx, &mut doc)? {
        let header = record_doc::read_header(&doc).map_err(|e| doc_error(&id.to_string(), e))?;
        tx.execute(
            "UPDATE documents SET bytes = ?2, commune = ?3, dirty = 1 WHERE id = ?1",
            params![id.to_string(), doc.save(), header.commune],
        )?;
        project(&mut SqliteRows(&tx), &doc, rules)?;
    }
    tx.commit()?;
    Ok(())
}

/// Checks a whole record as it stands in its document, whatever its kind:
/// after a conflict is settled the result must still be a valid record.
fn validate_doc(
    conn: &Connection,
    doc: &AutoCommit,
    units: &OrgTree,
    today: NaiveDate,
) -> Result<(), CoreError> {
    let header = record_doc::read_header(doc).map_err(|e| doc_error(&doc_id_hint(doc), e))?;
    let id = header.id.to_string();
    let read_err = |e| doc_error(&id, e);
    match header.kind {
        RecordKind::Session => record_doc::read_record::<SessionInput>(doc)
            .map_err(read_err)?
            .validate(units, today),
        RecordKind::Person => record_doc::read_record::<PersonInput>(doc)
            .map_err(read_err)?
            .validate(units, today),
        RecordKind::Survey => record_doc::read_record::<SurveyInput>(doc)
            .map_err(read_err)?
            .validate(units, today),
        RecordKind::CheckIn => {
            let c: CheckInInput = record_doc::read_record(doc).map_err(read_err)?;
            let person: PersonInput = record_doc::read_record(&load_doc(conn, c.person)?)
                .map_err(|e| doc_error(&c.person.to_string(), e))?;
            c.validate(&person, today)
        }
    }
    .map_err(CoreError::Invalid)
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

/// The id a document claims, for error messages about a document whose
/// header could not be read.
pub(crate) fn doc_id_hint(doc: &AutoCommit) -> String {
    use automerge::ReadDoc;
    match doc.get(automerge::ROOT, record_doc::ID_KEY) {
        Ok(Some((automerge::Value::Scalar(s), _))) => s.as_str().unwrap_or("?").to_string(),
        _ => "?".into(),
    }
}

pub(crate) fn doc_error(id: &str, e: DocError) -> CoreError {
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
            topics: vec![Topic::SyntheticDrugs],
            details: Default::default(),
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
        let list = s.list_sessions(&ListFilter::default(), 50, 0).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, id);
        assert_eq!(list[0].venue_name, "Trường THCS Đăk Pék");
        assert_eq!(s.unsynced_count().unwrap(), 1);
        assert_eq!(s.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn settings_and_drafts_stay_on_the_tablet_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        let settings = Settings {
            lang: pcmt_model::Lang::Vi,
            officer: "Y Bhim Niê".into(),
            unit: "Công an xã Đăk Pék".into(),
            hub_url: "http://10.0.0.2:8787".into(),
            lock_after_min: Settings::DEFAULT_LOCK_AFTER_MIN,
        };
        {
            let mut s = Store::open(&path, OrgTree::demo()).unwrap();
            assert_eq!(s.settings().unwrap(), None);
            s.save_settings(&settings).unwrap();
            let blank = Settings {
                officer: " ".into(),
                ..settings.clone()
            };
            assert!(matches!(
                s.save_settings(&blank),
                Err(CoreError::Invalid(_))
            ));
            s.set_local_value("draft.session", Some("{\"venue_name\":\"Chợ\"}"))
                .unwrap();
        }
        let mut s = Store::open(&path, OrgTree::demo()).unwrap();
        assert_eq!(s.settings().unwrap(), Some(settings));
        assert_eq!(
            s.local_value("draft.session").unwrap().as_deref(),
            Some("{\"venue_name\":\"Chợ\"}")
        );
        // Local values are not records: nothing waits to be synced.
        assert_eq!(s.unsynced_count().unwrap(), 0);
        s.set_local_value("draft.session", None).unwrap();
        assert_eq!(s.local_value("draft.session").unwrap(), None);
        assert!(s.data_size().unwrap() > 0);
    }

    #[test]
    fn lists_filter_by_period_and_commune() {
        let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        for (m, d, commune, form) in [
            (5, 31, "62-610-23284", SessionForm::Talk),
            (6, 1, "62-610-23284", SessionForm::Talk),
            (6, 26, "62-610-23287", SessionForm::Rally),
            (6, 30, "62-610-23284", SessionForm::Talk),
            (7, 1, "62-610-23284", SessionForm::Talk),
        ] {
            let i = SessionInput {
                date: day(m, d),
                commune: commune.into(),
                form,
                ..input(&format!("{m}-{d}"))
            };
            s.create_session(&i, &author(), today()).unwrap();
        }
        let june = ListFilter {
            from: Some(day(6, 1)),
            until: Some(day(6, 30)),
            ..ListFilter::default()
        };
        let names = |f: &ListFilter| {
            s.list_sessions(f, 50, 0)
                .unwrap()
                .into_iter()
                .map(|r| r.venue_name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&june), vec!["6-30", "6-26", "6-1"]);
        let june_pek = ListFilter {
            commune: Some("62-610-23284".into()),
            ..june
        };
        assert_eq!(names(&june_pek), vec!["6-30", "6-1"]);
        let rallies = ListFilter {
            form: Some(SessionForm::Rally),
            ..ListFilter::default()
        };
        assert_eq!(names(&rallies), vec!["6-26"]);
        let rallies_at_schools = ListFilter {
            venue_kind: Some(VenueKind::Market),
            ..rallies.clone()
        };
        assert!(names(&rallies_at_schools).is_empty(), "both filters apply");
        assert_eq!(names(&ListFilter::default()).len(), 5);
        assert_eq!(
            s.list_sessions(&ListFilter::default(), 2, 2).unwrap().len(),
            2,
            "paged"
        );
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
        assert_eq!(
            s.list_sessions(&ListFilter::default(), 50, 0).unwrap(),
            vec![]
        );
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
        let before = s.list_sessions(&ListFilter::default(), 100, 0).unwrap();
        assert!(s.rebuild_projections().unwrap().is_empty());
        assert_eq!(
            s.list_sessions(&ListFilter::default(), 100, 0).unwrap(),
            before
        );
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
        assert_eq!(
            s.list_sessions(&ListFilter::default(), 10, 0).unwrap(),
            vec![]
        );
        assert!(s.rebuild_projections().unwrap().is_empty());
        assert_eq!(
            s.list_sessions(&ListFilter::default(), 10, 0).unwrap(),
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
                field: record_doc::DELETED_KEY.into(),
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
        assert_eq!(
            s.list_sessions(&ListFilter::default(), 10, 0)
                .unwrap()
                .len(),
            1
        );
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
        automerge::transaction::Transactable::put(
            &mut doc,
            automerge::ROOT,
            record_doc::SCHEMA_KEY,
            99u64,
        )
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
            s.list_sessions(&ListFilter::default(), 10, 0)
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
        let list = s.list_sessions(&ListFilter::default(), 10, 0).unwrap();
        assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), vec![good.id]);
    }
}
