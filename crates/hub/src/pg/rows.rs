//! The projection rows on PostgreSQL (migration 0002), written by
//! `pcmt_core::projection` through [`PgRows`] inside each push's
//! transaction (`pcmt_put_rows`: a table at a time for a whole push) and
//! read back by `pcmt_core::report` through the same type. The logic is in core; this
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

use super::calls;
use super::pool::Statements;
use crate::error::HubError;
use crate::storage::{Cell, Param};
use pcmt_core::projection::{
    table_of, Projected, RowValues, RowWriter, SiteValues, REBUILD_KEY, ROW_TABLES,
};
use pcmt_core::report::{
    in_scope, person_key, register_entry, shared_citizen_id, site_from_row, Column, Columns,
    ReportSource, RowScope, SessionGroup, SurveyTotals, VisitRow, MOVED_PEOPLE, MOVES_SQL,
    PERSON_KEYS_SQL, REGISTER_COLUMNS, SCOPE, SHARED_CITIZEN_IDS_SQL, SITE_COLUMNS,
};
use pcmt_core::CoreError;
use pcmt_model::report::{PersonKey, RegisterEntry, SharedCitizenId};
use pcmt_model::RecordKind;
use r2d2_postgres::postgres::types::ToSql;
use r2d2_postgres::postgres::{self, GenericClient, Row};

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

fn to_sql<'a>(params: &[Param<'a>]) -> Vec<Box<dyn ToSql + Sync + 'a>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync + 'a> {
            match *p {
                Param::Text(t) => Box::new(t),
                Param::Int(i) => Box::new(i),
                Param::Blob(b) => Box::new(b),
            }
        })
        .collect()
}

fn cell(row: &Row, i: usize) -> Result<Cell, HubError> {
    use postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    Ok(if ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?
            .map_or(Cell::Null, Cell::Int)
    } else if ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?
            .map_or(Cell::Null, |v| Cell::Int(v.into()))
    } else if ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)?
            .map_or(Cell::Null, Cell::Blob)
    } else {
        row.try_get::<_, Option<String>>(i)?
            .map_or(Cell::Null, Cell::Text)
    })
}

/// The part of every report query that picks rows: the period ($1, $2)
/// and the communes ($3, an array).
const IN_SCOPE: &str = "date >= $1 AND date <= $2 AND commune = ANY($3)";

pub(super) type Params<'p> = [&'p (dyn postgres::types::ToSql + Sync)];

impl<C: GenericClient> PgRows<'_, C> {
    /// A statement written for both databases ([`crate::storage::Param`]).
    pub(super) fn exec_params(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, HubError> {
        let values = to_sql(params);
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
        Ok(self.execute(sql, &refs)?)
    }

    /// The rows of a statement written for both databases, each value by
    /// its column's type.
    pub(super) fn select_params(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<Vec<Cell>>, HubError> {
        let values = to_sql(params);
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
        let rows = self.query(sql, &refs)?;
        rows.iter()
            .map(|row| (0..row.len()).map(|i| cell(row, i)).collect())
            .collect()
    }
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

impl<C: GenericClient> PgRows<'_, C> {
    /// `SELECT function(ROW($1, …)::type, …)`, prepared once per
    /// connection like every statement; its rows.
    pub(super) fn call(
        &mut self,
        function: &str,
        args: &[calls::Composite<'_>],
    ) -> Result<Vec<Row>, postgres::Error> {
        let mut next = 0;
        let values: Vec<String> = args
            .iter()
            .map(|a| {
                let params: Vec<String> = (next + 1..=next + a.fields.len())
                    .map(|i| format!("${i}"))
                    .collect();
                next += a.fields.len();
                format!("ROW({})::{}", params.join(", "), a.type_name)
            })
            .collect();
        let sql = format!("SELECT {function}({})", values.join(", "));
        let params: Vec<&(dyn ToSql + Sync)> = args
            .iter()
            .flat_map(|a| a.fields.iter().map(|f| &**f as &(dyn ToSql + Sync)))
            .collect();
        self.query(&sql, &params)
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
            RowValues::HotSpot(h) => (RecordKind::HotSpot, &h.id),
        };
        self.remove(kind, id)?;
        self.call("pcmt_put_rows", &[calls::rows(&[], &[row])])
            .map_err(backend)?;
        Ok(())
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
               JOIN person_rows p ON p.id = c.person AND (p.commune = d.commune
                 OR p.id IN (SELECT person FROM person_moves))
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

    /// In one call (`pcmt_put_rows`): a statement costs a round trip to
    /// the server, and a push of N records would otherwise send 3N or more.
    fn put_projected(&mut self, all: &[Projected]) -> Result<(), CoreError> {
        if all.is_empty() {
            return Ok(());
        }
        self.call("pcmt_put_rows", &[calls::projected(all)])
            .map_err(backend)?;
        Ok(())
    }
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
            &format!(
                r#"SELECT c.person, c.date, c.attended, c.next_visit, c.supported, c.test_result,
                     c.psychosis, d.commune
                   FROM checkin_rows c JOIN person_rows p ON p.id = c.person
                   JOIN documents d ON d.id = c.id
                   WHERE c.date <= $1 AND ((d.commune = p.commune AND p.commune = ANY($2))
                     OR p.id IN ({MOVED_PEOPLE}))
                   ORDER BY c.person COLLATE "C", c.date COLLATE "C", c.id COLLATE "C""#
            ),
            &[&until, &communes],
            |r| VisitRow::from_row(r),
        )
    }

    fn people(&mut self, communes: &[String]) -> Result<Vec<(String, String, String)>, CoreError> {
        self.select(
            &format!(
                "SELECT id, statuses, commune FROM person_rows
                 WHERE commune = ANY($1) OR id IN ({MOVED_PEOPLE})"
            ),
            &[&communes],
            |r| Ok((r.col(0)?, r.col(1)?, r.col(2)?)),
        )
    }

    fn moves(&mut self) -> Result<Vec<(String, String)>, CoreError> {
        self.select(MOVES_SQL, &[], |r| Ok((r.col(0)?, r.col(1)?)))
    }

    fn register(&mut self, communes: &[String]) -> Result<Vec<RegisterEntry>, CoreError> {
        self.select(
            &format!(
                r#"SELECT {REGISTER_COLUMNS} FROM person_rows WHERE commune = ANY($1)
                   ORDER BY commune COLLATE "C", name_key COLLATE "C", id COLLATE "C""#
            ),
            &[&communes],
            |r| register_entry(r),
        )
    }

    fn shared_citizen_ids(&mut self) -> Result<Vec<SharedCitizenId>, CoreError> {
        self.select(SHARED_CITIZEN_IDS_SQL, &[], |r| shared_citizen_id(r))
    }

    fn person_keys(&mut self) -> Result<Vec<PersonKey>, CoreError> {
        self.select(PERSON_KEYS_SQL, &[], |r| person_key(r))
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

    fn drug_free(
        &mut self,
        year: i32,
        communes: &[String],
    ) -> Result<Vec<(String, bool)>, CoreError> {
        self.select(
            "SELECT commune, drug_free FROM drug_free_communes
             WHERE year = $1 AND commune = ANY($2)",
            &[&year, &communes],
            |r| Ok((r.col(0)?, r.col(1)?)),
        )
    }
}
