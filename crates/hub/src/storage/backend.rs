//! What a database gives the scripts in [`super::scripts`]: statements of
//! its dialect, each one query's worth, and nothing that decides.

use crate::error::HubError;
use crate::rules::audit::{Entry, Page, Query};
use crate::rules::devices::{CodeRow, CommuneActivity, DeviceInfo};
use crate::rules::duplicates::PersonFile;
use crate::rules::protocol::FeedRow;
use crate::rules::staff::{Role, Staff, StaffAccount, StaffChange};
use pcmt_core::projection::{Projected, RowWriter};
use pcmt_core::report::ReportSource;
use pcmt_core::CoreError;
use pcmt_model::{Labelled, OrgUnit};
use std::collections::HashMap;
use uuid::Uuid;

/// A document as stored: its envelope and its saved bytes.
pub struct DocumentRow {
    pub id: String,
    pub kind: &'static str,
    pub commune: String,
    pub bytes: Vec<u8>,
}

/// A change appended to the feed.
pub struct ChangeRow {
    pub doc_id: String,
    pub commune: String,
    pub hash: Vec<u8>,
    pub bytes: Vec<u8>,
    /// The device (or the nil office id, or the uplink's) it came from.
    pub origin: String,
}

/// What [`WriteTx::lock_documents`] read.
pub struct Locked {
    /// Stored bytes by document id.
    pub stored: HashMap<String, Vec<u8>>,
    pub officer: Option<String>,
}

/// A push's writes, in the order [`WriteTx::store_push`] makes them.
pub struct PushWrites<'a> {
    pub documents: &'a [DocumentRow],
    /// The rows of the documents whose body could be read.
    pub projected: &'a [Projected],
    pub entries: &'a [Entry],
    pub changes: &'a [ChangeRow],
}

/// How the office withdraws a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    /// Its token is refused until a new code enrols it again.
    Revoked,
    /// Refused for good (marking lost also revokes).
    Lost,
}

/// One write transaction of a backend. Its projection rows are written
/// through [`RowWriter`] (the logic is `pcmt_core::projection`'s); the
/// rest are the statements the scripts need. Everything runs inside the
/// transaction [`Backend::write`] opened, and commits with it.
pub trait WriteTx: RowWriter {
    /// Sets or releases a savepoint (`SAVEPOINT x`, `ROLLBACK TO x`,
    /// `RELEASE x`: the same words on both databases).
    fn savepoint(&mut self, sql: &str) -> Result<(), HubError>;
    /// The backend's own error back out of a row writer's.
    fn storage_error(&self, e: CoreError) -> HubError;

    /// What a push reads before it merges: makes concurrent writers of
    /// these documents take turns until the commit (a no-op where there is
    /// one writer), then reads the stored bytes of those the hub holds, as
    /// the last writer to hold them committed them, and the officer
    /// `origin` is enrolled for (none for the office, the hub above or an
    /// unknown device).
    fn lock_documents(&mut self, ids: &[Uuid], origin: Uuid) -> Result<Locked, HubError>;
    /// The commune of those of `ids` the hub holds.
    fn document_communes(&mut self, ids: &[String]) -> Result<HashMap<String, String>, HubError>;
    /// The person files counted in the reports (not deleted, not merged,
    /// readable) holding one of `citizen_ids`, or one of `ids`.
    fn person_files(
        &mut self,
        ids: &[String],
        citizen_ids: &[String],
    ) -> Result<Vec<PersonFile>, HubError>;
    /// A push's writes after its merge: the documents, the rows of those
    /// readable, the audit entries, then the changes the feed does not
    /// hold yet, in the order given. Returns how many changes were new.
    /// Feed positions must become visible in the order they are handed
    /// out: one writer gives that on SQLite; on PostgreSQL the changes'
    /// insert announces the push to pullers, who stop below it until it
    /// commits (see `crate::pg`).
    ///
    /// The documents' attachment refs are cleared here too (the script
    /// writes them again from the documents after): on PostgreSQL inside
    /// the same call, a statement fewer.
    fn store_push(&mut self, push: &PushWrites<'_>) -> Result<u32, HubError>;
    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), HubError>;
    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), HubError>;
    /// Stores `value` under `key` unless a value is there (another
    /// process's, committed first), and returns the value stored.
    fn meta_or_insert(&mut self, key: &str, value: &str) -> Result<String, HubError>;

    fn insert_code(
        &mut self,
        code_hash: &[u8],
        communes_json: &str,
        officer: &str,
        expires_at: i64,
    ) -> Result<(), HubError>;
    /// Whether a device is marked lost (None: no such device), locking its
    /// row until the commit where rows can be locked.
    fn device_lost(&mut self, device: &str) -> Result<Option<bool>, HubError>;
    /// A code's row, locked until the commit where rows can be locked.
    fn code(&mut self, code_hash: &[u8]) -> Result<Option<CodeRow>, HubError>;
    fn use_code(&mut self, code_hash: &[u8], device: &str) -> Result<(), HubError>;
    /// The hash of the last token a device was given, revoked or not (None:
    /// no such device), locking its row until the commit where rows can be
    /// locked.
    fn device_token_hash(&mut self, device: &str) -> Result<Option<Vec<u8>>, HubError>;
    /// With `fresh`, inserts a device the hub did not hold, and stores
    /// nothing (false) if another transaction inserted that id meanwhile;
    /// otherwise gives the existing device a new token, communes and
    /// officer and lifts a revocation. Whether the device was stored.
    fn put_device(
        &mut self,
        device: &str,
        token_hash: &[u8],
        communes_json: &str,
        officer: &str,
        at: i64,
        fresh: bool,
    ) -> Result<bool, HubError>;
    /// Withdraws a device not yet withdrawn that way; its officer and
    /// communes (JSON) when it was.
    fn withdraw(
        &mut self,
        device: &str,
        how: Withdrawal,
        at: i64,
    ) -> Result<Option<(String, String)>, HubError>;

    fn put_staff(
        &mut self,
        username: &str,
        phc: &str,
        unit: &str,
        role: Role,
        created_at: i64,
    ) -> Result<(), HubError>;
    /// Makes an administrator's change to an account (see
    /// [`StaffChange`]); false when there was nothing to change (no such
    /// account, or for `Create` one already there).
    fn change_staff(
        &mut self,
        username: &str,
        change: &StaffChange,
        at: i64,
    ) -> Result<bool, HubError>;
    fn delete_sessions_of(&mut self, username: &str) -> Result<(), HubError>;
    fn delete_sessions_expired(&mut self, now: i64) -> Result<(), HubError>;
    fn insert_session(
        &mut self,
        token_hash: &[u8],
        username: &str,
        expires_at: i64,
    ) -> Result<(), HubError>;
    fn delete_session(&mut self, token_hash: &[u8]) -> Result<(), HubError>;
    /// Classes `commune` for `year`, replacing an earlier classing.
    fn put_drug_free(
        &mut self,
        year: i32,
        commune: &str,
        drug_free: bool,
        set_by: &str,
        at: i64,
    ) -> Result<(), HubError>;
    /// Replaces every org unit with `units`.
    fn replace_org_units(&mut self, units: &[OrgUnit]) -> Result<(), HubError>;
    /// Adds one to the number stored under `key` (0 when none) and
    /// returns it, in one statement: concurrent writers each get their own.
    fn bump_meta(&mut self, key: &str) -> Result<u64, HubError>;
    /// Runs a statement both databases read as written (`$n` placeholders
    /// numbered in the order they first appear, integers as BIGINT);
    /// how many rows it changed.
    fn exec(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, HubError>;
    /// Reads the rows of such a statement (integers, text, bytes or null).
    fn select(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>, HubError>;
}

/// A database behind a [`super::Hub`]: write transactions for the scripts,
/// and the reads, each one statement.
pub trait Backend: Send + Sync {
    /// Runs `work` in one write transaction: committed if it returns Ok,
    /// rolled back otherwise.
    fn write<T>(
        &self,
        work: impl FnOnce(&mut dyn WriteTx) -> Result<T, HubError>,
    ) -> Result<T, HubError>;

    /// Up to `limit` feed rows after `after`, of `communes`, none from
    /// `except` (the device pulling), in `seq` order; with `snapshots`,
    /// each row that is its document's first change in the feed carries
    /// the document as stored, read in the same statement (see
    /// [`FeedRow::snapshot`]).
    fn feed(
        &self,
        after: i64,
        communes: &[String],
        except: &str,
        limit: i64,
        snapshots: bool,
    ) -> Result<Vec<FeedRow>, HubError>;
    /// Up to `limit` feed rows after `after` not from `except` (the hub
    /// above), of every commune, in `seq` order.
    fn own_feed(&self, after: i64, except: &str, limit: i64) -> Result<Vec<FeedRow>, HubError>;
    fn document_count(&self) -> Result<u64, HubError>;
    /// The last position of the change feed (0 when empty).
    fn feed_end(&self) -> Result<i64, HubError>;
    /// The stored documents among `ids` (id, commune, bytes), in one
    /// statement.
    fn documents(&self, ids: &[String]) -> Result<Vec<(String, String, Vec<u8>)>, HubError>;
    /// The stored documents of `communes` with ids from `first` to `last`
    /// (id, bytes), in one statement.
    fn documents_between(
        &self,
        first: &str,
        last: &str,
        communes: &[String],
    ) -> Result<Vec<(String, Vec<u8>)>, HubError>;
    fn meta(&self, key: &str) -> Result<Option<String>, HubError>;
    fn audit_log(&self, query: &Query) -> Result<Page, HubError>;
    /// Runs `work` over the projection rows as of one moment.
    fn read_rows(&self, work: &mut dyn FnMut(&mut dyn ReportSource)) -> Result<(), HubError>;
    fn staff_account(&self, username: &str) -> Result<Option<(String, Staff)>, HubError>;
    fn staff_session(&self, token_hash: &[u8], now: i64) -> Result<Option<Staff>, HubError>;
    /// Every staff account, disabled ones too, by username.
    fn staff_accounts(&self) -> Result<Vec<StaffAccount>, HubError>;
    /// [`crate::rules::devices::DEVICES_SQL`].
    fn devices(&self) -> Result<Vec<DeviceInfo>, HubError>;
    /// [`crate::rules::devices::COMMUNE_ACTIVITY_SQL`].
    fn commune_activity(&self, since: i64) -> Result<Vec<CommuneActivity>, HubError>;
    /// Every org unit as stored (rows whose level this hub does not know
    /// are an error: they were written by a newer hub).
    fn org_units(&self) -> Result<Vec<OrgUnit>, HubError>;
    /// [`WriteTx::select`] on a reader, outside any write.
    fn select(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>, HubError>;
}

/// A value bound to a statement both databases run as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param<'a> {
    Text(&'a str),
    Int(i64),
    Blob(&'a [u8]),
}

/// A value read by a statement both databases run as written
/// ([`WriteTx::select`], [`Backend::select`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    pub fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn into_blob(self) -> Option<Vec<u8>> {
        match self {
            Cell::Blob(b) => Some(b),
            _ => None,
        }
    }
}

/// The one statement of [`WriteTx::change_staff`], with its values. Both
/// dialects read `$n` placeholders; SQLite numbers them in the order they
/// first appear, so each statement names them in that order.
pub fn staff_change_sql<'a>(
    username: &'a str,
    change: &'a StaffChange,
    at: i64,
) -> (&'static str, Vec<Param<'a>>) {
    use Param::{Int, Text};
    match change {
        StaffChange::Create { phc, unit, role } => (
            "INSERT INTO staff (username, phc, unit, role, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (username) DO NOTHING",
            vec![
                Text(username),
                Text(phc),
                Text(unit),
                Text(role.code()),
                Int(at),
            ],
        ),
        StaffChange::Password { phc } => (
            "UPDATE staff SET phc = $1 WHERE username = $2",
            vec![Text(phc), Text(username)],
        ),
        StaffChange::Disable => (
            "UPDATE staff SET disabled_at = $1 WHERE username = $2 AND disabled_at IS NULL",
            vec![Int(at), Text(username)],
        ),
        StaffChange::Enable => (
            "UPDATE staff SET disabled_at = NULL WHERE username = $1 AND disabled_at IS NOT NULL",
            vec![Text(username)],
        ),
        StaffChange::Place { unit, role } => (
            "UPDATE staff SET unit = $1, role = $2 WHERE username = $3",
            vec![Text(unit), Text(role.code()), Text(username)],
        ),
    }
}

/// The columns of [`Backend::staff_accounts`], in this order.
pub const STAFF_ACCOUNTS_SQL: &str =
    "SELECT username, unit, role, created_at, disabled_at FROM staff ORDER BY username";
