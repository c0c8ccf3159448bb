//! The PostgreSQL dialect of the scripts' statements, on a pooled
//! connection's open transaction. Every statement is a round trip to the
//! server, so a push reads in one call and writes in another (the
//! functions of migration 0006), each for the whole push.

use super::rows::{hub_error, PgRows};
use super::{audit, calls, doc_lock_key};
use crate::error::HubError;
use crate::rules::audit::Entry;
use crate::rules::devices::CodeRow;
use crate::rules::duplicates::PersonFile;
use crate::rules::staff::{Role, StaffChange};
use crate::rules::units::{row_days, ROW_COLUMNS};
use crate::storage::{staff_change_sql, Cell, Locked, Param, PushWrites, Withdrawal, WriteTx};
use pcmt_core::CoreError;
use pcmt_model::Labelled;
use r2d2_postgres::postgres::Transaction;
use std::collections::HashMap;
use uuid::Uuid;

impl WriteTx for PgRows<'_, Transaction<'_>> {
    fn exec(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, HubError> {
        self.exec_params(sql, params)
    }

    fn select(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>, HubError> {
        self.select_params(sql, params)
    }

    fn savepoint(&mut self, sql: &str) -> Result<(), HubError> {
        Ok(self.0.batch_execute(sql)?)
    }

    fn storage_error(&self, e: CoreError) -> HubError {
        hub_error(e)
    }

    /// In key order, so two pushes never wait for each other in a circle;
    /// locked and read in one call (`pcmt_lock_documents`), whose read is
    /// a statement of its own, after the locks.
    fn lock_documents(&mut self, ids: &[Uuid], origin: Uuid) -> Result<Locked, HubError> {
        let mut keys: Vec<i64> = ids.iter().map(doc_lock_key).collect();
        keys.sort_unstable();
        keys.dedup();
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let mut locked = Locked {
            stored: HashMap::new(),
            officer: None,
        };
        for r in self.query(
            "SELECT doc_id, doc_bytes, officer FROM pcmt_lock_documents($1, $2, $3)",
            &[&keys, &ids, &origin.to_string()],
        )? {
            match r.try_get::<_, Option<String>>(0)? {
                Some(id) => {
                    locked.stored.insert(id, r.try_get(1)?);
                }
                None => locked.officer = r.try_get(2)?,
            }
        }
        Ok(locked)
    }

    fn document_communes(&mut self, ids: &[String]) -> Result<HashMap<String, String>, HubError> {
        self.query(
            "SELECT id, commune FROM documents WHERE id = ANY($1)",
            &[&ids],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }

    fn person_files(
        &mut self,
        ids: &[String],
        citizen_ids: &[String],
    ) -> Result<Vec<PersonFile>, HubError> {
        self.query(
            "SELECT id, commune, citizen_id FROM person_rows
             WHERE id = ANY($1) OR citizen_id = ANY($2)",
            &[&ids, &citizen_ids],
        )?
        .iter()
        .map(|r| {
            Ok(PersonFile {
                id: r.try_get(0)?,
                commune: r.try_get(1)?,
                citizen_id: r.try_get(2)?,
            })
        })
        .collect()
    }

    /// In one call (`pcmt_store_push`), the changes last: their insert
    /// announces this push to pullers (see `super`), and its lock is held
    /// from there to the commit.
    fn store_push(&mut self, push: &PushWrites<'_>) -> Result<u32, HubError> {
        let added: i64 = self
            .call(
                "pcmt_store_push",
                &[
                    calls::documents(push.documents),
                    calls::projected(push.projected),
                    audit::arg(push.entries)?,
                    calls::changes(push.changes),
                ],
            )?
            .first()
            .map_or(Ok(0), |r| r.try_get(0))?;
        Ok(u32::try_from(added).unwrap_or(u32::MAX))
    }

    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), HubError> {
        audit::append(self, entries)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), HubError> {
        self.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn meta_or_insert(&mut self, key: &str, value: &str) -> Result<String, HubError> {
        self.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &value],
        )?;
        // A statement of its own: it sees the value of a transaction that
        // inserted first and committed while the insert above waited.
        self.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
            .map(|r| r.try_get(0))
            .transpose()?
            .ok_or_else(|| HubError::Unsupported(format!("meta {key} was not stored")))
    }

    fn insert_code(
        &mut self,
        code_hash: &[u8],
        communes_json: &str,
        officer: &str,
        expires_at: i64,
    ) -> Result<(), HubError> {
        self.execute(
            "INSERT INTO enrolment_codes (code_hash, communes, officer, expires_at) VALUES ($1, $2, $3, $4)",
            &[&code_hash, &communes_json, &officer, &expires_at],
        )?;
        Ok(())
    }

    /// FOR UPDATE: a device marked lost meanwhile waits for this to end.
    fn device_lost(&mut self, device: &str) -> Result<Option<bool>, HubError> {
        Ok(self
            .0
            .query_opt(
                "SELECT lost_at IS NOT NULL FROM devices WHERE id = $1 FOR UPDATE",
                &[&device],
            )?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    /// FOR UPDATE: two hub processes given the same code at once; the
    /// second waits, then finds it used.
    fn code(&mut self, code_hash: &[u8]) -> Result<Option<CodeRow>, HubError> {
        self.query_opt(
            "SELECT communes, officer, expires_at, used_by FROM enrolment_codes
                 WHERE code_hash = $1 FOR UPDATE",
            &[&code_hash],
        )?
        .map(|r| -> Result<CodeRow, HubError> {
            Ok(CodeRow {
                communes: r.try_get(0)?,
                officer: r.try_get(1)?,
                expires_at: r.try_get(2)?,
                used_by: r.try_get(3)?,
            })
        })
        .transpose()
    }

    fn use_code(&mut self, code_hash: &[u8], device: &str) -> Result<(), HubError> {
        self.execute(
            "UPDATE enrolment_codes SET used_by = $2 WHERE code_hash = $1",
            &[&code_hash, &device],
        )?;
        Ok(())
    }

    /// FOR UPDATE: two enrolments of one id take turns, the second checked
    /// against the token the first stored.
    fn device_token_hash(&mut self, device: &str) -> Result<Option<Vec<u8>>, HubError> {
        Ok(self
            .0
            .query_opt(
                "SELECT token_hash FROM devices WHERE id = $1 FOR UPDATE",
                &[&device],
            )?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    /// A fresh id inserted by another enrolment meanwhile (no row to lock
    /// when this one looked) makes the insert wait for that commit, then
    /// store nothing.
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
            "INSERT INTO devices (id, token_hash, communes, officer, enrolled_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO NOTHING"
        } else {
            "UPDATE devices SET token_hash = $2, communes = $3, officer = $4, enrolled_at = $5,
               revoked_at = NULL WHERE id = $1"
        };
        let stored = self.execute(sql, &[&device, &token_hash, &communes_json, &officer, &at])?;
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
                "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
                 RETURNING officer, communes"
            }
            Withdrawal::Lost => {
                "UPDATE devices SET lost_at = $2, revoked_at = coalesce(revoked_at, $2)
                 WHERE id = $1 AND lost_at IS NULL RETURNING officer, communes"
            }
        };
        self.query_opt(sql, &[&device, &at])?
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
    }

    fn put_staff(
        &mut self,
        username: &str,
        phc: &str,
        unit: &str,
        role: Role,
        created_at: i64,
    ) -> Result<(), HubError> {
        self.execute(
            "INSERT INTO staff (username, phc, unit, role, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (username) DO UPDATE SET phc = excluded.phc, unit = excluded.unit, role = excluded.role,
                 disabled_at = NULL",
            &[&username, &phc, &unit, &role.code(), &created_at],
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
        Ok(self.exec_params(sql, &values)? > 0)
    }

    fn replace_org_units(&mut self, units: &[pcmt_model::OrgUnit]) -> Result<(), HubError> {
        // Loads take turns: a second one waits here for the first's commit,
        // then deletes what it wrote (its DELETE reads after the lock),
        // rather than inserting beside it and failing on a code both hold.
        self.execute("LOCK TABLE org_units IN EXCLUSIVE MODE", &[])?;
        self.execute("DELETE FROM org_units", &[])?;
        let column = |f: fn(&pcmt_model::OrgUnit) -> Option<&str>| -> Vec<Option<&str>> {
            units.iter().map(f).collect()
        };
        let days: Vec<[Option<String>; 2]> = units.iter().map(row_days).collect();
        let day =
            |i: usize| -> Vec<Option<&str>> { days.iter().map(|d| d[i].as_deref()).collect() };
        let (codes, names, levels, parents, merged_into) = (
            column(|u| Some(&u.code)),
            column(|u| Some(&u.name)),
            column(|u| Some(u.level.code())),
            column(|u| u.parent.as_deref()),
            column(|u| u.merged_into.as_deref()),
        );
        // One statement whatever the list's length: a province's few
        // thousand units are one round trip.
        self.execute(
            &format!(
                "INSERT INTO org_units ({ROW_COLUMNS})
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[],
                                      $5::text[], $6::text[], $7::text[])"
            ),
            &[
                &codes,
                &names,
                &levels,
                &parents,
                &day(0),
                &day(1),
                &merged_into,
            ],
        )?;
        Ok(())
    }

    fn bump_meta(&mut self, key: &str) -> Result<u64, HubError> {
        let n: i64 = self
            .query_opt(
                "INSERT INTO meta (key, value) VALUES ($1, '1')
                 ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text
                 RETURNING value::bigint",
                &[&key],
            )?
            .map(|r| r.try_get(0))
            .transpose()?
            .ok_or_else(|| HubError::Unsupported(format!("meta {key} was not stored")))?;
        Ok(n.unsigned_abs())
    }

    fn put_drug_free(
        &mut self,
        year: i32,
        commune: &str,
        drug_free: bool,
        set_by: &str,
        at: i64,
    ) -> Result<(), HubError> {
        self.execute(
            "INSERT INTO drug_free_communes (year, commune, drug_free, set_by, set_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (year, commune) DO UPDATE SET drug_free = excluded.drug_free,
                 set_by = excluded.set_by, set_at = excluded.set_at",
            &[&year, &commune, &drug_free, &set_by, &at],
        )?;
        Ok(())
    }

    fn delete_sessions_of(&mut self, username: &str) -> Result<(), HubError> {
        self.execute(
            "DELETE FROM staff_sessions WHERE username = $1",
            &[&username],
        )?;
        Ok(())
    }

    fn delete_sessions_expired(&mut self, now: i64) -> Result<(), HubError> {
        self.0
            .execute("DELETE FROM staff_sessions WHERE expires_at <= $1", &[&now])?;
        Ok(())
    }

    fn insert_session(
        &mut self,
        token_hash: &[u8],
        username: &str,
        expires_at: i64,
    ) -> Result<(), HubError> {
        self.execute(
            "INSERT INTO staff_sessions (token_hash, username, expires_at) VALUES ($1, $2, $3)",
            &[&token_hash, &username, &expires_at],
        )?;
        Ok(())
    }

    fn delete_session(&mut self, token_hash: &[u8]) -> Result<(), HubError> {
        self.execute(
            "DELETE FROM staff_sessions WHERE token_hash = $1",
            &[&token_hash],
        )?;
        Ok(())
    }
}
