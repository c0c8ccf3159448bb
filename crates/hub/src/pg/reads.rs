//! The PostgreSQL backend: a transaction on a pooled connection per
//! write, and reads on their own connections.

use super::pool::Connection;
use super::rows::PgRows;
use super::{audit, Pg};
use crate::error::HubError;
use crate::rules::audit::{Page, Query};
use crate::rules::devices::{
    commune_activity, communes_of, CommuneActivity, DeviceInfo, COMMUNE_ACTIVITY_SQL, DEVICES_SQL,
};
use crate::rules::protocol::FeedRow;
use crate::rules::staff::{stored_role, Staff, StaffAccount};
use crate::rules::units::{unit_of_row, ROW_COLUMNS};
use crate::storage::{Backend, WriteTx, STAFF_ACCOUNTS_SQL};
use pcmt_core::report::ReportSource;
use r2d2_postgres::postgres::{Client, IsolationLevel, Row};

/// A feed row selected as (seq, doc_id, kind, commune, bytes, snapshot).
fn feed_row(r: &Row) -> Result<FeedRow, HubError> {
    Ok(FeedRow {
        seq: r.try_get(0)?,
        doc_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        commune: r.try_get(3)?,
        bytes: r.try_get(4)?,
        snapshot: r.try_get(5)?,
    })
}

/// Up to `limit` feed rows after `after`, none from `except`, of
/// `communes` (None: every commune), in seq order, only those below the
/// watermark (see `super`): `pcmt_feed` asks for the bound first, then
/// reads the rows in a statement of its own, which sees every push that
/// committed before; one round trip.
fn below_watermark(
    c: &mut PgRows<'_, Client>,
    after: i64,
    communes: Option<&[String]>,
    except: &str,
    limit: i64,
    snapshots: bool,
) -> Result<Vec<FeedRow>, HubError> {
    c.query(
        "SELECT * FROM pcmt_feed($1, $2, $3, $4, $5)",
        &[&after, &communes, &limit, &except, &snapshots],
    )?
    .iter()
    .map(feed_row)
    .collect()
}

impl Pg {
    /// Runs `read` on a pooled connection, its statements prepared once.
    fn read<T>(
        &self,
        read: impl FnOnce(&mut PgRows<'_, Client>) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let mut conn = self.pool.get()?;
        let Connection { client, statements } = &mut *conn;
        read(&mut PgRows(client, statements))
    }
}

impl Backend for Pg {
    fn select(
        &self,
        sql: &str,
        params: &[crate::storage::Param<'_>],
    ) -> Result<Vec<Vec<crate::storage::Cell>>, HubError> {
        self.read(|c| c.select_params(sql, params))
    }

    fn write<T>(
        &self,
        work: impl FnOnce(&mut dyn WriteTx) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let mut conn = self.pool.get()?;
        let Connection { client, statements } = &mut *conn;
        let mut tx = client.transaction()?;
        let out = work(&mut PgRows(&mut tx, statements))?;
        tx.commit()?;
        Ok(out)
    }

    fn feed(
        &self,
        after: i64,
        communes: &[String],
        except: &str,
        limit: i64,
        snapshots: bool,
    ) -> Result<Vec<FeedRow>, HubError> {
        self.read(|c| below_watermark(c, after, Some(communes), except, limit, snapshots))
    }

    fn own_feed(&self, after: i64, except: &str, limit: i64) -> Result<Vec<FeedRow>, HubError> {
        self.read(|c| below_watermark(c, after, None, except, limit, false))
    }

    fn document_count(&self) -> Result<u64, HubError> {
        let n: i64 = self.read(|c| {
            Ok(c.query_opt("SELECT count(*) FROM documents", &[])?
                .map_or(Ok(0), |r| r.try_get(0))?)
        })?;
        Ok(n.unsigned_abs())
    }

    fn feed_end(&self) -> Result<i64, HubError> {
        self.read(|c| {
            Ok(
                c.query_opt("SELECT coalesce(max(seq), 0)::BIGINT FROM changes", &[])?
                    .map_or(Ok(0), |r| r.try_get(0))?,
            )
        })
    }

    fn documents(&self, ids: &[String]) -> Result<Vec<(String, String, Vec<u8>)>, HubError> {
        self.read(|c| {
            c.query(
                "SELECT id, commune, bytes FROM documents WHERE id = ANY($1)",
                &[&ids],
            )?
            .into_iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
        })
    }

    fn documents_between(
        &self,
        first: &str,
        last: &str,
        communes: &[String],
    ) -> Result<Vec<(String, Vec<u8>)>, HubError> {
        self.read(|c| {
            c.query(
                "SELECT id, bytes FROM documents
                 WHERE id BETWEEN $1 AND $2 AND commune = ANY($3)",
                &[&first, &last, &communes],
            )?
            .into_iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
        })
    }

    fn meta(&self, key: &str) -> Result<Option<String>, HubError> {
        self.read(|c| {
            Ok(
                c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
                    .map(|r| r.try_get(0))
                    .transpose()?,
            )
        })
    }

    fn audit_log(&self, query: &Query) -> Result<Page, HubError> {
        self.read(|c| audit::read(c, query))
    }

    /// In one read-only, repeatable-read transaction: every query of a page
    /// sees the same pushes.
    fn read_rows(&self, work: &mut dyn FnMut(&mut dyn ReportSource)) -> Result<(), HubError> {
        let mut conn = self.pool.get()?;
        let Connection { client, statements } = &mut *conn;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        work(&mut PgRows(&mut tx, statements));
        tx.commit()?;
        Ok(())
    }

    fn staff_account(&self, username: &str) -> Result<Option<(String, Staff)>, HubError> {
        self.read(|c| {
            c.query_opt(
                "SELECT phc, username, unit, role FROM staff WHERE username = $1 AND disabled_at IS NULL",
                &[&username],
            )?
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    Staff {
                        username: r.try_get(1)?,
                        unit: r.try_get(2)?,
                        role: stored_role(r.try_get(3)?),
                    },
                ))
            })
            .transpose()
        })
    }

    fn staff_accounts(&self) -> Result<Vec<StaffAccount>, HubError> {
        self.read(|c| {
            c.query(STAFF_ACCOUNTS_SQL, &[])?
                .iter()
                .map(|r| {
                    Ok(StaffAccount {
                        staff: Staff {
                            username: r.try_get(0)?,
                            unit: r.try_get(1)?,
                            role: stored_role(r.try_get(2)?),
                        },
                        created_at: r.try_get(3)?,
                        disabled_at: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    fn devices(&self) -> Result<Vec<DeviceInfo>, HubError> {
        self.read(|c| {
            c.query(DEVICES_SQL, &[])?
                .iter()
                .map(|r| {
                    Ok(DeviceInfo {
                        id: r.try_get(0)?,
                        officer: r.try_get(1)?,
                        communes: communes_of(r.try_get(2)?),
                        enrolled_at: r.try_get(3)?,
                        revoked_at: r.try_get(4)?,
                        lost_at: r.try_get(5)?,
                        last_change_at: r.try_get(6)?,
                        records_sent: r.try_get(7)?,
                    })
                })
                .collect()
        })
    }

    fn commune_activity(&self, since: i64) -> Result<Vec<CommuneActivity>, HubError> {
        self.read(|c| {
            let mut out = Vec::new();
            for r in c.query(COMMUNE_ACTIVITY_SQL, &[&since])? {
                let scope: Vec<String> = r.try_get(0)?;
                out.extend(commune_activity(&scope, r.try_get(1)?, r.try_get(2)?));
            }
            Ok(out)
        })
    }

    fn org_units(&self) -> Result<Vec<pcmt_model::OrgUnit>, HubError> {
        self.read(|c| {
            c.query(&format!("SELECT {ROW_COLUMNS} FROM org_units"), &[])?
                .into_iter()
                .map(|r| {
                    unit_of_row(
                        [r.try_get(0)?, r.try_get(1)?, r.try_get(2)?],
                        [r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, r.try_get(6)?],
                    )
                })
                .collect()
        })
    }

    fn staff_session(&self, token_hash: &[u8], now: i64) -> Result<Option<Staff>, HubError> {
        self.read(|c| {
            c.query_opt(
                "SELECT s.username, f.unit, f.role FROM staff_sessions s JOIN staff f ON f.username = s.username
                 WHERE f.disabled_at IS NULL AND s.token_hash = $1 AND s.expires_at > $2",
                &[&token_hash, &now],
            )?
            .map(|r| {
                Ok(Staff {
                    username: r.try_get(0)?,
                    unit: r.try_get(1)?,
                    role: stored_role(r.try_get(2)?),
                })
            })
            .transpose()
        })
    }
}
