//! The SQLite backend: transactions on the writer, reads on the readers.

use super::{audit, Sqlite};
use crate::error::HubError;
use crate::rules::audit::{Page, Query};
use crate::rules::devices::{
    commune_activity, communes_of, CommuneActivity, DeviceInfo, COMMUNE_ACTIVITY_SQL, DEVICES_SQL,
};
use crate::rules::protocol::FeedRow;
use crate::rules::staff::{stored_role, Staff, StaffAccount};
use crate::rules::units::{unit_of_row, ROW_COLUMNS};
use crate::storage::{Backend, Cell, Param, WriteTx, STAFF_ACCOUNTS_SQL};
use pcmt_core::projection::SqliteRows;
use pcmt_core::report::ReportSource;
use rusqlite::{params, OptionalExtension, Row};

/// A feed row selected as (seq, doc_id, kind, commune, bytes, snapshot).
fn feed_row(r: &Row<'_>) -> rusqlite::Result<FeedRow> {
    Ok(FeedRow {
        seq: r.get(0)?,
        doc_id: r.get(1)?,
        kind: r.get(2)?,
        commune: r.get(3)?,
        bytes: r.get(4)?,
        snapshot: r.get(5)?,
    })
}

impl Backend for Sqlite {
    fn select(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>, HubError> {
        self.read(|conn| super::tx::select_on(conn, sql, params))
    }

    fn write<T>(
        &self,
        work: impl FnOnce(&mut dyn WriteTx) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        self.writer(|conn| {
            let tx = conn.transaction()?;
            let out = work(&mut SqliteRows(&tx))?;
            tx.commit()?;
            Ok(out)
        })
    }

    fn feed(
        &self,
        after: i64,
        communes: &[String],
        except: &str,
        limit: i64,
        snapshots: bool,
    ) -> Result<Vec<FeedRow>, HubError> {
        let communes =
            serde_json::to_string(communes).map_err(|e| HubError::Malformed(e.to_string()))?;
        self.read(|conn| {
            // The snapshot in the same statement as the rows: it holds
            // every change of its document they hold.
            let mut stmt = conn.prepare_cached(
                "SELECT c.seq, c.doc_id, d.kind, c.commune, c.bytes,
                   CASE WHEN ?5 AND d.commune IN (SELECT value FROM json_each(?2))
                     AND NOT EXISTS (SELECT 1 FROM changes e WHERE e.doc_id = c.doc_id AND e.seq < c.seq)
                   THEN d.bytes END
                 FROM changes c JOIN documents d ON d.id = c.doc_id
                 WHERE c.seq > ?1 AND c.commune IN (SELECT value FROM json_each(?2))
                   AND c.origin IS NOT ?4
                 ORDER BY c.seq LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![after, communes, limit, except, snapshots], feed_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn own_feed(&self, after: i64, except: &str, limit: i64) -> Result<Vec<FeedRow>, HubError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT c.seq, c.doc_id, d.kind, c.commune, c.bytes, NULL FROM changes c JOIN documents d ON d.id = c.doc_id
                 WHERE c.seq > ?1 AND c.origin IS NOT ?2 ORDER BY c.seq LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![after, except, limit], feed_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn document_count(&self) -> Result<u64, HubError> {
        self.read(|conn| {
            let n: i64 = conn.query_row("SELECT count(*) FROM documents", [], |r| r.get(0))?;
            Ok(n.unsigned_abs())
        })
    }

    fn feed_end(&self) -> Result<i64, HubError> {
        self.read(|conn| {
            Ok(
                conn.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    fn documents(&self, ids: &[String]) -> Result<Vec<(String, String, Vec<u8>)>, HubError> {
        let ids = serde_json::to_string(ids).map_err(|e| HubError::Malformed(e.to_string()))?;
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, commune, bytes FROM documents WHERE id IN (SELECT value FROM json_each(?1))",
            )?;
            let rows = stmt
                .query_map([ids], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn documents_between(
        &self,
        first: &str,
        last: &str,
        communes: &[String],
    ) -> Result<Vec<(String, Vec<u8>)>, HubError> {
        let communes =
            serde_json::to_string(communes).map_err(|e| HubError::Malformed(e.to_string()))?;
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, bytes FROM documents
                 WHERE id BETWEEN ?1 AND ?2 AND commune IN (SELECT value FROM json_each(?3))",
            )?;
            let rows = stmt
                .query_map(params![first, last, communes], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn meta(&self, key: &str) -> Result<Option<String>, HubError> {
        self.read(|conn| {
            Ok(conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()?)
        })
    }

    fn audit_log(&self, query: &Query) -> Result<Page, HubError> {
        self.read(|conn| audit::read(conn, query))
    }

    /// In one read transaction: every query of a page sees the same
    /// commits, whatever the writer does meanwhile.
    fn read_rows(&self, work: &mut dyn FnMut(&mut dyn ReportSource)) -> Result<(), HubError> {
        self.read(|conn| {
            // A report that panicked on this connection left its read open.
            if !conn.is_autocommit() {
                conn.execute_batch("ROLLBACK")?;
            }
            conn.execute_batch("BEGIN DEFERRED")?;
            work(&mut SqliteRows(conn));
            conn.execute_batch("COMMIT")?;
            Ok(())
        })
    }

    fn staff_account(&self, username: &str) -> Result<Option<(String, Staff)>, HubError> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT phc, username, unit, role FROM staff WHERE username = ?1 AND disabled_at IS NULL",
                    [username],
                    |r| {
                        Ok((
                            r.get(0)?,
                            Staff {
                                username: r.get(1)?,
                                unit: r.get(2)?,
                                role: stored_role(&r.get::<_, String>(3)?),
                            },
                        ))
                    },
                )
                .optional()?)
        })
    }

    fn staff_accounts(&self) -> Result<Vec<StaffAccount>, HubError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(STAFF_ACCOUNTS_SQL)?;
            let rows = statement.query_map([], |r| {
                Ok(StaffAccount {
                    staff: Staff {
                        username: r.get(0)?,
                        unit: r.get(1)?,
                        role: stored_role(&r.get::<_, String>(2)?),
                    },
                    created_at: r.get(3)?,
                    disabled_at: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn devices(&self) -> Result<Vec<DeviceInfo>, HubError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(DEVICES_SQL)?;
            let rows = statement.query_map([], |r| {
                Ok(DeviceInfo {
                    id: r.get(0)?,
                    officer: r.get(1)?,
                    communes: communes_of(&r.get::<_, String>(2)?),
                    enrolled_at: r.get(3)?,
                    revoked_at: r.get(4)?,
                    lost_at: r.get(5)?,
                    last_change_at: r.get(6)?,
                    records_sent: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn commune_activity(&self, since: i64) -> Result<Vec<CommuneActivity>, HubError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(COMMUNE_ACTIVITY_SQL)?;
            let rows = statement.query_map([since], |r| {
                let scope = communes_of(&r.get::<_, String>(0)?);
                Ok(commune_activity(&scope, r.get(1)?, r.get(2)?))
            })?;
            Ok(rows
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect())
        })
    }

    fn org_units(&self) -> Result<Vec<pcmt_model::OrgUnit>, HubError> {
        self.read(|conn| {
            let mut statement =
                conn.prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM org_units"))?;
            let rows = statement.query_map([], |r| {
                Ok((
                    [r.get(0)?, r.get(1)?, r.get(2)?],
                    [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
                ))
            })?;
            rows.map(|row| {
                let (text, optional) = row?;
                unit_of_row(text, optional)
            })
            .collect()
        })
    }

    fn staff_session(&self, token_hash: &[u8], now: i64) -> Result<Option<Staff>, HubError> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT s.username, f.unit, f.role FROM staff_sessions s JOIN staff f ON f.username = s.username
                     WHERE f.disabled_at IS NULL AND s.token_hash = ?1 AND s.expires_at > ?2",
                    params![token_hash, now],
                    |r| {
                        Ok(Staff {
                            username: r.get(0)?,
                            unit: r.get(1)?,
                            role: stored_role(&r.get::<_, String>(2)?),
                        })
                    },
                )
                .optional()?)
        })
    }
}
