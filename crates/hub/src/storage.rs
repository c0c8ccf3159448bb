//! What the sync routes, enrolment and upward sync need from the hub's
//! storage, and the protocol logic both stores share.
//!
//! [`HubStorage`] has two implementations: the district office's SQLite
//! file ([`crate::HubStore`], the default, behind a mutex: one writer) and
//! PostgreSQL ([`crate::pg::PgHubStore`]), which several hub processes may
//! share. Each store only says how rows are read and written; what a push
//! may hold, how a document's changes are merged and checked, how a pull is
//! cut into batches and how codes and tokens are made live here, once.

use crate::audit::{self, Action};
use crate::dashboard::storage::OfficeStorage;
use crate::devices::{self, Scope};
use crate::store::{HubError, HubStore};
use automerge::{AutoCommit, Change};
use pcmt_core::projection::{self, RowWriter};
use pcmt_core::sync::wire::{
    DocChanges, Enrolment, PullRequest, PullResponse, PushAck, PushRequest, PROTOCOL_VERSION,
};
use pcmt_core::{record_doc, CoreError};
use pcmt_model::Labelled;
use pcmt_model::StatusRules;
use std::sync::Mutex;
use uuid::Uuid;

/// Rows read per pull before the byte budget is checked again.
pub(crate) const PULL_ROWS: u32 = 2000;

/// The hub's storage as the sync routes and the office tools use it (the
/// dashboard's part is [`OfficeStorage`]). Every method is one
/// transaction: it either happens whole or not at all.
pub trait HubStorage: OfficeStorage + Send + Sync {
    /// Stores a device's changes. A document outside the device's communes
    /// refuses the whole push: nothing of it is stored.
    fn push(&self, scope: &Scope, req: &PushRequest) -> Result<PushAck, HubError>;
    /// The device's next batch of the change feed, only of its communes
    /// (whatever the request asks for), never its own changes.
    fn pull(&self, scope: &Scope, req: &PullRequest) -> Result<PullResponse, HubError>;
    /// A one-time enrolment code for an officer and their communes, valid
    /// for `valid_secs`, as the office reads it out: XXXXX-XXXXX.
    fn issue_code(
        &self,
        communes: &[String],
        officer: &str,
        valid_secs: i64,
    ) -> Result<String, HubError>;
    /// Trades a code for a device token, once.
    fn enrol(&self, code: &str, device: Uuid) -> Result<Enrolment, HubError>;
    /// The scope of the device holding `token`.
    fn authenticate(&self, token: &str) -> Result<Scope, HubError>;
    /// The office withdraws a device (officer left, token leaked); false
    /// when there was no such active device. A new code enrols it again.
    fn revoke(&self, device: Uuid) -> Result<bool, HubError>;
    /// The office marks a device lost (or stolen): its token is refused
    /// and its id may never enrol again. False when there was no such
    /// device or it was already marked.
    fn mark_lost(&self, device: Uuid) -> Result<bool, HubError>;
    fn document_count(&self) -> Result<u64, HubError>;

    // Upward sync (district → province), where this hub is a device of
    // the hub above: see `crate::uplink`.

    /// A value of the hub's own settings (`meta`), e.g. its uplink cursors.
    fn meta(&self, key: &str) -> Result<Option<String>, HubError>;
    fn set_meta(&self, key: &str, value: &str) -> Result<(), HubError>;
    /// This hub's own changes (none from above) after feed position
    /// `after`, grouped by document, up to about `max_bytes`; with the last
    /// position they reach.
    fn changes_after(
        &self,
        after: i64,
        max_bytes: usize,
    ) -> Result<(Vec<DocChanges>, i64), HubError>;
    /// Applies a batch pulled from the hub above (marked with
    /// `UPLINK_ORIGIN`) and moves the uplink pull cursor to `cursor`, in
    /// one transaction; returns how many documents it changed.
    fn apply_from_above(&self, batch: &[DocChanges], cursor: u64) -> Result<u32, HubError>;

    // The audit log (see `crate::audit`). Pushes, enrolments, codes and
    // revocations write their entries themselves, in their transaction.

    /// Appends one entry for what writes nothing else: a download, a
    /// failed sign-in. Never called with a request's entry as sent.
    fn append_audit(&self, entry: &audit::Entry) -> Result<(), HubError>;
    /// A page of the entries `query` may read, newest first.
    fn audit_log(&self, query: &audit::Query) -> Result<audit::Page, HubError>;
}

/// Meta key of the position of the higher hub's feed this hub holds.
pub(crate) const UPLINK_PULL_KEY: &str = "uplink_pull";

/// The SQLite store has one connection: requests take turns.
impl HubStorage for Mutex<HubStore> {
    fn push(&self, scope: &Scope, req: &PushRequest) -> Result<PushAck, HubError> {
        lock(self).push(scope, req)
    }
    fn pull(&self, scope: &Scope, req: &PullRequest) -> Result<PullResponse, HubError> {
        lock(self).pull(scope, req)
    }
    fn issue_code(
        &self,
        communes: &[String],
        officer: &str,
        valid_secs: i64,
    ) -> Result<String, HubError> {
        lock(self).issue_code(communes, officer, valid_secs)
    }
    fn enrol(&self, code: &str, device: Uuid) -> Result<Enrolment, HubError> {
        lock(self).enrol(code, device)
    }
    fn authenticate(&self, token: &str) -> Result<Scope, HubError> {
        lock(self).authenticate(token)
    }
    fn revoke(&self, device: Uuid) -> Result<bool, HubError> {
        lock(self).revoke(device)
    }
    fn mark_lost(&self, device: Uuid) -> Result<bool, HubError> {
        lock(self).mark_lost(device)
    }
    fn document_count(&self) -> Result<u64, HubError> {
        lock(self).document_count()
    }
    fn meta(&self, key: &str) -> Result<Option<String>, HubError> {
        lock(self).meta(key)
    }
    fn set_meta(&self, key: &str, value: &str) -> Result<(), HubError> {
        lock(self).set_meta(key, value)
    }
    fn changes_after(
        &self,
        after: i64,
        max_bytes: usize,
    ) -> Result<(Vec<DocChanges>, i64), HubError> {
        lock(self).changes_after(after, max_bytes)
    }
    fn apply_from_above(&self, batch: &[DocChanges], cursor: u64) -> Result<u32, HubError> {
        lock(self).apply_from_above(batch, cursor)
    }
    fn append_audit(&self, entry: &audit::Entry) -> Result<(), HubError> {
        lock(self).append_audit(entry)
    }
    fn audit_log(&self, query: &audit::Query) -> Result<audit::Page, HubError> {
        lock(self).audit_log(query)
    }
}

/// A panic elsewhere must not take the hub down with it: SQLite rolled the
/// half-done transaction back, so the store is still consistent.
pub(crate) fn lock(hub: &Mutex<HubStore>) -> std::sync::MutexGuard<'_, HubStore> {
    hub.lock().unwrap_or_else(|p| p.into_inner())
}

/// Checks a push against the device's scope before anything is read or
/// written.
pub(crate) fn check_push(scope: &Scope, req: &PushRequest) -> Result<(), HubError> {
    if req.protocol != PROTOCOL_VERSION {
        return Err(HubError::Protocol(req.protocol));
    }
    if req.device != scope.device {
        return Err(HubError::Forbidden("the push names another device".into()));
    }
    if let Some(dc) = req
        .docs
        .iter()
        .find(|d| !scope.communes.contains(&d.commune))
    {
        return Err(HubError::Forbidden(format!(
            "record {} belongs to commune {}",
            dc.id, dc.commune
        )));
    }
    Ok(())
}

/// The communes a pull may read: those asked for that the device holds.
pub(crate) fn pull_communes(scope: &Scope, req: &PullRequest) -> Result<Vec<String>, HubError> {
    if req.protocol != PROTOCOL_VERSION {
        return Err(HubError::Protocol(req.protocol));
    }
    Ok(req
        .communes
        .iter()
        .filter(|c| scope.communes.contains(c))
        .cloned()
        .collect())
}

/// A document with the changes of a push merged in and checked against its
/// envelope, ready to be written.
pub(crate) struct Merged {
    pub doc: AutoCommit,
    pub kind: &'static str,
    pub commune: String,
    /// The changes the hub did not hold, in the order they were sent.
    pub fresh: Vec<Change>,
    /// What they did to the record, for the audit log.
    pub action: Action,
}

/// Who sends the changes being applied: a device, within its scope, or the
/// hub above (upward sync), whose feed this hub takes whole.
#[derive(Clone, Copy)]
pub(crate) enum Writer<'a> {
    Device(&'a Scope),
    Above,
}

impl Writer<'_> {
    /// The origin its changes are marked with in the feed.
    pub fn origin(self) -> Uuid {
        match self {
            Writer::Device(scope) => scope.device,
            Writer::Above => crate::uplink::UPLINK_ORIGIN,
        }
    }

    /// A device may change a stored document only if it belongs to one of
    /// its communes: otherwise a change rewriting the commune could carry
    /// another commune's record into its own under an honest-looking envelope.
    fn may_change(self, commune: &str) -> bool {
        match self {
            Writer::Device(scope) => scope.communes.iter().any(|c| c == commune),
            Writer::Above => true,
        }
    }
}

/// Merges `dc` into the stored document (`existing`, if any). None when the
/// hub already holds every change. Refuses changes to a stored document
/// outside the writer's communes, and changes that cannot be read, lack
/// their dependencies, or make a document disagree with its envelope.
pub(crate) fn merge(
    existing: Option<&[u8]>,
    dc: &DocChanges,
    writer: Writer<'_>,
) -> Result<Option<Merged>, HubError> {
    let id = dc.id.to_string();
    let reject = |reason: String| HubError::Rejected {
        id: id.clone(),
        reason,
    };
    let mut doc = match existing {
        Some(bytes) => record_doc::load(bytes).map_err(|e| reject(e.to_string()))?,
        None => AutoCommit::new(),
    };
    if existing.is_some() {
        let stored = record_doc::read_header(&doc).map_err(|e| reject(e.to_string()))?;
        if !writer.may_change(&stored.commune) {
            return Err(HubError::Forbidden(format!(
                "record {id} belongs to commune {}",
                stored.commune
            )));
        }
    }
    let was_deleted = record_doc::is_deleted(&doc);
    let mut fresh = Vec::new();
    for bytes in &dc.changes {
        let change = Change::from_bytes(bytes.clone())
            .map_err(|e| HubError::Malformed(format!("record {id}: {e}")))?;
        if doc.get_change_by_hash(&change.hash()).is_none() {
            fresh.push(change);
        }
    }
    if fresh.is_empty() {
        return Ok(None);
    }
    doc.apply_changes(fresh.clone())
        .map_err(|e| reject(e.to_string()))?;
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(reject(
            "changes arrived without the changes they depend on".into(),
        ));
    }
    let header = record_doc::read_header(&doc).map_err(|e| reject(e.to_string()))?;
    if header.id != dc.id {
        return Err(reject(format!("document says it is {}", header.id)));
    }
    if header.commune != dc.commune {
        return Err(reject(format!(
            "document belongs to commune {}",
            header.commune
        )));
    }
    let action = match (existing, was_deleted, record_doc::is_deleted(&doc)) {
        (_, false, true) => Action::RecordDeleted,
        (None, _, _) => Action::RecordCreated,
        (Some(_), true, false) => Action::RecordRestored,
        _ => Action::RecordChanged,
    };
    Ok(Some(Merged {
        doc,
        kind: header.kind.code(),
        commune: header.commune,
        fresh,
        action,
    }))
}

/// A store's projection rows inside the push's transaction, with the
/// savepoints that let one document's rows be rolled back alone.
pub(crate) trait RowStore: RowWriter {
    fn savepoint(&mut self, sql: &str) -> Result<(), HubError>;
    /// The store's own error back out of a row writer's.
    fn storage_error(&self, e: CoreError) -> HubError;
}

/// Refreshes the projection rows of a document just stored, inside a
/// savepoint. The hub relays what tablets send and never validated record
/// bodies, so a body it cannot read (a newer app's schema) must not refuse
/// the push: the document is stored and synced as before, its rows are
/// rolled back to their last readable state, and the office's log says
/// which record the reports leave out. A storage failure fails the push.
pub(crate) fn refresh_rows(
    rows: &mut impl RowStore,
    doc: &AutoCommit,
    rules: &StatusRules,
) -> Result<(), HubError> {
    rows.savepoint("SAVEPOINT project_doc")?;
    match projection::project(rows, doc, rules) {
        Ok(()) => rows.savepoint("RELEASE project_doc"),
        Err(error) => {
            rows.savepoint("ROLLBACK TO project_doc")?;
            rows.savepoint("RELEASE project_doc")?;
            if error.is_storage() {
                return Err(rows.storage_error(error));
            }
            let id = record_doc::read_header(doc)
                .map(|h| h.id.to_string())
                .unwrap_or_default();
            tracing::warn!(%id, %error, "record left out of the hub's reports");
            Ok(())
        }
    }
}

/// The acknowledgement of a push whose transaction committed.
pub(crate) fn ack(req: &PushRequest, new_changes: u32) -> PushAck {
    PushAck {
        stored: req.docs.iter().map(|d| d.id).collect(),
        new_changes,
    }
}

/// One row of the change feed, as both stores read it (in `seq` order).
pub(crate) struct FeedRow {
    pub seq: i64,
    pub doc_id: String,
    pub kind: String,
    pub commune: String,
    pub bytes: Vec<u8>,
}

/// Cuts the feed rows of a pull into one batch: at most [`PULL_ROWS`]
/// changes and about `max_bytes`, but always at least one change, so a
/// tiny budget still moves. Stores read `PULL_ROWS + 1` rows so the batch
/// knows whether more follow.
pub(crate) struct Batch {
    docs: Vec<DocChanges>,
    size: usize,
    count: u32,
    cursor: u64,
    more: bool,
    max_bytes: usize,
}

impl Batch {
    pub fn new(req: &PullRequest) -> Self {
        Self {
            docs: Vec::new(),
            size: 0,
            count: 0,
            cursor: req.cursor,
            more: false,
            max_bytes: req.max_bytes as usize,
        }
    }

    /// Adds the next row; false when the batch is full (the row is left for
    /// the next pull).
    pub fn add(&mut self, row: FeedRow) -> Result<bool, HubError> {
        if self.count == PULL_ROWS || (self.count > 0 && self.size >= self.max_bytes) {
            self.more = true;
            return Ok(false);
        }
        self.size += row.bytes.len();
        self.count += 1;
        self.cursor = row.seq.unsigned_abs();
        let id = Uuid::parse_str(&row.doc_id).map_err(|e| HubError::Malformed(e.to_string()))?;
        match self.docs.last_mut() {
            Some(last) if last.id == id => last.changes.push(row.bytes),
            _ => self.docs.push(DocChanges {
                id,
                kind: row.kind,
                commune: row.commune,
                changes: vec![row.bytes],
            }),
        }
        Ok(true)
    }

    pub fn finish(self) -> PullResponse {
        PullResponse {
            docs: self.docs,
            cursor: self.cursor,
            more: self.more,
        }
    }
}

/// Rows of the own feed read per upward push before the byte budget.
pub(crate) const UPLINK_ROWS: i64 = 2000;

/// Groups own feed rows (in `seq` order) for the hub above: changes of one
/// document travel together and in feed order, up to about `max_bytes`.
/// Returns the documents and the last position they reach.
pub(crate) fn group_for_uplink(
    rows: Vec<FeedRow>,
    after: i64,
    max_bytes: usize,
) -> Result<(Vec<DocChanges>, i64), HubError> {
    let (mut docs, mut last, mut size): (Vec<DocChanges>, i64, usize) = (Vec::new(), after, 0);
    for row in rows {
        let id = Uuid::parse_str(&row.doc_id).map_err(|e| HubError::Malformed(e.to_string()))?;
        size += row.bytes.len();
        last = row.seq;
        match docs.iter_mut().find(|d| d.id == id) {
            Some(d) => d.changes.push(row.bytes),
            None => docs.push(DocChanges {
                id,
                kind: row.kind,
                commune: row.commune,
                changes: vec![row.bytes],
            }),
        }
        if size >= max_bytes {
            break;
        }
    }
    Ok((docs, last))
}

/// A pull's cursor as the stores' signed 64-bit feed positions.
pub(crate) fn cursor(req: &PullRequest) -> Result<i64, HubError> {
    i64::try_from(req.cursor).map_err(|_| HubError::Malformed("cursor".into()))
}

/// An enrolment code's row as both stores keep it.
pub(crate) struct CodeRow {
    pub communes: String,
    pub officer: String,
    pub expires_at: i64,
    pub used_by: Option<String>,
}

/// The communes and officer of a code that may still be used. A used,
/// expired or unknown code gets the same refusal, so a guesser learns
/// nothing.
pub(crate) fn usable_code(row: Option<CodeRow>) -> Result<CodeRow, HubError> {
    row.filter(|r| r.used_by.is_none() && r.expires_at > devices::now())
        .ok_or_else(|| HubError::Unauthorized("enrolment code unknown, used or expired".into()))
}

/// A device's row as both stores read it to authenticate a token.
pub(crate) struct DeviceRow {
    pub id: String,
    /// JSON array of commune codes.
    pub communes: String,
    pub revoked: bool,
    pub lost: bool,
}

/// A device's row as its scope. A lost device is told so before a revoked
/// one: marking lost also revokes.
pub(crate) fn scope_of(row: Option<DeviceRow>) -> Result<Scope, HubError> {
    match row {
        None => Err(HubError::Unauthorized("unknown device token".into())),
        Some(DeviceRow { lost: true, .. }) => Err(HubError::Lost),
        Some(DeviceRow { revoked: true, .. }) => Err(HubError::Revoked),
        Some(DeviceRow { id, communes, .. }) => Ok(Scope {
            device: Uuid::parse_str(&id).map_err(|e| HubError::Malformed(e.to_string()))?,
            communes: serde_json::from_str(&communes)
                .map_err(|e| HubError::Malformed(e.to_string()))?,
        }),
    }
}

/// Refuses the enrolment of a device the office marked lost, whatever code
/// it brings, and before the code is looked at: the code stays unused.
pub(crate) fn not_lost(lost: Option<bool>) -> Result<(), HubError> {
    match lost {
        Some(true) => Err(HubError::Lost),
        _ => Ok(()),
    }
}

/// The enrolment handed to the device once its token is stored.
pub(crate) fn enrolment(
    token: String,
    communes: &str,
    officer: String,
) -> Result<Enrolment, HubError> {
    Ok(Enrolment {
        token,
        communes: serde_json::from_str(communes).map_err(|e| HubError::Malformed(e.to_string()))?,
        officer,
    })
}
