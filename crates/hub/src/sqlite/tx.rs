//! The SQLite dialect of the scripts' statements, on the writer's open
//! transaction (through core's projection row writer, which the tablet
//! uses too). One writer: no locks to take, and a statement per row costs
//! no round trip.

use super::audit;
use crate::error::HubError;
use crate::rules::audit::Entry;
use crate::rules::devices::CodeRow;
use crate::rules::duplicates::PersonFile;
use crate::rules::staff::{Role, StaffChange};
use crate::rules::units::{row_days, ROW_COLUMNS};
use crate::storage::{staff_change_sql, Cell, Locked, Param, PushWrites, Withdrawal, WriteTx};
use pcmt_core::projection::{RowWriter, SqliteRows};
use pcmt_core::CoreError;
use pcmt_model::Labelled;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use uuid::Uuid;

impl WriteTx for SqliteRows<'_> {
    fn exec(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, HubError> {
        exec_on(self.0, sql, params)
    }

    fn select(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>, HubError> {
        select_on(self.0, sql, params)
    }

    fn savepoint(&mut self, sql: &str) -> Result<(), HubError> {
        Ok(self.0.execute_batch(sql)?)
    }

    fn storage_error(&self, e: CoreError) -> HubError {
        match e {
            CoreError::Db(e) => HubError::Db(e),
            other => HubError::Open(other),
        }
    }

    /// One writer: nothing to lock.
    fn lock_documents(&mut self, ids: &[Uuid], origin: Uuid) -> Result<Locked, HubError> {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        Ok(Locked {
            stored: column_by_id(self.0, "SELECT bytes FROM documents WHERE id = ?1", &ids)?,
            officer: self
                .0
                .query_row(
                    "SELECT officer FROM devices WHERE id = ?1",
                    [origin.to_string()],
                    |r| r.get(0),
                )
                .optional()?,
        })
    }

    fn document_communes(&mut self, ids: &[String]) -> Result<HashMap<String, String>, HubError> {
        column_by_id(self.0, "SELECT commune FROM documents WHERE id = ?1", ids)
    }

    fn person_files(
        &mut self,
        ids: &[String],
        citizen_ids: &[String],
    ) -> Result<Vec<PersonFile>, HubError> {
        let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let mut stmt = self.0.prepare_cached(
            "SELECT id, commune, citizen_id FROM person_rows
             WHERE id IN (SELECT value FROM json_each(?1))
                OR citizen_id IN (SELECT value FROM json_each(?2))",
        )?;
        let rows = stmt.query_map(params![json(ids), json(citizen_ids)], |r| {
            Ok(PersonFile {
                id: r.get(0)?,
                commune: r.get(1)?,
                citizen_id: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A statement a row: in the hub's own process, a statement costs no
    /// round trip.
    fn store_push(&mut self, push: &PushWrites<'_>) -> Result<u32, HubError> {
        let ids: Vec<&str> = push.documents.iter().map(|d| d.id.as_str()).collect();
        crate::storage::attachments::clear_refs(self, &ids)?;
        let mut stmt = self.0.prepare_cached(
            "INSERT INTO documents (id, kind, commune, bytes) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, commune = excluded.commune, bytes = excluded.bytes",
        )?;
        for d in push.documents {
            stmt.execute(params![d.id, d.kind, d.commune, d.bytes])?;
        }
        self.put_projected(push.projected)
            .map_err(|e| self.storage_error(e))?;
        self.append_audit(push.entries)?;
        let mut stmt = self.0.prepare_cached(
            "INSERT OR IGNORE INTO changes (doc_id, commune, hash, bytes, origin) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut added = 0;
        for c in push.changes {
            added += stmt.execute(params![c.doc_id, c.commune, c.hash, c.bytes, c.origin])?;
        }
        Ok(u32::try_from(added).unwrap_or(u32::MAX))
    }

    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), HubError> {
        entries.iter().try_for_each(|e| audit::append(self.0, e))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), HubError> {
        self.0.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn meta_or_insert(&mut self, key: &str, value: &str) -> Result<String, HubError> {
        self.0.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
            params![key, value],
        )?;
        Ok(self
            .0
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))?)
    }

    fn insert_code(
        &mut self,
        code_hash: &[u8],
        communes_json: &str,
        officer: &str,
        expires_at: i64,
    ) -> Result<(), HubError> {
        self.0.execute(
            "INSERT INTO enrolment_codes (code_hash, communes, officer, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![code_hash, communes_json, officer, expires_at],
        )?;
        Ok(())
    }

    fn device_lost(&mut self, device: &str) -> Result<Option<bool>, HubError> {
        Ok(self
            .0
            .query_row(
                "SELECT lost_at IS NOT NULL FROM devices WHERE id = ?1",
                [device],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn code(&mut self, code_hash: &[u8]) -> Result<Option<CodeRow>, HubError> {
        Ok(self
            .0
            .query_row(
                "SELECT communes, officer, expires_at, used_by FROM enrolment_codes WHERE code_hash = ?1",
                [code_hash],
                |r| {
                    Ok(CodeRow {
                        communes: r.get(0)?,
                        officer: r.get(1)?,
                        expires_at: r.get(2)?,
                        used_by: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    fn use_code(&mut self, code_hash: &[u8], device: &str) -> Result<(), HubError> {
        self.0.execute(
            "UPDATE enrolment_codes SET used_by = ?2 WHERE code_hash = ?1",
            params![code_hash, device],
        )?;
        Ok(())
    }

    fn device_token_hash(&mut self, device: &str) -> Result<Option<Vec<u8>>, HubError> {
        Ok(self
            .0
            .query_row(
                "SELECT token_hash FROM devices WHERE id = ?1",
                [device],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn put_device(
        &mut self,
        device: &str,
        token_hash: &[u8],
        communes_json: &str,
        officer: &str,
        at: i64,
        fresh: bool,
    ) -> Result<bool, HubError> {
        let sql = if fresh {
            "INSERT INTO devices (id, token_hash, communes, officer, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO NOTHING"
        } else {
            "UPDATE devices SET token_hash = ?2, communes = ?3, officer = ?4, enrolled_at = ?5,
               revoked_at = NULL WHERE id = ?1"
        };
        let stored = self
            .0
            .execute(sql, params![device, token_hash, communes_json, officer, at])?;
        Ok(stored == 1)
    }

    fn withdraw(
        &mut self,
        device: &str,
        how: Withdrawal,
        at: i64,
    ) -> Result<Option<(String, String)>, HubError> {
        let sql = match how {
            Withdrawal::Revoked => {
                "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL
                 RETURNING officer, communes"
            }
            Withdrawal::Lost => {
                "UPDATE devices SET lost_at = ?2, revoked_at = coalesce(revoked_at, ?2)
                 WHERE id = ?1 AND lost_at IS NULL RETURNING officer, communes"
            }
        };
        Ok(self
            .0
            .query_row(sql, params![device, at], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn put_staff(
        &mut self,
        username: &str,
        phc: &str,
        unit: &str,
        role: Role,
        created_at: i64,
    ) -> Result<(), HubError> {
        self.0.execute(
            "INSERT INTO staff (username, phc, unit, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(username) DO UPDATE SET phc = excluded.phc, unit = excluded.unit, role = excluded.role,
                 disabled_at = NULL",
            params![username, phc, unit, role.code(), created_at],
        )?;
        Ok(())
    }

    fn change_staff(
        &mut self,
        username: &str,
        change: &StaffChange,
        at: i64,
    ) -> Result<bool, HubError> {
        let (sql, values) = staff_change_sql(username, change, at);
        Ok(exec_on(self.0, sql, &values)? > 0)
    }

    fn put_drug_free(
        &mut self,
        year: i32,
        commune: &str,
        drug_free: bool,
        set_by: &str,
        at: i64,
    ) -> Result<(), HubError> {
        self.0.execute(
            "INSERT INTO drug_free_communes (year, commune, drug_free, set_by, set_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(year, commune) DO UPDATE SET drug_free = excluded.drug_free,
                 set_by = excluded.set_by, set_at = excluded.set_at",
            params![year, commune, drug_free, set_by, at],
        )?;
        Ok(())
    }

    fn replace_org_units(&mut self, units: &[pcmt_model::OrgUnit]) -> Result<(), HubError> {
        self.0.execute("DELETE FROM org_units", [])?;
        let mut insert = self.0.prepare_cached(&format!(
            "INSERT INTO org_units ({ROW_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ))?;
        for u in units {
            let [from, to] = row_days(u);
            insert.execute(params![
                u.code,
                u.name,
                u.level.code(),
                u.parent,
                from,
                to,
                u.merged_into
            ])?;
        }
        Ok(())
    }

    fn bump_meta(&mut self, key: &str) -> Result<u64, HubError> {
        let n: i64 = self.0.query_row(
            "INSERT INTO meta (key, value) VALUES (?1, '1')
             ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
             RETURNING CAST(value AS INTEGER)",
            [key],
            |r| r.get(0),
        )?;
        Ok(n.unsigned_abs())
    }

    fn delete_sessions_of(&mut self, username: &str) -> Result<(), HubError> {
        self.0
            .execute("DELETE FROM staff_sessions WHERE username = ?1", [username])?;
        Ok(())
    }

    fn delete_sessions_expired(&mut self, now: i64) -> Result<(), HubError> {
        self.0
            .execute("DELETE FROM staff_sessions WHERE expires_at <= ?1", [now])?;
        Ok(())
    }

    fn insert_session(
        &mut self,
        token_hash: &[u8],
        username: &str,
        expires_at: i64,
    ) -> Result<(), HubError> {
        self.0.execute(
            "INSERT INTO staff_sessions (token_hash, username, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash, username, expires_at],
        )?;
        Ok(())
    }

    fn delete_session(&mut self, token_hash: &[u8]) -> Result<(), HubError> {
        self.0.execute(
            "DELETE FROM staff_sessions WHERE token_hash = ?1",
            [token_hash],
        )?;
        Ok(())
    }
}

/// One column of the documents among `ids` the hub holds, by id: `sql`
/// selects it for the id `?1` (one cached statement, a lookup per id).
fn column_by_id<T: rusqlite::types::FromSql>(
    conn: &rusqlite::Connection,
    sql: &str,
    ids: &[String],
) -> Result<HashMap<String, T>, HubError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut found = HashMap::new();
    for id in ids {
        if let Some(value) = stmt.query_row([id], |r| r.get(0)).optional()? {
            found.insert(id.clone(), value);
        }
    }
    Ok(found)
}

fn values(params: &[Param<'_>]) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value;
    params
        .iter()
        .map(|p| match *p {
            Param::Text(t) => Value::Text(t.to_string()),
            Param::Int(i) => Value::Integer(i),
            Param::Blob(b) => Value::Blob(b.to_vec()),
        })
        .collect()
}

/// A statement written for both databases ([`Param`]), on SQLite.
pub(super) fn exec_on(conn: &Connection, sql: &str, params: &[Param<'_>]) -> Result<u64, HubError> {
    let n = conn
        .prepare_cached(sql)?
        .execute(rusqlite::params_from_iter(values(params)))?;
    Ok(n as u64)
}

/// The rows of a statement written for both databases, on SQLite.
pub(super) fn select_on(
    conn: &Connection,
    sql: &str,
    params: &[Param<'_>],
) -> Result<Vec<Vec<Cell>>, HubError> {
    use rusqlite::types::ValueRef;
    let mut stmt = conn.prepare_cached(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(values(params)))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(match row.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                ValueRef::Real(v) => Cell::Int(v as i64),
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
            });
        }
        out.push(cells);
    }
    Ok(out)
}
