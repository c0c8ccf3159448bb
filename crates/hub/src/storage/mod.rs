//! What the routes, the office tools and upward sync need from the hub's
//! storage, and the transaction scripts that give it, written once.
//!
//! - [`HubStorage`] (sync, devices, upward sync, audit log) and
//!   [`OfficeStorage`] beside it (the dashboard's rows and staff accounts)
//!   are what every layer above sees: `web`, `uplink`, `demo` and `staff`
//!   never name a database.
//! - [`Hub`] implements both over any [`Backend`]: the scripts (a push, an
//!   enrolment, a revocation…) live in [`scripts`], once; a backend only
//!   says how each statement is written in its dialect ([`WriteTx`]) and
//!   how reads are made ([`Backend`]).
//! - The backends are `crate::sqlite` (one district office, the default)
//!   and `crate::pg` (several hub processes sharing PostgreSQL).

pub mod attachments;
mod backend;
pub(crate) mod duplicates;
mod office_data;
pub mod report_reads;
pub(crate) mod scripts;

pub use backend::{
    staff_change_sql, Backend, Cell, ChangeRow, DocumentRow, Locked, Param, PushWrites, Withdrawal,
    WriteTx, STAFF_ACCOUNTS_SQL,
};

use crate::error::HubError;
use crate::rules::audit::{self, Actor, Entry};
use crate::rules::devices::{CommuneActivity, DeviceInfo, Scope};
use crate::rules::protocol::OfficeWrite;
use crate::rules::staff::{Role, Staff, StaffAccount, StaffChange};
pub use attachments::{Listed, Listing, Opening};
use pcmt_core::report::ReportSource;
use pcmt_core::sync::attach::{HubHolds, UploadAck};
use pcmt_core::sync::wire::{
    DocChanges, Enrolment, Epoch, OfferRequest, OfferResponse, PullRequest, PullResponse, PushAck,
    PushRequest,
};
use pcmt_model::{AttachmentKind, ContentHash, OrgTree, Plan, StatusRules};
use std::sync::Arc;
use uuid::Uuid;

/// The hub's storage as the sync routes and the office tools use it (the
/// dashboard's part is [`OfficeStorage`]). Every method is one
/// transaction: it either happens whole or not at all.
pub trait HubStorage: OfficeStorage + Send + Sync {
    /// Stores a device's changes. A document outside the device's communes
    /// refuses the whole push: nothing of it is stored.
    fn push(&self, scope: &Scope, req: &PushRequest) -> Result<PushAck, HubError>;
    /// Which of the documents a device offers by their heads the hub lacks
    /// changes of, each with the hub's own heads (see
    /// [`OfferRequest`]); only documents of the device's communes.
    fn offer(&self, scope: &Scope, req: &OfferRequest) -> Result<OfferResponse, HubError>;
    /// This life of the hub's database: drawn when the database is first
    /// opened, sent with every answer, and drawn again by
    /// [`HubStorage::new_epoch`].
    fn epoch(&self) -> Result<Epoch, HubError>;
    /// After the database was restored from a backup (`from` says which):
    /// a new epoch, so that every tablet and hub below offers again what
    /// it holds and pulls again from the start, and an audit entry, in
    /// one transaction. Other hub processes sharing the database must be
    /// restarted (they keep the epoch they read).
    fn new_epoch(&self, from: &str) -> Result<Epoch, HubError>;
    /// What the hub holds of each of these files, as the device may know
    /// it: [`HubHolds::Unknown`] for a file no record of its communes
    /// refers to.
    fn attachment_holds(
        &self,
        scope: &Scope,
        hashes: &[ContentHash],
    ) -> Result<Vec<HubHolds>, HubError>;
    /// One chunk of a file from a device, at `pos` of a file of `size`
    /// bytes; the last one checks the whole (hash, and kind by its bytes)
    /// and stores it, audited. A refusal (not a JPEG, PNG or PDF, too
    /// large, the device's daily limit, a whole that does not match) is
    /// [`HubError::Rejected`] in the officer's words, with nothing of the
    /// file kept.
    fn put_attachment_chunk(
        &self,
        scope: &Scope,
        hash: ContentHash,
        size: u64,
        pos: u64,
        bytes: &[u8],
    ) -> Result<UploadAck, HubError>;
    /// The bytes of a whole file from `pos` (a chunk's worth), with its
    /// size; None when the device may not have it or it is not whole.
    /// Drops the uploads begun before `before` (Unix seconds) and never
    /// finished, with their bytes; how many. Run by every file begun, for
    /// those begun a day ago (`rules::attachments::ABANDONED_SECS`).
    fn sweep_uploads(&self, before: i64) -> Result<u64, HubError>;
    fn attachment_chunk(
        &self,
        scope: &Scope,
        hash: ContentHash,
        pos: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, HubError>;
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
    ) -> Result<String, HubError> {
        self.issue_code_by(&Actor::office(), communes, officer, valid_secs)
    }
    /// [`HubStorage::issue_code`], audited as issued by `by`.
    fn issue_code_by(
        &self,
        by: &Actor,
        communes: &[String],
        officer: &str,
        valid_secs: i64,
    ) -> Result<String, HubError>;
    /// Trades a code for a device token, once.
    fn enrol(
        &self,
        code: &str,
        device: Uuid,
        previous_token: Option<&str>,
    ) -> Result<Enrolment, HubError>;
    /// The scope of the device holding `token`.
    fn authenticate(&self, token: &str) -> Result<Scope, HubError>;
    /// The office withdraws a device (officer left, token leaked); false
    /// when there was no such active device. A new code enrols it again.
    fn revoke(&self, device: Uuid) -> Result<bool, HubError> {
        self.withdraw(&Actor::office(), device, Withdrawal::Revoked)
    }
    /// The office marks a device lost or stolen: its token is refused
    /// and its id may never enrol again. False when there was no such
    /// device or it was already marked.
    fn mark_lost(&self, device: Uuid) -> Result<bool, HubError> {
        self.withdraw(&Actor::office(), device, Withdrawal::Lost)
    }
    /// Revokes a device or marks it lost, audited as done by `by` (the
    /// office's tools, or an administrator in the dashboard).
    fn withdraw(&self, by: &Actor, device: Uuid, how: Withdrawal) -> Result<bool, HubError>;
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
    /// one transaction; returns how many documents it changed. A batch
    /// touching a commune outside this hub's org tree is refused whole.
    fn apply_from_above(&self, batch: &[DocChanges], cursor: u64) -> Result<u32, HubError>;

    /// Records the office writes itself (the register's import): stored
    /// as a push's are — documents, rows, the feed every tablet of their
    /// communes pulls, an audit entry per record naming `office.by` —
    /// with `logged`, given how many documents were written, in the same
    /// transaction. Returns that count.
    fn write_as_office(
        &self,
        docs: &[DocChanges],
        office: &OfficeWrite<'_>,
        logged: &dyn Fn(u32) -> Entry,
    ) -> Result<u32, HubError>;

    /// The office moves a person file of `communes` (the staff member's
    /// unit's) to another of them (issue 20), as a tablet's move is taken:
    /// its history and visits re-filed for the new commune's tablets, the
    /// move alone for the old one's, logged as `by`. The field errors when
    /// the move cannot be made; NotFound-like `Forbidden` for a file the
    /// hub does not hold in `communes`.
    fn move_as_office(
        &self,
        person: uuid::Uuid,
        input: &pcmt_model::MoveInput,
        office: &OfficeWrite<'_>,
        username: &str,
        today: chrono::NaiveDate,
    ) -> Result<Result<(), Vec<pcmt_model::FieldError>>, HubError>;

    // The audit log (see `crate::rules::audit`). Pushes, enrolments, codes
    // and revocations write their entries themselves, in their transaction.

    /// Appends one entry for what writes nothing else: a download, a
    /// failed sign-in. Never called with a request's entry as sent.
    fn append_audit(&self, entry: &Entry) -> Result<(), HubError>;
    /// A page of the entries `query` may read, newest first.
    fn audit_log(&self, query: &audit::Query) -> Result<audit::Page, HubError>;
}

/// What the office dashboard needs from a hub store, beside the sync
/// protocol: the org tree and status rules, the projection rows read as a
/// [`ReportSource`], and staff accounts and sessions as rows. What the rows
/// mean — the report, password hashing, session tokens and expiry — is
/// computed once above it (`pcmt_core::report`, `crate::staff`).
pub trait OfficeStorage {
    /// The org tree reports roll up through and staff units lie in, as
    /// this process last read it (see [`OfficeStorage::refresh_units`]).
    fn units(&self) -> Arc<OrgTree>;
    /// The version of [`OfficeStorage::units`]: 0 before any list was
    /// loaded, one more at every load.
    fn units_version(&self) -> u64;
    /// Reads the tree again if another process (or `--load-units`) loaded
    /// a list since this one read it, and returns its version and it (read
    /// together: a version never labels another tree).
    fn refresh_units(&self) -> Result<(u64, Arc<OrgTree>), HubError>;
    /// Replaces the whole tree with `tree` (checked by
    /// `pcmt_model::org_sheet`), bumps its version and logs it as done by
    /// `by`, in one transaction; the new version.
    fn load_units(&self, tree: &OrgTree, by: &Actor) -> Result<u64, HubError>;
    /// The demo district's tree, into a hub that never had a list loaded
    /// (the demo, the tests); true if it was loaded.
    fn seed_demo_units(&self) -> Result<bool, HubError> {
        self.refresh_units()?;
        if self.units_version() > 0 {
            return Ok(false);
        }
        self.load_units(&OrgTree::demo(), &Actor::office())?;
        Ok(true)
    }
    fn rules(&self) -> Arc<StatusRules>;
    /// The office's merge of person file `gone` into `kept` (issue 20),
    /// by `by`, in one transaction: `gone` is marked merged into `kept`
    /// (it leaves the reports, its history stays), its check-ins name
    /// `kept` from then on, `kept` lists it, and the log says who merged
    /// what. Changes of the office, so every tablet of the commune gets
    /// them at its next sync. The refusal, in the clerk's words, when
    /// `crate::rules::duplicates::merge_refusal` gives one.
    fn merge_person_files(
        &self,
        by: &Staff,
        kept: Uuid,
        gone: Uuid,
    ) -> Result<Result<(), (&'static str, &'static str)>, HubError>;
    /// The province plan in force: the office's, or [`Plan::bundled`]
    /// until it sets one.
    fn plan(&self) -> Result<Plan, HubError>;
    /// Puts a plan in force (checked above: `Plan::problems`) and logs it,
    /// in one transaction.
    fn set_plan(&self, plan: &Plan, logged: &Entry) -> Result<(), HubError>;
    /// Runs `work` over the projection rows, all read as of one moment,
    /// without holding up writers.
    fn read_rows(&self, work: &mut dyn FnMut(&mut dyn ReportSource)) -> Result<(), HubError>;

    /// Inserts an account or replaces its hash, unit and role (enabling it
    /// again if it was disabled: the command line is how an office that
    /// locked itself out gets back in), and ends its sessions (a reset
    /// password ends the sessions opened with the old one), in one
    /// transaction.
    fn put_staff(
        &self,
        username: &str,
        phc: &str,
        unit: &str,
        role: Role,
        created_at: i64,
    ) -> Result<(), HubError>;
    /// Makes an administrator's change to an account, ends the account's
    /// sessions (a new password, unit or role, or a disabled account, takes
    /// effect at once) and logs it, in one transaction; false, with
    /// nothing written, when there was nothing to change. Who may is
    /// checked above (`crate::rules::staff::may_change`).
    fn change_staff(
        &self,
        username: &str,
        change: &StaffChange,
        at: i64,
        logged: &Entry,
    ) -> Result<bool, HubError>;
    /// Every account, disabled ones too, by username.
    fn staff_accounts(&self) -> Result<Vec<StaffAccount>, HubError>;
    /// The PHC string of an account that may sign in, and the account.
    fn staff_account(&self, username: &str) -> Result<Option<(String, Staff)>, HubError>;
    /// Stores a session (only its token's hash), sweeping expired ones,
    /// and logs the sign-in in the same transaction.
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
    /// Every tablet the hub has enrolled, newest first (the administration
    /// page keeps those of the administrator's unit).
    fn devices(&self) -> Result<Vec<DeviceInfo>, HubError>;
    /// Per commune, what its tablets have sent: the last record change and
    /// how many since `since` (Unix seconds).
    fn commune_activity(&self, since: i64) -> Result<Vec<CommuneActivity>, HubError>;
    /// Classes communes drug-free or not for a year (replacing earlier
    /// classings) and logs it, in one transaction. Who may is checked above.
    fn class_drug_free(
        &self,
        year: i32,
        communes: &[(String, bool)],
        at: i64,
        logged: &Entry,
    ) -> Result<(), HubError>;

    /// Attachments the dashboard shows (whole files of records that are
    /// not deleted), newest first, at most [`attachments::MAX_LISTED`].
    fn attachments_listed(&self, listing: &Listing) -> Result<Vec<Listed>, HubError>;
    /// A file of a record (logged first, in the same transaction) or a
    /// thumbnail for a staff member: its kind and bytes, if held whole and
    /// a live record of a commune `may_see` allows refers to it as
    /// `opening` says; one `None` for every other case.
    fn open_attachment(
        &self,
        hash: ContentHash,
        opening: Opening<'_>,
        may_see: &dyn Fn(&str) -> bool,
    ) -> Result<Option<(AttachmentKind, Vec<u8>)>, HubError>;
    /// Purges a file and its thumbnail (bytes dropped, hashes kept and
    /// refused from then on, each tablet of the communes concerned told
    /// at its next sync), logged with `reason` as `username`, in one
    /// transaction; the communes concerned, or None (nothing written) when
    /// no live record of communes `may_purge` allows refers to a file the
    /// hub holds whole.
    fn purge_attachment(
        &self,
        hash: ContentHash,
        may_purge: &dyn Fn(&[String]) -> bool,
        username: &str,
        reason: &str,
    ) -> Result<Option<Vec<String>>, HubError>;
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

/// A hub store: a database ([`Backend`]) with the org tree and status
/// rules its reports roll up through. Both traits above are implemented
/// for it once, in [`scripts`].
pub struct Hub<B> {
    pub(crate) backend: B,
    /// The org tree as last read from the database, with its version.
    pub(crate) units: std::sync::RwLock<LoadedUnits>,
    pub(crate) rules: Arc<StatusRules>,
    /// The epoch as read (or drawn) at the first answer: a restore is made
    /// with the hub stopped, so it does not change under a running one.
    pub(crate) epoch: std::sync::RwLock<Option<Epoch>>,
}

/// The tree a hub process holds, and which version of the database's it is.
pub(crate) struct LoadedUnits {
    pub(crate) version: u64,
    pub(crate) tree: Arc<OrgTree>,
}

impl<B: Backend> Hub<B> {
    /// A hub over `backend` whose tree is empty until
    /// [`OfficeStorage::refresh_units`] reads it (the constructors do).
    pub(crate) fn new(backend: B) -> Self {
        Self {
            backend,
            units: std::sync::RwLock::new(LoadedUnits {
                version: 0,
                tree: Arc::new(OrgTree::empty()),
            }),
            rules: Arc::new(StatusRules::bundled()),
            epoch: std::sync::RwLock::new(None),
        }
    }
}
