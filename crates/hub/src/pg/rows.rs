//! The projection rows on PostgreSQL (migration 0002), written by
//! `pcmt_core::projection` through [`PgRows`] inside each push's
//! transaction (a table at a time for a whole push) and read back by
//! `pcmt_core::report` through the same type. The logic is in core; this
//! is only how the rows are stored.
//!
//! With several writers, one thing is weaker than on SQLite: a check-in
//! refreshes its person's `due_on` (a row of another document, not under
//! this push's document locks). Two pushes at once with check-ins of the
//! same person may leave `due_on` computed without the other's check-in,
//! and two pushes updating two persons in opposite orders can deadlock,
//! which PostgreSQL ends by failing one of them (the tablet sends it again
//! next sync; pushes are idempotent). No report reads `due_on`; a rebuild
//! recomputes it.

use super::pool::Statements;
use crate::error::HubError;
use pcmt_core::projection::{
    table_of, Projected, RowValues, RowWriter, SiteValues, REBUILD_KEY, ROW_TABLES,
};
use pcmt_core::report::{
    in_scope, site_from_row, Column, Columns, ReportSource, RowScope, SessionGroup, SurveyTotals,
    VisitRow, SCOPE, SITE_COLUMNS,
};
use pcmt_core::CoreError;
use pcmt_model::RecordKind;
use r2d2_postgres::postgres::{self, GenericClient, Row};

/// The projection rows in a PostgreSQL client or transaction.
/// The projection rows in a PostgreSQL client or transaction, with the
/// statements its connection has prepared.
pub(super) struct PgRows<'a, C: GenericClient>(pub &'a mut C, pub &'a mut Statements);

fn backend(e: postgres::Error) -> CoreError {
    CoreError::Backend(Box::new(e))
}

/// A PostgreSQL row as the report's column reader.
struct PgRow<'a>(&'a Row);

impl<T: for<'r> postgres::types::FromSql<'r>> Column<T> for PgRow<'_> {
    fn col(&self, i: usize) -> Result<T, CoreError> {
        self.0.try_get(i).map_err(backend)
    }
}

/// A row writer's or source's error as the hub's: PostgreSQL's own error
/// when that is what it carries.
pub(super) fn hub_error(e: CoreError) -> HubError {
    match e {
        CoreError::Backend(inner) => match inner.downcast::<postgres::Error>() {
            Ok(pg) => HubError::Pg(*pg),
            Err(other) => HubError::Open(CoreError::Backend(other)),
        },
        other => HubError::Open(other),
    }
}

/// The part of every report query that picks rows: the period ($1, $2)
/// and the communes ($3, an array).
const IN_SCOPE: &str = "date >= $1 AND date <= $2 AND commune = ANY($3)";

pub(super) type Params<'p> = [&'p (dyn postgres::types::ToSql + Sync)];

impl<C: GenericClient> PgRows<'_, C> {
    /// Runs `sql` (prepared once per connection); the rows it changed.
    pub(super) fn execute(
        &mut self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<u64, postgres::Error> {
        let statement = self.1.get(self.0, sql)?;
        self.0.execute(&statement, params)
    }

    pub(super) fn query(
        &mut self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.1.get(self.0, sql)?;
        self.0.query(&statement, params)
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Option<Row>, postgres::Error> {
        let statement = self.1.get(self.0, sql)?;
        self.0.query_opt(&statement, params)
    }

    fn exec(&mut self, sql: &str, params: &Params<'_>) -> Result<(), CoreError> {
        self.execute(sql, params).map_err(backend)?;
        Ok(())
    }

    fn rows(&mut self, sql: &str, params: &Params<'_>) -> Result<Vec<Row>, CoreError> {
        self.query(sql, params).map_err(backend)
    }

    /// The rows of a query, each read by `read` through [`Column`].
    fn select<T>(
        &mut self,
        sql: &str,
        params: &Params<'_>,
        read: impl Fn(&PgRow<'_>) -> Result<T, CoreError>,
    ) -> Result<Vec<T>, CoreError> {
        self.rows(sql, params)?
            .iter()
            .map(|r| read(&PgRow(r)))
            .collect()
    }
}

impl<C: GenericClient> RowWriter for PgRows<'_, C> {
    fn set_deleted(&mut self, id: &str, deleted: bool) -> Result<(), CoreError> {
        self.exec(
            "UPDATE documents SET deleted = $2 WHERE id = $1",
            &[&id, &deleted],
        )
    }

    /// Replaced whole, as SQLite's INSERT OR REPLACE does (`due_on` too).
    fn put(&mut self, row: &RowValues) -> Result<(), CoreError> {
        let (kind, id) = match row {
            RowValues::Session(s) => (RecordKind::Session, &s.id),
            RowValues::Person(p) => (RecordKind::Person, &p.id),
            RowValues::CheckIn(c) => (RecordKind::CheckIn, &c.id),
            RowValues::Survey(s) => (RecordKind::Survey, &s.id),
        };
        self.remove(kind, id)?;
        insert_rows(self, &[row])
    }

    fn remove(&mut self, kind: RecordKind, id: &str) -> Result<(), CoreError> {
        self.exec(
            &format!("DELETE FROM {} WHERE id = $1", table_of(kind)),
            &[&id],
        )
    }

    fn remove_sites(&mut self, survey: &str) -> Result<(), CoreError> {
        self.exec("DELETE FROM site_rows WHERE survey = $1", &[&survey])
    }

    fn has_person(&mut self, id: &str) -> Result<bool, CoreError> {
        Ok(!self
            .rows("SELECT 1 FROM person_rows WHERE id = $1", &[&id])?
            .is_empty())
    }

    fn latest_checkin(&mut self, person: &str) -> Result<Option<String>, CoreError> {
        // COLLATE "C": ids and dates order byte by byte, as on SQLite.
        self.rows(
            r#"SELECT c.id FROM checkin_rows c
               JOIN documents d ON d.id = c.id
               JOIN person_rows p ON p.id = c.person AND p.commune = d.commune
               WHERE c.person = $1
               ORDER BY c.date COLLATE "C" DESC, c.id COLLATE "C" DESC LIMIT 1"#,
            &[&person],
        )?
        .first()
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(backend)
    }

    fn set_due(&mut self, person: &str, due_on: Option<&str>) -> Result<(), CoreError> {
        self.exec(
            "UPDATE person_rows SET due_on = $2 WHERE id = $1",
            &[&person, &due_on],
        )
    }

    fn document(&mut self, id: &str) -> Result<Option<Vec<u8>>, CoreError> {
        self.rows("SELECT bytes FROM documents WHERE id = $1", &[&id])?
            .first()
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(backend)
    }

    fn document_ids(&mut self) -> Result<Vec<String>, CoreError> {
        self.rows("SELECT id FROM documents ORDER BY id", &[])?
            .iter()
            .map(|r| r.try_get(0).map_err(backend))
            .collect()
    }

    fn clear(&mut self) -> Result<(), CoreError> {
        for table in ROW_TABLES {
            self.exec(&format!("DELETE FROM {table}"), &[])?;
        }
        Ok(())
    }

    fn rebuilt(&mut self) -> Result<(), CoreError> {
        self.exec("DELETE FROM meta WHERE key = $1", &[&REBUILD_KEY])
    }

    /// A table at a time: a statement costs a round trip to the server,
    /// and a push of N records would otherwise send 3N or more.
    fn put_projected(&mut self, all: &[Projected]) -> Result<(), CoreError> {
        if all.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
        let deleted: Vec<bool> = all.iter().map(|p| p.deleted).collect();
        self.exec(
            "UPDATE documents d SET deleted = u.deleted
             FROM unnest($1::text[], $2::bool[]) AS u(id, deleted) WHERE d.id = u.id",
            &[&ids, &deleted],
        )?;
        let surveys: Vec<&str> = all
            .iter()
            .filter(|p| p.kind == RecordKind::Survey)
            .map(|p| p.id.as_str())
            .collect();
        if !surveys.is_empty() {
            self.exec("DELETE FROM site_rows WHERE survey = ANY($1)", &[&surveys])?;
        }
        // Replaced whole, as SQLite's INSERT OR REPLACE does (`due_on` too).
        for kind in [
            RecordKind::Session,
            RecordKind::Person,
            RecordKind::CheckIn,
            RecordKind::Survey,
        ] {
            let of_kind: Vec<&str> = all
                .iter()
                .filter(|p| p.kind == kind)
                .map(|p| p.id.as_str())
                .collect();
            if !of_kind.is_empty() {
                self.exec(
                    &format!("DELETE FROM {} WHERE id = ANY($1)", table_of(kind)),
                    &[&of_kind],
                )?;
            }
        }
        let rows: Vec<&RowValues> = all.iter().filter_map(|p| p.row.as_ref()).collect();
        insert_rows(self, &rows)
    }
}

/// Inserts rows (whose old ones are gone), one statement per table.
fn insert_rows<C: GenericClient>(
    w: &mut PgRows<'_, C>,
    rows: &[&RowValues],
) -> Result<(), CoreError> {
    insert_sessions(w, rows)?;
    insert_people(w, rows)?;
    insert_checkins(w, rows)?;
    insert_surveys(w, rows)
}

/// The live rows of one kind, by their values.
fn of<'a, T>(rows: &[&'a RowValues], pick: impl Fn(&'a RowValues) -> Option<&'a T>) -> Vec<&'a T> {
    rows.iter().filter_map(|r| pick(r)).collect()
}

/// One column of the rows, as the array `unnest` reads.
fn column<'a, T, U>(items: &[&'a T], value: impl Fn(&'a T) -> U) -> Vec<U> {
    items.iter().map(|v| value(v)).collect()
}

fn insert_sessions<C: GenericClient>(
    w: &mut PgRows<'_, C>,
    rows: &[&RowValues],
) -> Result<(), CoreError> {
    let s = of(rows, |r| match r {
        RowValues::Session(s) => Some(s),
        _ => None,
    });
    if s.is_empty() {
        return Ok(());
    }
    w.exec(
        "INSERT INTO session_rows
         (id, date, commune, venue_kind, venue_name, form, attendees, women, topic, conflicted,
          audience, materials, pledges, venue_key)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                              $7::bigint[], $8::bigint[], $9::text[], $10::bool[], $11::text[],
                              $12::bigint[], $13::bigint[], $14::text[])",
        &[
            &column(&s, |v| v.id.as_str()),
            &column(&s, |v| v.date.as_str()),
            &column(&s, |v| v.commune.as_str()),
            &column(&s, |v| v.venue_kind.as_str()),
            &column(&s, |v| v.venue_name.as_str()),
            &column(&s, |v| v.form.as_str()),
            &column(&s, |v| v.attendees),
            &column(&s, |v| v.women),
            &column(&s, |v| v.topic.as_str()),
            &column(&s, |v| v.conflicted),
            &column(&s, |v| v.audience.as_str()),
            &column(&s, |v| v.materials),
            &column(&s, |v| v.pledges),
            &column(&s, |v| v.venue_key.as_str()),
        ],
    )
}

fn insert_people<C: GenericClient>(
    w: &mut PgRows<'_, C>,
    rows: &[&RowValues],
) -> Result<(), CoreError> {
    let p = of(rows, |r| match r {
        RowValues::Person(p) => Some(p),
        _ => None,
    });
    if p.is_empty() {
        return Ok(());
    }
    w.exec(
        "INSERT INTO person_rows
         (id, full_name, name_key, citizen_id, birth_date, commune, village, status, due_on, conflicted, statuses)
         SELECT u.id, u.full_name, u.name_key, u.citizen_id, u.birth_date, u.commune, u.village, u.status,
                NULL, u.conflicted, u.statuses
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::bool[], $10::text[])
              AS u(id, full_name, name_key, citizen_id, birth_date, commune, village, status, conflicted, statuses)",
        &[
            &column(&p, |v| v.id.as_str()),
            &column(&p, |v| v.full_name.as_str()),
            &column(&p, |v| v.name_key.as_str()),
            &column(&p, |v| v.citizen_id.as_deref()),
            &column(&p, |v| v.birth_date.as_str()),
            &column(&p, |v| v.commune.as_str()),
            &column(&p, |v| v.village.as_deref()),
            &column(&p, |v| v.status.as_deref()),
            &column(&p, |v| v.conflicted),
            &column(&p, |v| v.statuses.as_str()),
        ],
    )
}

fn insert_checkins<C: GenericClient>(
    w: &mut PgRows<'_, C>,
    rows: &[&RowValues],
) -> Result<(), CoreError> {
    let c = of(rows, |r| match r {
        RowValues::CheckIn(c) => Some(c),
        _ => None,
    });
    if c.is_empty() {
        return Ok(());
    }
    w.exec(
        "INSERT INTO checkin_rows
         (id, person, date, attended, test_result, psychosis, relapse, next_visit, conflicted, supported)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::text[], $6::bool[],
                              $7::bool[], $8::text[], $9::bool[], $10::bool[])",
        &[
            &column(&c, |v| v.id.as_str()),
            &column(&c, |v| v.person.as_str()),
            &column(&c, |v| v.date.as_str()),
            &column(&c, |v| v.attended),
            &column(&c, |v| v.test_result.as_deref()),
            &column(&c, |v| v.psychosis),
            &column(&c, |v| v.relapse),
            &column(&c, |v| v.next_visit.as_deref()),
            &column(&c, |v| v.conflicted),
            &column(&c, |v| v.supported),
        ],
    )
}

fn insert_surveys<C: GenericClient>(
    w: &mut PgRows<'_, C>,
    rows: &[&RowValues],
) -> Result<(), CoreError> {
    let s = of(rows, |r| match r {
        RowValues::Survey(s) => Some(s),
        _ => None,
    });
    if s.is_empty() {
        return Ok(());
    }
    w.exec(
        "INSERT INTO survey_rows
         (id, date, commune, kind, sites, plants, area_m2, conflicted, area_covered_ha, replanting)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                              $7::float8[], $8::bool[], $9::float8[], $10::bigint[])",
        &[
            &column(&s, |v| v.id.as_str()),
            &column(&s, |v| v.date.as_str()),
            &column(&s, |v| v.commune.as_str()),
            &column(&s, |v| v.kind.as_str()),
            &column(&s, |v| v.sites),
            &column(&s, |v| v.plants),
            &column(&s, |v| v.area_m2),
            &column(&s, |v| v.conflicted),
            &column(&s, |v| v.area_covered_ha),
            &column(&s, |v| v.replanting),
        ],
    )?;
    let x: Vec<&SiteValues> = s.iter().flat_map(|v| &v.site_rows).collect();
    if x.is_empty() {
        return Ok(());
    }
    w.exec(
        "INSERT INTO site_rows
         (survey, idx, date, commune, lat, lon, polygon, area_m2, species, plants, action, action_date, replanting)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::float8[], $6::float8[],
                              $7::text[], $8::float8[], $9::text[], $10::bigint[], $11::text[], $12::text[],
                              $13::bool[])",
        &[
            &column(&x, |v| v.survey.as_str()),
            &column(&x, |v| v.idx),
            &column(&x, |v| v.date.as_str()),
            &column(&x, |v| v.commune.as_str()),
            &column(&x, |v| v.lat),
            &column(&x, |v| v.lon),
            &column(&x, |v| v.polygon.as_deref()),
            &column(&x, |v| v.area_m2),
            &column(&x, |v| v.species.as_str()),
            &column(&x, |v| v.plants),
            &column(&x, |v| v.action.as_str()),
            &column(&x, |v| v.action_date.as_str()),
            &column(&x, |v| v.replanting),
        ],
    )
}

impl<C: GenericClient> ReportSource for PgRows<'_, C> {
    fn each_in_scope(
        &mut self,
        sql: &str,
        scope: &RowScope,
        row: &mut dyn FnMut(&dyn Columns) -> Result<(), CoreError>,
    ) -> Result<(), CoreError> {
        let sql = sql.replace(SCOPE, IN_SCOPE);
        for r in self.rows(&sql, &[&scope.from, &scope.until, &scope.communes])? {
            row(&PgRow(&r))?;
        }
        Ok(())
    }

    fn session_groups(&mut self, scope: &RowScope) -> Result<Vec<SessionGroup>, CoreError> {
        // sum() of BIGINT is NUMERIC in PostgreSQL: cast back.
        in_scope(
            self,
            "SELECT form, venue_kind, count(*), sum(attendees)::bigint, sum(women)::bigint,
                        sum(materials)::bigint, sum(pledges)::bigint
                 FROM session_rows WHERE {scope} GROUP BY form, venue_kind",
            scope,
            |r| SessionGroup::from_row(r),
        )
    }

    fn visits(&mut self, until: &str, communes: &[String]) -> Result<Vec<VisitRow>, CoreError> {
        self.select(
            r#"SELECT c.person, c.date, c.attended, c.next_visit, c.supported, c.test_result, c.psychosis
               FROM checkin_rows c JOIN person_rows p ON p.id = c.person
               JOIN documents d ON d.id = c.id AND d.commune = p.commune
               WHERE c.date <= $1 AND p.commune = ANY($2)
               ORDER BY c.person COLLATE "C", c.date COLLATE "C", c.id COLLATE "C""#,
            &[&until, &communes],
            |r| VisitRow::from_row(r),
        )
    }

    fn people(&mut self, communes: &[String]) -> Result<Vec<(String, String)>, CoreError> {
        self.select(
            "SELECT id, statuses FROM person_rows WHERE commune = ANY($1)",
            &[&communes],
            |r| Ok((r.col(0)?, r.col(1)?)),
        )
    }

    fn survey_totals(&mut self, scope: &RowScope) -> Result<SurveyTotals, CoreError> {
        let mut totals = in_scope(
            self,
            "SELECT count(*), coalesce(sum(area_covered_ha), 0)::float8,
                        coalesce(sum(sites), 0)::bigint, coalesce(sum(plants), 0)::bigint,
                        coalesce(sum(area_m2), 0)::float8, coalesce(sum(replanting), 0)::bigint
                 FROM survey_rows WHERE {scope}",
            scope,
            |r| SurveyTotals::from_row(r),
        )?;
        Ok(totals.pop().unwrap_or_default())
    }

    fn sites(&mut self, scope: &RowScope) -> Result<Vec<SiteValues>, CoreError> {
        in_scope(
            self,
            &format!(
                r#"SELECT {SITE_COLUMNS} FROM site_rows WHERE {{scope}}
                   ORDER BY date COLLATE "C", survey COLLATE "C", idx"#
            ),
            scope,
            |r| site_from_row(r),
        )
    }
}
