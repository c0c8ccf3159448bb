//! Commands that change a record: create, edit, delete and restore, settle
//! a conflict; and the record as its document holds it (fields, conflicts,
//! history). Each write is one transaction with the record's rows.

use super::{load_doc, Author, Store};
use crate::error::{doc_error, doc_id_hint};
use crate::projection::{project, SqliteRows};
use crate::record_doc::{self, ChangeNote, Record};
use crate::CoreError;
use automerge::{ActorId, AutoCommit};
use chrono::NaiveDate;
use pcmt_model::api::{CheckInRow, FieldConflict, HistoryEntry, HotSpotRow, PersonRow, SurveyRow};
use pcmt_model::{
    CheckInInput, Field, FieldError, HotSpotInput, Labelled, OrgTree, PersonInput, Problem,
    RecordKind, SessionInput, SessionRow, StatusRules, SurveyInput,
};
use rusqlite::{params, Connection, Transaction};
use uuid::Uuid;

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
commune_record!(SessionInput, PersonInput, SurveyInput, HotSpotInput);

impl Store {
    pub(super) fn note(author: &Author) -> ChangeNote {
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
            params![
                id.to_string(),
                R::KIND.code(),
                commune,
                record_doc::save(&mut doc)
            ],
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
        // A record's commune changes only by a move (`move_person`), which
        // the hub checks and takes the history along with.
        let stored: PersonInput = self.record(id)?;
        if stored.commune != input.commune {
            return Err(CoreError::Invalid(vec![pcmt_model::FieldError::new(
                pcmt_model::Field::Commune,
                pcmt_model::Problem::OnlyByMove,
            )]));
        }
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

    /// Records a drug hot spot (điểm, tụ điểm phức tạp về ma túy) with its
    /// status history so far.
    pub fn create_hot_spot(
        &mut self,
        input: &HotSpotInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<HotSpotRow, CoreError> {
        let id = self.create(input, author, today)?;
        self.hot_spot(id)
    }

    /// An edit of a hot spot, a new stage among others: only the spans and
    /// fields that changed are written, so stages added on two tablets
    /// merge.
    pub fn update_hot_spot(
        &mut self,
        id: Uuid,
        input: &HotSpotInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<HotSpotRow, CoreError> {
        self.update(id, input, author, today)?;
        self.hot_spot(id)
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
        Ok(record_doc::conflicts_with_writers(&mut load_doc(
            &self.conn, id,
        )?))
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

    /// What the hub and the office marked on a person file: other files
    /// holding its citizen ID, a merge (issue 20).
    pub fn file_marks(&self, id: Uuid) -> Result<pcmt_model::FileMarks, CoreError> {
        Ok(record_doc::marks::marks(&load_doc(&self.conn, id)?))
    }
}

pub(super) fn change_doc(
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
        // The edit is saved only if its rows are written: the record reads.
        tx.execute(
            "UPDATE documents SET bytes = ?2, commune = ?3, dirty = 1, unreadable = NULL WHERE id = ?1",
            params![id.to_string(), record_doc::save(&mut doc), header.commune],
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
        RecordKind::HotSpot => record_doc::read_record::<HotSpotInput>(doc)
            .map_err(read_err)?
            .validate(units, today),
        RecordKind::CheckIn => {
            let c: CheckInInput = record_doc::read_record(doc).map_err(read_err)?;
            let person: PersonInput = record_doc::read_record(&load_doc(conn, c.person)?)
                .map_err(|e| doc_error(&c.person.to_string(), e))?;
            // A settled conflict could name a person of another commune:
            // the visit would count there (see the hub's push check).
            let mut errors = c.validate(&person, today).err().unwrap_or_default();
            if person.commune != header.commune {
                errors.push(FieldError::new(Field::Person, Problem::NotAPersonOfCommune));
            }
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors)
            }
        }
    }
    .map_err(CoreError::Invalid)
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
