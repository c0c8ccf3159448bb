//! What the office dashboard needs from PostgreSQL (migration 0002): the
//! projection rows, written by `pcmt_core::projection` through
//! [`PgRows`] inside each push's transaction and read back by
//! `pcmt_core::report` through the same type; and staff accounts and
//! sessions. The logic is in core and `crate::dashboard`; this is only how
//! the rows are stored.
//!
//! With several writers, one thing is weaker than on SQLite: a check-in
//! refreshes its person's `due_on` (a row of another document, not under
//! this push's document locks). Two pushes at once with check-ins of the
//! same person may leave `due_on` computed without the other's check-in,
//! and two pushes updating two persons in opposite orders can deadlock,
//! which PostgreSQL ends by failing one of them (the tablet sends it again
//! next sync; pushes are idempotent). No report reads `due_on`; a rebuild
//! recomputes it.

use crate::audit::{self, Entry};
use crate::dashboard::auth::Staff;
use crate::dashboard::storage::OfficeStorage;
use crate::pg::PgHubStore;
use crate::storage::RowStore;
use crate::store::HubError;
use pcmt_core::projection::{table_of, RowValues, RowWriter, SiteValues, REBUILD_KEY, ROW_TABLES};
use pcmt_core::report::{
    in_scope, site_from_row, Column, Columns, ReportSource, RowScope, SessionGroup, SurveyTotals,
    VisitRow, SCOPE, SITE_COLUMNS,
};
use pcmt_core::CoreError;
use pcmt_model::{OrgTree, RecordKind, StatusRules};
use r2d2_postgres::postgres::{self, GenericClient, IsolationLevel, Row};
use std::sync::Arc;

/// The projection rows in a PostgreSQL client or transaction.
pub(crate) struct PgRows<'a, C: GenericClient>(pub &'a mut C);

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
pub(crate) fn hub_error(e: CoreError) -> HubError {
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

impl<C: GenericClient> PgRows<'_, C> {
    fn exec(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<(), CoreError> {
        self.0.execute(sql, params).map_err(backend)?;
        Ok(())
    }

    fn rows(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, CoreError> {
        self.0.query(sql, params).map_err(backend)
    }

    /// The rows of a query, each read by `read` through [`Column`].
    fn select<T>(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
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
        match row {
            RowValues::Session(s) => {
                self.remove(RecordKind::Session, &s.id)?;
                self.exec(
                    "INSERT INTO session_rows
                     (id, date, commune, venue_kind, venue_name, form, attendees, women, topic, conflicted,
                      audience, materials, pledges, venue_key)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                    &[
                        &s.id, &s.date, &s.commune, &s.venue_kind, &s.venue_name, &s.form,
                        &s.attendees, &s.women, &s.topic, &s.conflicted, &s.audience, &s.materials,
                        &s.pledges, &s.venue_key,
                    ],
                )
            }
            RowValues::Person(p) => {
                self.remove(RecordKind::Person, &p.id)?;
                self.exec(
                    "INSERT INTO person_rows
                     (id, full_name, name_key, citizen_id, birth_date, commune, village, status, due_on, conflicted, statuses)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10)",
                    &[
                        &p.id, &p.full_name, &p.name_key, &p.citizen_id, &p.birth_date, &p.commune,
                        &p.village, &p.status, &p.conflicted, &p.statuses,
                    ],
                )
            }
            RowValues::CheckIn(c) => {
                self.remove(RecordKind::CheckIn, &c.id)?;
                self.exec(
                    "INSERT INTO checkin_rows
                     (id, person, date, attended, test_result, psychosis, relapse, next_visit, conflicted, supported)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        &c.id, &c.person, &c.date, &c.attended, &c.test_result, &c.psychosis,
                        &c.relapse, &c.next_visit, &c.conflicted, &c.supported,
                    ],
                )
            }
            RowValues::Survey(s) => {
                self.remove(RecordKind::Survey, &s.id)?;
                self.exec(
                    "INSERT INTO survey_rows
                     (id, date, commune, kind, sites, plants, area_m2, conflicted, area_covered_ha, replanting)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        &s.id, &s.date, &s.commune, &s.kind, &s.sites, &s.plants, &s.area_m2,
                        &s.conflicted, &s.area_covered_ha, &s.replanting,
                    ],
                )?;
                for x in &s.site_rows {
                    self.exec(
                        "INSERT INTO site_rows
                         (survey, idx, date, commune, lat, lon, polygon, area_m2, species, plants, action, action_date, replanting)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                        &[
                            &x.survey, &x.idx, &x.date, &x.commune, &x.lat, &x.lon, &x.polygon,
                            &x.area_m2, &x.species, &x.plants, &x.action, &x.action_date,
                            &x.replanting,
                        ],
                    )?;
                }
                Ok(())
            }
        }
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
            r#"SELECT id FROM checkin_rows WHERE person = $1
               ORDER BY date COLLATE "C" DESC, id COLLATE "C" DESC LIMIT 1"#,
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
}

impl<C: GenericClient> RowStore for PgRows<'_, C> {
    fn savepoint(&mut self, sql: &str) -> Result<(), HubError> {
        Ok(self.0.batch_execute(sql)?)
    }

    fn storage_error(&self, e: CoreError) -> HubError {
        hub_error(e)
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
            r#"SELECT c.person, c.date, c.attended, c.next_visit, c.supported, c.test_result, c.psychosis
               FROM checkin_rows c JOIN person_rows p ON p.id = c.person
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

impl OfficeStorage for PgHubStore {
    fn units(&self) -> Arc<OrgTree> {
        self.units.clone()
    }

    fn rules(&self) -> Arc<StatusRules> {
        self.rules.clone()
    }

    /// In one read-only, repeatable-read transaction: every query of a page
    /// sees the same pushes, as on SQLite under its lock.
    fn read_rows(&self, work: &mut dyn FnMut(&mut dyn ReportSource)) -> Result<(), HubError> {
        let mut client = self.pool.get()?;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        work(&mut PgRows(&mut tx));
        tx.commit()?;
        Ok(())
    }

    fn put_staff(
        &self,
        username: &str,
        phc: &str,
        unit: &str,
        created_at: i64,
    ) -> Result<(), HubError> {
        let mut client = self.pool.get()?;
        let mut tx = client.transaction()?;
        tx.execute(
            "INSERT INTO staff (username, phc, unit, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (username) DO UPDATE SET phc = excluded.phc, unit = excluded.unit",
            &[&username, &phc, &unit, &created_at],
        )?;
        tx.execute(
            "DELETE FROM staff_sessions WHERE username = $1",
            &[&username],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn staff_account(&self, username: &str) -> Result<Option<(String, String)>, HubError> {
        Ok(self
            .pool
            .get()?
            .query_opt(
                "SELECT phc, unit FROM staff WHERE username = $1",
                &[&username],
            )?
            .map(|r| Ok::<_, postgres::Error>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?)
    }

    fn put_staff_session(
        &self,
        token_hash: &[u8],
        username: &str,
        expires_at: i64,
        now: i64,
        signed_in: &Entry,
    ) -> Result<(), HubError> {
        let mut client = self.pool.get()?;
        let mut tx = client.transaction()?;
        tx.execute("DELETE FROM staff_sessions WHERE expires_at <= $1", &[&now])?;
        tx.execute(
            "INSERT INTO staff_sessions (token_hash, username, expires_at) VALUES ($1, $2, $3)",
            &[&token_hash, &username, &expires_at],
        )?;
        audit::pg_append(&mut tx, signed_in)?;
        tx.commit()?;
        Ok(())
    }

    fn staff_session(&self, token_hash: &[u8], now: i64) -> Result<Option<Staff>, HubError> {
        Ok(self
            .pool
            .get()?
            .query_opt(
                "SELECT s.username, f.unit FROM staff_sessions s JOIN staff f ON f.username = s.username
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
                &[&token_hash, &now],
            )?
            .map(|r| {
                Ok::<_, postgres::Error>(Staff {
                    username: r.try_get(0)?,
                    unit: r.try_get(1)?,
                })
            })
            .transpose()?)
    }

    fn delete_staff_session(&self, token_hash: &[u8]) -> Result<(), HubError> {
        self.pool.get()?.execute(
            "DELETE FROM staff_sessions WHERE token_hash = $1",
            &[&token_hash],
        )?;
        Ok(())
    }
}
