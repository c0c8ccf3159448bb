//! What the office dashboard needs from a hub store, beside the sync
//! protocol: the org tree and status rules, the projection rows read as a
//! [`ReportSource`], and staff accounts and sessions as rows. Both stores
//! implement it (SQLite here, PostgreSQL in `crate::pg_dashboard`); what the
//! rows mean — the report, password hashing, session tokens and expiry — is
//! computed once above it (`pcmt_core::report`, [`super::auth`]).

use super::auth::Staff;
use crate::audit::{self, Entry};
use crate::storage::lock;
use crate::store::{HubError, HubStore};
use pcmt_core::projection::SqliteRows;
use pcmt_core::report::ReportSource;
use pcmt_model::{OrgTree, StatusRules};
use rusqlite::{params, OptionalExtension};
use std::sync::{Arc, Mutex};

pub trait OfficeStorage {
    /// The org tree reports roll up through and staff units lie in.
    fn units(&self) -> Arc<OrgTree>;
    fn rules(&self) -> Arc<StatusRules>;
    /// Runs `work` over the projection rows, all read as of one moment.
    fn read_rows(&self, work: &mut dyn FnMut(&mut dyn ReportSource)) -> Result<(), HubError>;

    /// Inserts an account or replaces its hash and unit, and ends its
    /// sessions (a reset password ends the sessions opened with the old
    /// one), in one transaction.
    fn put_staff(
        &self,
        username: &str,
        phc: &str,
        unit: &str,
        created_at: i64,
    ) -> Result<(), HubError>;
    /// The PHC string and unit of an account.
    fn staff_account(&self, username: &str) -> Result<Option<(String, String)>, HubError>;
    /// Stores a session (only its token's hash), sweeping expired ones.
    fn put_staff_session(
        &self,
        token_hash: &[u8],
        username: &str,
        expires_at: i64,
        now: i64,
        signed_in: &Entry,
    ) -> Result<(), HubError>;
    /// The staff member of a session still live at `now`.
    fn staff_session(&self, token_hash: &[u8], now: i64) -> Result<Option<Staff>, HubError>;
    fn delete_staff_session(&self, token_hash: &[u8]) -> Result<(), HubError>;
}

/// Runs `work` over the rows of any store and hands back what it returns.
pub fn with_rows<T>(
    storage: &(impl OfficeStorage + ?Sized),
    work: impl FnOnce(&mut dyn ReportSource) -> T,
) -> Result<T, HubError> {
    let (mut work, mut out) = (Some(work), None);
    storage.read_rows(&mut |rows| {
        if let Some(work) = work.take() {
            out = Some(work(rows));
        }
    })?;
    out.ok_or_else(|| HubError::Unsupported("the store did not read its rows".into()))
}

/// The SQLite store: one connection, so its rows are one moment as long as
/// the lock is held.
impl OfficeStorage for Mutex<HubStore> {
    fn units(&self) -> Arc<OrgTree> {
        lock(self).units.clone()
    }

    fn rules(&self) -> Arc<StatusRules> {
        lock(self).rules.clone()
    }

    fn read_rows(&self, work: &mut dyn FnMut(&mut dyn ReportSource)) -> Result<(), HubError> {
        work(&mut SqliteRows(lock(self).conn()));
        Ok(())
    }

    fn put_staff(
        &self,
        username: &str,
        phc: &str,
        unit: &str,
        created_at: i64,
    ) -> Result<(), HubError> {
        let mut hub = lock(self);
        let tx = hub.conn_mut().transaction()?;
        tx.execute(
            "INSERT INTO staff (username, phc, unit, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(username) DO UPDATE SET phc = excluded.phc, unit = excluded.unit",
            params![username, phc, unit, created_at],
        )?;
        tx.execute("DELETE FROM staff_sessions WHERE username = ?1", [username])?;
        tx.commit()?;
        Ok(())
    }

    fn staff_account(&self, username: &str) -> Result<Option<(String, String)>, HubError> {
        Ok(lock(self)
            .conn()
            .query_row(
                "SELECT phc, unit FROM staff WHERE username = ?1",
                [username],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn put_staff_session(
        &self,
        token_hash: &[u8],
        username: &str,
        expires_at: i64,
        now: i64,
        signed_in: &Entry,
    ) -> Result<(), HubError> {
        let mut hub = lock(self);
        let tx = hub.conn_mut().transaction()?;
        tx.execute("DELETE FROM staff_sessions WHERE expires_at <= ?1", [now])?;
        tx.execute(
            "INSERT INTO staff_sessions (token_hash, username, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash, username, expires_at],
        )?;
        audit::sqlite_append(&tx, signed_in)?;
        tx.commit()?;
        Ok(())
    }

    fn staff_session(&self, token_hash: &[u8], now: i64) -> Result<Option<Staff>, HubError> {
        Ok(lock(self)
            .conn()
            .query_row(
                "SELECT s.username, f.unit FROM staff_sessions s JOIN staff f ON f.username = s.username
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                params![token_hash, now],
                |r| {
                    Ok(Staff {
                        username: r.get(0)?,
                        unit: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    fn delete_staff_session(&self, token_hash: &[u8]) -> Result<(), HubError> {
        lock(self).conn().execute(
            "DELETE FROM staff_sessions WHERE token_hash = ?1",
            [token_hash],
        )?;
        Ok(())
    }
}
