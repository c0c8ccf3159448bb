//! Projection rows: what lists, searches and reports read, derived from
//! documents alone. Written in the same transaction as the document they come
//! from; dropped and rebuilt by `Store::rebuild_projections`.
//!
//! Split in two so every store keeps the same rows with the same logic:
//! [`row_values`] turns a document into the values of its rows (pure), and
//! [`project`] and [`rebuild`] write them through a [`RowWriter`], which
//! only says how a row is stored. [`SqliteRows`] is the writer of a SQLite
//! connection (the tablet, and the hub's SQLite store, whose migrations
//! create the same `*_rows` tables and `documents.deleted`, `meta`); the hub
//! brings its own for PostgreSQL.

use crate::error::{doc_error, doc_id_hint, CoreError, Unreadable};
use crate::record_doc::{self, Header};
use crate::text::fold;
use automerge::AutoCommit;
use chrono::NaiveDate;
use pcmt_model::api::{CheckInRow, HotSpotRow, PersonRow, SurveyRow};
use pcmt_model::{
    visit_due, AudienceCount, CheckInInput, HotSpotInput, Labelled, PersonInput, RecordKind,
    SessionInput, SessionRow, StatusRules, SurveyInput,
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
    "hotspot_rows",
];

/// The table holding the rows of one kind of record.
pub fn table_of(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Session => "session_rows",
        RecordKind::Person => "person_rows",
        RecordKind::CheckIn => "checkin_rows",
        RecordKind::Survey => "survey_rows",
        RecordKind::HotSpot => "hotspot_rows",
    }
}

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

/// A `session_rows` row. Dates are `YYYY-MM-DD` text, codes their stable
/// codes, in every store, so rows compare and sort alike.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionValues {
    pub id: String,
    pub date: String,
    pub commune: String,
    pub venue_kind: String,
    pub venue_name: String,
    pub form: String,
    pub attendees: i64,
    pub women: i64,
    /// Topic codes, comma-separated.
    pub topic: String,
    pub conflicted: bool,
    /// "group:count,…"
    pub audience: String,
    pub materials: i64,
    pub pledges: i64,
    /// The venue's name folded like search keys.
    pub venue_key: String,
}

/// A `person_rows` row; `due_on` is written apart (see [`project`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonValues {
    pub id: String,
    pub full_name: String,
    pub name_key: String,
    pub citizen_id: Option<String>,
    pub birth_date: String,
    pub commune: String,
    pub village: Option<String>,
    pub status: Option<String>,
    pub conflicted: bool,
    /// The status history as JSON.
    pub statuses: String,
}

/// A `checkin_rows` row.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInValues {
    pub id: String,
    pub person: String,
    pub date: String,
    pub attended: bool,
    pub test_result: Option<String>,
    pub psychosis: bool,
    pub relapse: bool,
    pub next_visit: Option<String>,
    pub conflicted: bool,
    pub supported: bool,
}

/// A `survey_rows` row and the survey's `site_rows`.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyValues {
    pub id: String,
    pub date: String,
    pub commune: String,
    pub kind: String,
    pub sites: i64,
    pub plants: i64,
    pub area_m2: f64,
    pub conflicted: bool,
    pub area_covered_ha: Option<f64>,
    pub replanting: i64,
    pub site_rows: Vec<SiteValues>,
}

/// A `site_rows` row: one site found by a survey. Reports read it back as is.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteValues {
    pub survey: String,
    pub idx: i64,
    pub date: String,
    pub commune: String,
    pub lat: f64,
    pub lon: f64,
    /// The walked boundary as JSON.
    pub polygon: Option<String>,
    pub area_m2: Option<f64>,
    pub species: String,
    pub plants: i64,
    pub action: String,
    pub action_date: String,
    pub replanting: bool,
}

/// A `hotspot_rows` row. `date` is the day the spot was detected (its
/// earliest span), so the report's scope picks spots by it; `stage` the
/// stage in force now; the whole history is kept as JSON for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct HotSpotValues {
    pub id: String,
    pub date: String,
    pub commune: String,
    pub village: Option<String>,
    pub place: String,
    pub stage: String,
    /// Activity codes, comma-separated.
    pub activities: String,
    /// The status history as JSON.
    pub stages: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub conflicted: bool,
}

/// The row of one live record.
#[derive(Debug, Clone, PartialEq)]
pub enum RowValues {
    Session(SessionValues),
    Person(PersonValues),
    CheckIn(CheckInValues),
    Survey(SurveyValues),
    HotSpot(HotSpotValues),
}

/// What a document projects to.
#[derive(Debug, Clone, PartialEq)]
pub struct Projected {
    pub id: String,
    pub kind: RecordKind,
    pub deleted: bool,
    /// None for a deleted record: it has no row.
    pub row: Option<RowValues>,
    /// The person whose next due visit this document may change.
    pub due_of: Option<Uuid>,
}

/// How a store keeps projection rows: each method is one statement's worth
/// of work inside the caller's transaction. The logic (which rows, when a
/// due date is refreshed) is in [`project`] and [`rebuild`], once.
pub trait RowWriter {
    /// `documents.deleted` of a record.
    fn set_deleted(&mut self, id: &str, deleted: bool) -> Result<(), CoreError>;
    /// Inserts or replaces a record's row (a survey's sites included; its
    /// old sites are removed first with [`RowWriter::remove_sites`]).
    fn put(&mut self, row: &RowValues) -> Result<(), CoreError>;
    /// Removes a record's row from its kind's table.
    fn remove(&mut self, kind: RecordKind, id: &str) -> Result<(), CoreError>;
    fn remove_sites(&mut self, survey: &str) -> Result<(), CoreError>;
    fn has_person(&mut self, id: &str) -> Result<bool, CoreError>;
    /// The id of a person's latest check-in (by date, then id).
    fn latest_checkin(&mut self, person: &str) -> Result<Option<String>, CoreError>;
    fn set_due(&mut self, person: &str, due_on: Option<&str>) -> Result<(), CoreError>;
    /// A stored document's bytes.
    fn document(&mut self, id: &str) -> Result<Option<Vec<u8>>, CoreError>;
    fn document_ids(&mut self) -> Result<Vec<String>, CoreError>;
    /// Removes every projection row.
    fn clear(&mut self) -> Result<(), CoreError>;
    /// Clears [`REBUILD_KEY`] after a rebuild.
    fn rebuilt(&mut self) -> Result<(), CoreError>;

    /// Writes the rows of several documents, as [`project`] would one by
    /// one but for the due dates ([`refresh_due`]). A store that pays a
    /// round trip per statement writes them a table at a time instead;
    /// what it writes must be the same.
    fn put_projected(&mut self, all: &[Projected]) -> Result<(), CoreError> {
        for p in all {
            put_one(self, p)?;
        }
        Ok(())
    }
}

/// One document's rows: a deleted record has none.
fn put_one<W: RowWriter + ?Sized>(rows: &mut W, p: &Projected) -> Result<(), CoreError> {
    rows.set_deleted(&p.id, p.deleted)?;
    // A survey's sites are rewritten whole: an edit may remove some.
    if p.kind == RecordKind::Survey {
        rows.remove_sites(&p.id)?;
    }
    match &p.row {
        Some(row) => rows.put(row),
        None => rows.remove(p.kind, &p.id),
    }
}

/// The values of a document's rows: what every store writes for it.
pub fn row_values(doc: &AutoCommit) -> Result<Projected, CoreError> {
    let header: Header =
        record_doc::read_header(doc).map_err(|e| doc_error(&doc_id_hint(doc), e))?;
    let id = header.id.to_string();
    let deleted = record_doc::is_deleted(doc);
    let read_err = |e| doc_error(&id, e);
    let body_err = |e: serde_json::Error| doc_error(&id, record_doc::DocError::Body(e.to_string()));
    let conflicted = !record_doc::conflicts(doc).is_empty();
    // A deleted check-in still moves its person's due date back.
    let due_of = match header.kind {
        RecordKind::Person => Some(header.id),
        RecordKind::CheckIn => record_doc::read_record::<CheckInInput>(doc)
            .ok()
            .map(|c| c.person),
        _ => None,
    };
    // A file the office merged into another counts as that one: its
    // visits have been moved there, and the person must count once.
    let row = if deleted || record_doc::marks::merged_into(doc).is_some() {
        None
    } else {
        Some(match header.kind {
            RecordKind::Session => {
                let s: SessionInput = record_doc::read_record(doc).map_err(read_err)?;
                RowValues::Session(SessionValues {
                    id: id.clone(),
                    date: day(s.date),
                    venue_kind: s.venue_kind.code().into(),
                    form: s.form.code().into(),
                    attendees: s.attendees.into(),
                    women: s.women.into(),
                    topic: join_codes(&s.topics),
                    conflicted,
                    audience: join_audience(&s.details.audience),
                    materials: s.details.materials.into(),
                    pledges: s.details.pledges.into(),
                    venue_key: fold(&s.venue_name),
                    venue_name: s.venue_name,
                    commune: s.commune,
                })
            }
            RecordKind::Person => {
                let p: PersonInput = record_doc::read_record(doc).map_err(read_err)?;
                RowValues::Person(PersonValues {
                    id: id.clone(),
                    name_key: fold(&p.full_name),
                    birth_date: day(p.birth_date),
                    status: p.current_status().map(|s| s.code().to_string()),
                    conflicted,
                    statuses: serde_json::to_string(&p.statuses).map_err(body_err)?,
                    full_name: p.full_name,
                    citizen_id: p.citizen_id,
                    commune: p.commune,
                    village: p.village,
                })
            }
            RecordKind::CheckIn => {
                let c: CheckInInput = record_doc::read_record(doc).map_err(read_err)?;
                RowValues::CheckIn(CheckInValues {
                    id: id.clone(),
                    person: c.person.to_string(),
                    date: day(c.date),
                    attended: c.attended,
                    test_result: c.drug_test.as_ref().map(|t| t.result.code().to_string()),
                    psychosis: c.psychosis_signs,
                    relapse: c.relapse_suspected,
                    next_visit: c.next_visit.map(day),
                    conflicted,
                    supported: !c.support.is_empty(),
                })
            }
            RecordKind::Survey => {
                let s: SurveyInput = record_doc::read_record(doc).map_err(read_err)?;
                let site_rows = s
                    .sites
                    .iter()
                    .enumerate()
                    .map(|(i, site)| {
                        Ok(SiteValues {
                            survey: id.clone(),
                            idx: i as i64,
                            date: day(s.date),
                            commune: s.commune.clone(),
                            lat: site.point.lat,
                            lon: site.point.lon,
                            polygon: site
                                .polygon
                                .as_ref()
                                .map(serde_json::to_string)
                                .transpose()
                                .map_err(body_err)?,
                            area_m2: site.area_m2(),
                            species: site.species.code().into(),
                            plants: site.plant_count.into(),
                            action: site.action.kind.code().into(),
                            action_date: day(site.action.date),
                            replanting: site.replanting_of.is_some(),
                        })
                    })
                    .collect::<Result<Vec<_>, CoreError>>()?;
                RowValues::Survey(SurveyValues {
                    id: id.clone(),
                    date: day(s.date),
                    kind: s.kind.code().into(),
                    sites: s.sites.len() as i64,
                    plants: i64::try_from(s.plant_count()).unwrap_or(i64::MAX),
                    area_m2: s.site_area_m2(),
                    conflicted,
                    area_covered_ha: s.area_covered_ha,
                    replanting: s.sites.iter().filter(|x| x.replanting_of.is_some()).count() as i64,
                    site_rows,
                    commune: s.commune,
                })
            }
            RecordKind::HotSpot => {
                let h: HotSpotInput = record_doc::read_record(doc).map_err(read_err)?;
                // Each tablet saves a history with its detection; only
                // merged removals of every span could leave none.
                let (Some(detected), Some(stage)) =
                    (h.stages.iter().map(|s| s.from).min(), h.current_stage())
                else {
                    return Err(doc_error(
                        &id,
                        record_doc::DocError::Body("a hot spot without any status".into()),
                    ));
                };
                RowValues::HotSpot(HotSpotValues {
                    id: id.clone(),
                    date: day(detected),
                    village: h.village.filter(|v| !v.trim().is_empty()),
                    stage: stage.code().into(),
                    activities: join_codes(&h.activities),
                    stages: serde_json::to_string(&h.stages).map_err(body_err)?,
                    lat: h.point.map(|p| p.lat),
                    lon: h.point.map(|p| p.lon),
                    conflicted,
                    place: h.place_name,
                    commune: h.commune,
                })
            }
        })
    };
    Ok(Projected {
        id,
        kind: header.kind,
        deleted,
        row,
        due_of,
    })
}

/// Writes the projection rows of one document: a deleted record has none,
/// and a record with concurrent values on a field is marked conflicted.
/// Call it inside the transaction that stores the document.
pub fn project(
    rows: &mut dyn RowWriter,
    doc: &AutoCommit,
    rules: &StatusRules,
) -> Result<(), CoreError> {
    let p = row_values(doc)?;
    rows.put_projected(std::slice::from_ref(&p))?;
    match p.due_of {
        Some(person) => refresh_due(rows, person, rules),
        None => Ok(()),
    }
}

/// Drops every projection row and rebuilds them from the documents, then
/// clears [`REBUILD_KEY`]. A record that cannot be read is reported and left
/// out; the rest rebuild. Call it inside a transaction.
pub fn rebuild(
    rows: &mut dyn RowWriter,
    rules: &StatusRules,
) -> Result<Vec<Unreadable>, CoreError> {
    rows.clear()?;
    let mut unreadable = Vec::new();
    for id in rows.document_ids()? {
        let result = match rows.document(&id)? {
            Some(bytes) => record_doc::load(&bytes)
                .map_err(|e| doc_error(&id, e))
                .and_then(|doc| project(rows, &doc, rules)),
            None => continue,
        };
        match result {
            Err(e) if e.is_storage() => return Err(e),
            Err(error) => unreadable.push(Unreadable { id, error }),
            Ok(()) => {}
        }
    }
    rows.rebuilt()?;
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

fn load(rows: &mut dyn RowWriter, id: Uuid) -> Result<AutoCommit, CoreError> {
    let sid = id.to_string();
    let bytes = rows.document(&sid)?.ok_or(CoreError::NotFound(id))?;
    record_doc::load(&bytes).map_err(|e| doc_error(&sid, e))
}

/// Recomputes a person's next due visit from their file and their latest
/// check-in. Either may arrive first through sync; whichever comes second
/// finds the other.
pub fn refresh_due(
    rows: &mut dyn RowWriter,
    person: Uuid,
    rules: &StatusRules,
) -> Result<(), CoreError> {
    let pid = person.to_string();
    if !rows.has_person(&pid)? {
        return Ok(());
    }
    let p: PersonInput =
        record_doc::read_record(&load(rows, person)?).map_err(|e| doc_error(&pid, e))?;
    let last: Option<CheckInInput> = match rows.latest_checkin(&pid)? {
        Some(cid) => {
            let cuuid = Uuid::parse_str(&cid)
                .map_err(|_| doc_error(&cid, record_doc::DocError::BadValue("id")))?;
            Some(record_doc::read_record(&load(rows, cuuid)?).map_err(|e| doc_error(&cid, e))?)
        }
        None => None,
    };
    // The due date does not depend on the day it is asked; the state does,
    // and is worked out when a list is read.
    let due = visit_due(&p, last.as_ref(), rules, NaiveDate::MIN).due_on;
    rows.set_due(&pid, due.map(day).as_deref())
}

/// The projection rows in a SQLite connection.
pub struct SqliteRows<'c>(pub &'c Connection);

impl RowWriter for SqliteRows<'_> {
    fn set_deleted(&mut self, id: &str, deleted: bool) -> Result<(), CoreError> {
        self.0.execute(
            "UPDATE documents SET deleted = ?2 WHERE id = ?1",
            params![id, deleted],
        )?;
        Ok(())
    }

    fn put(&mut self, row: &RowValues) -> Result<(), CoreError> {
        match row {
            RowValues::Session(s) => self.0.execute(
                "INSERT OR REPLACE INTO session_rows
                 (id, date, commune, venue_kind, venue_name, form, attendees, women, topic, conflicted,
                  audience, materials, pledges, venue_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    s.id, s.date, s.commune, s.venue_kind, s.venue_name, s.form, s.attendees,
                    s.women, s.topic, s.conflicted, s.audience, s.materials, s.pledges, s.venue_key
                ],
            )?,
            RowValues::Person(p) => self.0.execute(
                "INSERT OR REPLACE INTO person_rows
                 (id, full_name, name_key, citizen_id, birth_date, commune, village, status, due_on, conflicted, statuses)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10)",
                params![
                    p.id, p.full_name, p.name_key, p.citizen_id, p.birth_date, p.commune,
                    p.village, p.status, p.conflicted, p.statuses
                ],
            )?,
            RowValues::CheckIn(c) => self.0.execute(
                "INSERT OR REPLACE INTO checkin_rows
                 (id, person, date, attended, test_result, psychosis, relapse, next_visit, conflicted, supported)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    c.id, c.person, c.date, c.attended, c.test_result, c.psychosis, c.relapse,
                    c.next_visit, c.conflicted, c.supported
                ],
            )?,
            RowValues::Survey(s) => {
                let mut insert = self.0.prepare_cached(
                    "INSERT INTO site_rows
                     (survey, idx, date, commune, lat, lon, polygon, area_m2, species, plants, action, action_date, replanting)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?;
                for x in &s.site_rows {
                    insert.execute(params![
                        x.survey, x.idx, x.date, x.commune, x.lat, x.lon, x.polygon, x.area_m2,
                        x.species, x.plants, x.action, x.action_date, x.replanting
                    ])?;
                }
                self.0.execute(
                    "INSERT OR REPLACE INTO survey_rows
                     (id, date, commune, kind, sites, plants, area_m2, conflicted, area_covered_ha, replanting)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        s.id, s.date, s.commune, s.kind, s.sites, s.plants, s.area_m2,
                        s.conflicted, s.area_covered_ha, s.replanting
                    ],
                )?
            }
            RowValues::HotSpot(h) => self.0.execute(
                "INSERT OR REPLACE INTO hotspot_rows
                 (id, date, commune, village, place, stage, activities, stages, lat, lon, conflicted)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    h.id, h.date, h.commune, h.village, h.place, h.stage, h.activities,
                    h.stages, h.lat, h.lon, h.conflicted
                ],
            )?,
        };
        Ok(())
    }

    fn remove(&mut self, kind: RecordKind, id: &str) -> Result<(), CoreError> {
        self.0.execute(
            &format!("DELETE FROM {} WHERE id = ?1", table_of(kind)),
            [id],
        )?;
        Ok(())
    }

    fn remove_sites(&mut self, survey: &str) -> Result<(), CoreError> {
        self.0
            .execute("DELETE FROM site_rows WHERE survey = ?1", [survey])?;
        Ok(())
    }

    fn has_person(&mut self, id: &str) -> Result<bool, CoreError> {
        Ok(self
            .0
            .query_row("SELECT 1 FROM person_rows WHERE id = ?1", [id], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
            .is_some())
    }

    fn latest_checkin(&mut self, person: &str) -> Result<Option<String>, CoreError> {
        Ok(self
            .0
            .query_row(
                // Only a check-in of the person's own commune counts (see
                // `visits` in crate::report), or for a person who moved,
                // of a commune they lived in (the hub checks the day).
                "SELECT c.id FROM checkin_rows c
                 JOIN documents d ON d.id = c.id
                 JOIN person_rows p ON p.id = c.person AND (p.commune = d.commune
                   OR p.id IN (SELECT person FROM person_moves))
                 WHERE c.person = ?1 ORDER BY c.date DESC, c.id DESC LIMIT 1",
                [person],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn set_due(&mut self, person: &str, due_on: Option<&str>) -> Result<(), CoreError> {
        self.0.execute(
            "UPDATE person_rows SET due_on = ?2 WHERE id = ?1",
            params![person, due_on],
        )?;
        Ok(())
    }

    fn document(&mut self, id: &str) -> Result<Option<Vec<u8>>, CoreError> {
        Ok(self
            .0
            .query_row("SELECT bytes FROM documents WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn document_ids(&mut self) -> Result<Vec<String>, CoreError> {
        let mut stmt = self.0.prepare("SELECT id FROM documents ORDER BY id")?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    fn clear(&mut self) -> Result<(), CoreError> {
        for table in ROW_TABLES {
            self.0.execute(&format!("DELETE FROM {table}"), [])?;
        }
        Ok(())
    }

    fn rebuilt(&mut self) -> Result<(), CoreError> {
        self.0
            .execute("DELETE FROM meta WHERE key = ?1", [REBUILD_KEY])?;
        Ok(())
    }
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

pub(crate) const HOTSPOT_SELECT: &str =
    "SELECT h.id, h.date, h.commune, h.village, h.place, h.stage, h.activities, d.dirty, h.conflicted
    FROM hotspot_rows h JOIN documents d ON d.id = h.id";

pub(crate) fn hotspot_row(r: &Row<'_>) -> Result<HotSpotRow, CoreError> {
    let c = Cells::new(r)?;
    Ok(HotSpotRow {
        id: c.uuid(0)?,
        detected_on: c.date(1)?,
        commune: c.get(2)?,
        village: c.get(3)?,
        place: c.get(4)?,
        stage: c.code(5)?,
        activities: c.codes(6)?,
        unsynced: c.get(7)?,
        conflicted: c.get(8)?,
    })
}
