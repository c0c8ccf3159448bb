//! Projection rows: what lists, searches and reports read, derived from
//! documents alone. Written in the same transaction as the document they come
//! from; dropped and rebuilt by `Store::rebuild_projections`.
//!
//! [`project`] and [`rebuild`] are public so the hub, whose migrations create
//! the same `*_rows` tables (and `documents.deleted`, `meta`), keeps the same
//! rows from the documents it holds and computes reports with the same code.

use crate::record_doc::{self, Header};
use crate::store::{doc_error, doc_id_hint, load_doc, Unreadable};
use crate::text::fold;
use crate::CoreError;
use automerge::AutoCommit;
use chrono::NaiveDate;
use pcmt_model::api::{CheckInRow, PersonRow, SurveyRow};
use pcmt_model::{
    visit_due, AudienceCount, CheckInInput, Labelled, PersonInput, RecordKind, SessionInput,
    SessionRow, StatusRules, SurveyInput,
};
use rusqlite::types::FromSql;
use rusqlite::{params, Connection, OptionalExtension, Row};
use uuid::Uuid;

pub const ROW_TABLES: &[&str] = &[
    "session_rows",
    "person_rows",
    "checkin_rows",
    "survey_rows",
    "site_rows",
];

/// Codes of a list, comma-separated, for a projection column.
fn join_codes<T: Labelled>(items: &[T]) -> String {
    items.iter().map(|t| t.code()).collect::<Vec<_>>().join(",")
}

/// Attendees per audience group as "group:count,…", for the report's table.
pub(crate) fn join_audience(audience: &[AudienceCount]) -> String {
    audience
        .iter()
        .map(|a| format!("{}:{}", a.group.code(), a.count))
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Set in `meta` by a migration whose new projection columns need filling.
pub const REBUILD_KEY: &str = "rebuild_projections";

/// Writes the projection row of one document: a deleted record has none,
/// and a record with concurrent values on a field is marked conflicted.
/// Call it inside the transaction that stores the document.
pub fn project(tx: &Connection, doc: &AutoCommit, rules: &StatusRules) -> Result<(), CoreError> {
    let header: Header =
        record_doc::read_header(doc).map_err(|e| doc_error(&doc_id_hint(doc), e))?;
    let id = header.id.to_string();
    let deleted = record_doc::is_deleted(doc);
    tx.execute(
        "UPDATE documents SET deleted = ?2 WHERE id = ?1",
        params![id, deleted],
    )?;
    let table = match header.kind {
        RecordKind::Session => "session_rows",
        RecordKind::Person => "person_rows",
        RecordKind::CheckIn => "checkin_rows",
        RecordKind::Survey => "survey_rows",
    };
    let read_err = |e| doc_error(&id, e);
    let conflicted = !record_doc::conflicts(doc).is_empty();
    // A survey's sites are rewritten whole: an edit may remove some.
    if header.kind == RecordKind::Survey {
        tx.execute("DELETE FROM site_rows WHERE survey = ?1", [&id])?;
    }
    if deleted {
        tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [&id])?;
    } else {
        match header.kind {
            RecordKind::Session => {
                let s: SessionInput = record_doc::read_record(doc).map_err(read_err)?;
                tx.execute(
                    "INSERT OR REPLACE INTO session_rows
                     (id, date, commune, venue_kind, venue_name, form, attendees, women, topic, conflicted,
                      audience, materials, pledges, venue_key)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                    params![
                        id,
                        day(s.date),
                        s.commune,
                        s.venue_kind.code(),
                        s.venue_name,
                        s.form.code(),
                        s.attendees,
                        s.women,
                        join_codes(&s.topics),
                        conflicted,
                        join_audience(&s.details.audience),
                        s.details.materials,
                        s.details.pledges,
                        fold(&s.venue_name)
                    ],
                )?;
            }
            RecordKind::Person => {
                let p: PersonInput = record_doc::read_record(doc).map_err(read_err)?;
                tx.execute(
                    "INSERT OR REPLACE INTO person_rows
                     (id, full_name, name_key, citizen_id, birth_date, commune, village, status, due_on, conflicted, statuses)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10)",
                    params![
                        id,
                        p.full_name,
                        fold(&p.full_name),
                        p.citizen_id,
                        day(p.birth_date),
                        p.commune,
                        p.village,
                        p.current_status().map(|s| s.code()),
                        conflicted,
                        serde_json::to_string(&p.statuses)
                            .map_err(|e| doc_error(&id, record_doc::DocError::Body(e.to_string())))?
                    ],
                )?;
            }
            RecordKind::CheckIn => {
                let c: CheckInInput = record_doc::read_record(doc).map_err(read_err)?;
                tx.execute(
                    "INSERT OR REPLACE INTO checkin_rows
                     (id, person, date, attended, test_result, psychosis, relapse, next_visit, conflicted, supported)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        id,
                        c.person.to_string(),
                        day(c.date),
                        c.attended,
                        c.drug_test.as_ref().map(|t| t.result.code()),
                        c.psychosis_signs,
                        c.relapse_suspected,
                        c.next_visit.map(day),
                        conflicted,
                        !c.support.is_empty()
                    ],
                )?;
            }
            RecordKind::Survey => {
                let s: SurveyInput = record_doc::read_record(doc).map_err(read_err)?;
                tx.execute(
                    "INSERT OR REPLACE INTO survey_rows
                     (id, date, commune, kind, sites, plants, area_m2, conflicted, area_covered_ha, replanting)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        id,
                        day(s.date),
                        s.commune,
                        s.kind.code(),
                        s.sites.len() as u32,
                        s.plant_count() as i64,
                        s.site_area_m2(),
                        conflicted,
                        s.area_covered_ha,
                        s.sites.iter().filter(|x| x.replanting_of.is_some()).count() as u32
                    ],
                )?;
                project_sites(tx, &id, &s)?;
            }
        }
    }
    match header.kind {
        RecordKind::Person => refresh_due(tx, header.id, rules),
        RecordKind::CheckIn => {
            let c: Option<CheckInInput> = record_doc::read_record(doc).ok();
            match c {
                Some(c) => refresh_due(tx, c.person, rules),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// One row per site found, for the eradication figures and the maps.
fn project_sites(tx: &Connection, id: &str, s: &SurveyInput) -> Result<(), CoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO site_rows
         (survey, idx, date, commune, lat, lon, polygon, area_m2, species, plants, action, action_date, replanting)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    for (i, site) in s.sites.iter().enumerate() {
        let polygon = site
            .polygon
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| doc_error(id, record_doc::DocError::Body(e.to_string())))?;
        insert.execute(params![
            id,
            i as u32,
            day(s.date),
            s.commune,
            site.point.lat,
            site.point.lon,
            polygon,
            site.area_m2(),
            site.species.code(),
            site.plant_count,
            site.action.kind.code(),
            day(site.action.date),
            site.replanting_of.is_some()
        ])?;
    }
    Ok(())
}

/// Drops every projection row and rebuilds them from the documents, then
/// clears [`REBUILD_KEY`]. A record that cannot be read is reported and left
/// out; the rest rebuild. Call it inside a transaction.
pub fn rebuild(tx: &Connection, rules: &StatusRules) -> Result<Vec<Unreadable>, CoreError> {
    for table in ROW_TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    let mut unreadable = Vec::new();
    let mut stmt = tx.prepare("SELECT id, bytes FROM documents")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let bytes: Vec<u8> = row.get(1)?;
        let result = record_doc::load(&bytes)
            .map_err(|e| doc_error(&id, e))
            .and_then(|doc| project(tx, &doc, rules));
        if let Err(error) = result {
            unreadable.push(Unreadable { id, error });
        }
    }
    tx.execute("DELETE FROM meta WHERE key = ?1", [REBUILD_KEY])?;
    Ok(unreadable)
}

/// Whether a migration asked for the rows to be rebuilt.
pub fn rebuild_wanted(conn: &Connection) -> Result<bool, CoreError> {
    let found: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [REBUILD_KEY],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// Recomputes a person's next due visit from their file and their latest
/// check-in. Either may arrive first through sync; whichever comes second
/// finds the other.
pub(crate) fn refresh_due(
    tx: &Connection,
    person: Uuid,
    rules: &StatusRules,
) -> Result<(), CoreError> {
    let pid = person.to_string();
    let exists: Option<i64> = tx
        .query_row("SELECT 1 FROM person_rows WHERE id = ?1", [&pid], |r| {
            r.get(0)
        })
        .optional()?;
    if exists.is_none() {
        return Ok(());
    }
    let p: PersonInput =
        record_doc::read_record(&load_doc(tx, person)?).map_err(|e| doc_error(&pid, e))?;
    let last_id: Option<String> = tx
        .query_row(
            "SELECT id FROM checkin_rows WHERE person = ?1 ORDER BY date DESC, id DESC LIMIT 1",
            [&pid],
            |r| r.get(0),
        )
        .optional()?;
    let last: Option<CheckInInput> = match last_id {
        Some(cid) => {
            let cuuid = Uuid::parse_str(&cid)
                .map_err(|_| doc_error(&cid, record_doc::DocError::BadValue("id")))?;
            Some(record_doc::read_record(&load_doc(tx, cuuid)?).map_err(|e| doc_error(&cid, e))?)
        }
        None => None,
    };
    // The due date does not depend on the day it is asked; the state does,
    // and is worked out when a list is read.
    let due = visit_due(&p, last.as_ref(), rules, NaiveDate::MIN).due_on;
    tx.execute(
        "UPDATE person_rows SET due_on = ?2 WHERE id = ?1",
        params![pid, due.map(day)],
    )?;
    Ok(())
}

/// Typed access to one result row, naming the record on a bad cell.
pub(crate) struct Cells<'a, 'r> {
    row: &'a Row<'r>,
    id: String,
}

impl<'a, 'r> Cells<'a, 'r> {
    /// The first column must be the record id.
    pub(crate) fn new(row: &'a Row<'r>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            row,
        })
    }

    fn bad(&self, col: usize) -> CoreError {
        CoreError::CorruptRecord {
            id: self.id.clone(),
            reason: format!("projection column {col}"),
        }
    }

    pub(crate) fn get<T: FromSql>(&self, col: usize) -> Result<T, CoreError> {
        Ok(self.row.get(col)?)
    }

    pub(crate) fn uuid(&self, col: usize) -> Result<Uuid, CoreError> {
        Uuid::parse_str(&self.get::<String>(col)?).map_err(|_| self.bad(col))
    }

    pub(crate) fn date(&self, col: usize) -> Result<NaiveDate, CoreError> {
        NaiveDate::parse_from_str(&self.get::<String>(col)?, "%Y-%m-%d").map_err(|_| self.bad(col))
    }

    pub(crate) fn opt_date(&self, col: usize) -> Result<Option<NaiveDate>, CoreError> {
        match self.get::<Option<String>>(col)? {
            Some(_) => self.date(col).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn code<T: Labelled>(&self, col: usize) -> Result<T, CoreError> {
        T::from_code(&self.get::<String>(col)?).ok_or_else(|| self.bad(col))
    }

    /// A list of codes stored comma-separated.
    pub(crate) fn codes<T: Labelled>(&self, col: usize) -> Result<Vec<T>, CoreError> {
        let text: String = self.get(col)?;
        text.split(',')
            .filter(|c| !c.is_empty())
            .map(|c| T::from_code(c).ok_or_else(|| self.bad(col)))
            .collect()
    }

    pub(crate) fn opt_code<T: Labelled>(&self, col: usize) -> Result<Option<T>, CoreError> {
        match self.get::<Option<String>>(col)? {
            Some(_) => self.code(col).map(Some),
            None => Ok(None),
        }
    }
}

pub(crate) const SESSION_SELECT: &str =
    "SELECT s.id, s.date, s.commune, s.venue_kind, s.venue_name,
    s.form, s.attendees, s.women, s.topic, d.dirty, s.conflicted
    FROM session_rows s JOIN documents d ON d.id = s.id";

pub(crate) fn session_row(r: &Row<'_>) -> Result<SessionRow, CoreError> {
    let c = Cells::new(r)?;
    Ok(SessionRow {
        id: c.uuid(0)?,
        date: c.date(1)?,
        commune: c.get(2)?,
        venue_kind: c.code(3)?,
        venue_name: c.get(4)?,
        form: c.code(5)?,
        attendees: c.get(6)?,
        women: c.get(7)?,
        topics: c.codes(8)?,
        unsynced: c.get(9)?,
        conflicted: c.get(10)?,
    })
}

pub(crate) const PERSON_SELECT: &str =
    "SELECT p.id, p.full_name, p.birth_date, p.commune, p.village,
    p.status, p.due_on, d.dirty, p.conflicted
    FROM person_rows p JOIN documents d ON d.id = p.id";

pub(crate) fn person_row(r: &Row<'_>) -> Result<PersonRow, CoreError> {
    let c = Cells::new(r)?;
    Ok(PersonRow {
        id: c.uuid(0)?,
        full_name: c.get(1)?,
        birth_date: c.date(2)?,
        commune: c.get(3)?,
        village: c.get(4)?,
        status: c.opt_code(5)?,
        due_on: c.opt_date(6)?,
        unsynced: c.get(7)?,
        conflicted: c.get(8)?,
    })
}

pub(crate) const CHECKIN_SELECT: &str = "SELECT c.id, c.person, c.date, c.attended, c.test_result,
    c.psychosis, c.relapse, c.next_visit, d.dirty
    FROM checkin_rows c JOIN documents d ON d.id = c.id";

pub(crate) fn checkin_row(r: &Row<'_>) -> Result<CheckInRow, CoreError> {
    let c = Cells::new(r)?;
    Ok(CheckInRow {
        id: c.uuid(0)?,
        person: c.uuid(1)?,
        date: c.date(2)?,
        attended: c.get(3)?,
        test_result: c.opt_code(4)?,
        psychosis_signs: c.get(5)?,
        relapse_suspected: c.get(6)?,
        next_visit: c.opt_date(7)?,
        unsynced: c.get(8)?,
    })
}

pub(crate) const SURVEY_SELECT: &str = "SELECT s.id, s.date, s.commune, s.kind, s.sites, s.plants,
    s.area_m2, d.dirty
    FROM survey_rows s JOIN documents d ON d.id = s.id";

pub(crate) fn survey_row(r: &Row<'_>) -> Result<SurveyRow, CoreError> {
    let c = Cells::new(r)?;
    Ok(SurveyRow {
        id: c.uuid(0)?,
        date: c.date(1)?,
        commune: c.get(2)?,
        kind: c.code(3)?,
        sites: c.get(4)?,
        plants: c.get::<i64>(5)?.unsigned_abs(),
        area_m2: c.get(6)?,
        unsynced: c.get(7)?,
    })
}
