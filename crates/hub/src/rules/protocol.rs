//! The sync protocol's rules, the same on both stores and free of SQL:
//! what a push may hold, how a document's changes are merged and checked
//! against its envelope and the writer's communes, and how the feed is cut
//! into a pull's batches and an upward push's.

use super::audit::{Action, Actor};
use super::devices::{Scope, OFFICE_ORIGIN, UPLINK_ORIGIN};
use crate::error::HubError;
use automerge::{AutoCommit, Change, ChangeHash};
use pcmt_core::record_doc;
use pcmt_core::sync::compact::deps;
use pcmt_core::sync::limits::{apply_untrusted, read_change, LimitError, RecordSize};
use pcmt_core::sync::wire::{
    digest, DocChanges, DocHeads, DocSnapshot, Epoch, OfferRequest, OfficeData, PullRequest,
    PullResponse, PushAck, PushRequest, RangeAnswer, RangeDigest, MAX_BATCH_BYTES, OLDEST_PROTOCOL,
    PROTOCOL_VERSION, SNAPSHOT_PROTOCOL,
};
use pcmt_core::sync::MovedAway;
use pcmt_model::{residence, Labelled, OrgTree, Plan};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Rows read per pull before the byte budget is checked again: a first
/// sync's records, a change each, fill [`BATCH_BYTES`] in about 3,000.
///
/// [`BATCH_BYTES`]: pcmt_core::sync::wire::BATCH_BYTES
pub const PULL_ROWS: u32 = 4000;

/// Rows of the own feed read per upward push before the byte budget.
pub const UPLINK_ROWS: i64 = 2000;

/// Meta key of the hub's epoch (see `pcmt_core::sync::wire::Epoch`).
pub const EPOCH_KEY: &str = "epoch";

/// Meta key of the position of the higher hub's feed this hub holds.
pub const UPLINK_PULL_KEY: &str = "uplink_pull";

/// Checks a push against the device's scope before anything is read or
/// written.
pub fn check_push(scope: &Scope, req: &PushRequest) -> Result<(), HubError> {
    check_protocol(req.protocol)?;
    if req.device != scope.device {
        return Err(HubError::Forbidden("the push names another device".into()));
    }
    if let Some(dc) = req
        .docs
        .iter()
        .find(|d| d.changes.iter().any(|c| c.len() > MAX_BATCH_BYTES))
    {
        return Err(HubError::Rejected {
            id: dc.id.to_string(),
            reason: format!("a change is over the limit of {MAX_BATCH_BYTES} bytes for one record"),
        });
    }
    if let Some(dc) = req
        .docs
        .iter()
        .find(|d| !scope.communes.contains(&d.commune))
    {
        return Err(outside(&dc.id.to_string()));
    }
    Ok(())
}

/// The refusal of a record outside the writer's communes, whether its
/// envelope says so or the hub holds it under another commune: the same
/// words, naming no commune, so a device learns nothing of a stored record
/// it may not read.
fn outside(id: &str) -> HubError {
    HubError::Forbidden(format!("record {id}"))
}

/// The versions the hub answers: its own and the older ones tablets not
/// yet updated speak (a push and an enrolment have kept their shape).
pub fn check_protocol(protocol: u16) -> Result<(), HubError> {
    if (OLDEST_PROTOCOL..=PROTOCOL_VERSION).contains(&protocol) {
        Ok(())
    } else {
        Err(HubError::Protocol(protocol))
    }
}

/// Whether a pull may be answered with snapshots: only a tablet that reads
/// them gets them; an older one gets every change, as it always did.
pub fn wants_snapshots(req: &PullRequest) -> bool {
    req.protocol >= SNAPSHOT_PROTOCOL
}

/// The communes a pull may read: those asked for that the device holds.
pub fn pull_communes(scope: &Scope, req: &PullRequest) -> Result<Vec<String>, HubError> {
    check_protocol(req.protocol)?;
    Ok(req
        .communes
        .iter()
        .filter(|c| scope.communes.contains(c))
        .cloned()
        .collect())
}

/// A document with the changes of a push merged in and checked against its
/// envelope, ready to be written.
pub struct Merged {
    pub doc: AutoCommit,
    pub kind: &'static str,
    pub commune: String,
    /// The changes the hub did not hold, in the order they were sent.
    pub fresh: Vec<Change>,
    /// What they did to the record, for the audit log.
    pub action: Action,
    /// The commune the hub held the document under, when these changes
    /// moved it to another (a person moving, issue 20).
    pub moved_from: Option<String>,
}

/// Who sends the changes being applied: a device, within its scope, or the
/// hub above (upward sync), within the communes this hub serves (those of
/// its org tree): the province may correct the district's records, never
/// write into another district's communes through it.
/// The office itself (an administrator's import of the register), within
/// the communes of the staff member's unit: its changes go into the feed
/// as a tablet's do (origin nil, the office's, so every tablet of the
/// commune pulls them and upward sync carries them), attributed to the
/// staff member in the audit log.
#[derive(Clone, Copy)]
pub enum Writer<'a> {
    Device(&'a Scope),
    Above(&'a OrgTree),
    Office(&'a OfficeWrite<'a>),
}

/// What the office writes within, and as whom.
pub struct OfficeWrite<'a> {
    pub communes: &'a [String],
    pub by: &'a Actor,
    /// Only documents the hub does not hold yet are written; one it holds
    /// is left as it is (an import made twice at once creates each file
    /// once, its id being derived from the row).
    pub new_only: bool,
}

impl Writer<'_> {
    /// The origin its changes are marked with in the feed.
    pub fn origin(self) -> Uuid {
        match self {
            Writer::Device(scope) => scope.device,
            Writer::Above(_) => UPLINK_ORIGIN,
            Writer::Office(_) => OFFICE_ORIGIN,
        }
    }

    /// Whether a document the hub already holds is left alone.
    pub fn new_only(self) -> bool {
        matches!(self, Writer::Office(o) if o.new_only)
    }

    /// Who the audit log names, given the officer of the device's
    /// enrolment.
    pub fn actor(
        self,
        officer: impl FnOnce() -> Result<Option<String>, HubError>,
    ) -> Result<Actor, HubError> {
        match self {
            Writer::Office(o) => Ok(o.by.clone()),
            _ => Actor::of_origin(self.origin(), officer),
        }
    }

    /// Whether the writer may write a document of `commune`: checked
    /// against the commune a document is stored under as well as the one
    /// its changes give it, since a change rewriting the commune could
    /// otherwise carry another commune's record into the writer's own
    /// under an honest-looking envelope, or out of it.
    pub fn may_change(self, commune: &str) -> bool {
        match self {
            Writer::Device(scope) => scope.communes.iter().any(|c| c == commune),
            Writer::Above(units) => units.is_commune(commune),
            Writer::Office(o) => o.communes.iter().any(|c| c == commune),
        }
    }

    /// Whether the writer may move a person file from `from` to `to`: a
    /// tablet of the commune it leaves (the new one need not be its own),
    /// the office or the hub above holding both.
    pub fn may_move(self, from: &str, to: &str) -> bool {
        match self {
            Writer::Device(_) => self.may_change(from),
            Writer::Above(_) | Writer::Office(_) => self.may_change(from) && self.may_change(to),
        }
    }
}

/// Merges `dc` into the stored document (`existing`, if any). None when the
/// hub already holds every change. Refuses changes to a document stored or
/// sent under a commune outside the writer's, and changes that cannot be read, lack
/// their dependencies, or make a document disagree with its envelope.
///
/// A record's commune changes only by a move (issue 20): a person file
/// whose changes give it another commune than it had is taken only if its
/// last move goes there from a commune it lived in, within one district of
/// `units`, and the writer may move it (see [`Writer::may_move`]). A device
/// of the commune the file left is told so ([`HubError::Moved`]); anyone
/// else gets the refusal of a record outside their communes.
pub fn merge(
    existing: Option<&[u8]>,
    dc: &DocChanges,
    writer: Writer<'_>,
    units: &OrgTree,
) -> Result<Option<Merged>, HubError> {
    let id = dc.id.to_string();
    let reject = |reason: String| HubError::Rejected {
        id: id.clone(),
        reason,
    };
    if !writer.may_change(&dc.commune) {
        return Err(outside(&id));
    }
    let mut doc = match existing {
        Some(bytes) => record_doc::load(bytes).map_err(|e| reject(e.to_string()))?,
        None => AutoCommit::new(),
    };
    let stored = match existing {
        Some(_) => Some(record_doc::read_header(&doc).map_err(|e| reject(e.to_string()))?),
        None => None,
    };
    // A tablet of protocol 3 names the changes its own depend on by the
    // start of their hashes: those the hub holds of the record, or earlier
    // in the push.
    let changes = deps::expand(&dc.changes, || {
        doc.get_changes_meta(&[]).iter().map(|m| m.hash).collect()
    })
    .map_err(reject)?;
    if let Some(stored) = &stored {
        if !writer.may_change(&stored.commune) {
            let Some(moved) = moved_away(&doc, dc.id, writer, units) else {
                return Err(outside(&id));
            };
            // The push that moved it, sent again (its acknowledgement
            // lost), holds nothing new: taken as the first time.
            let held = changes.iter().all(|bytes| {
                read_change(bytes)
                    .is_ok_and(|c| doc.get_change_meta_by_hash(&c.change.hash()).is_some())
            });
            return if held { Ok(None) } else { Err(moved) };
        }
    }
    let was_deleted = record_doc::is_deleted(&doc);
    // Each change is weighed before Automerge reads it, and the record with
    // it: a crafted chunk can claim gigabytes or millions of operations.
    let mut size = RecordSize::of(existing, &doc);
    let mut fresh = Vec::new();
    for bytes in &changes {
        let checked = read_change(bytes).map_err(|e| match e {
            LimitError::Unreadable(_) => HubError::Malformed(format!("record {id}: {e}")),
            _ => reject(e.to_string()),
        })?;
        if doc
            .get_change_meta_by_hash(&checked.change.hash())
            .is_none()
            && !fresh
                .iter()
                .any(|c: &Change| c.hash() == checked.change.hash())
        {
            size.add(&checked).map_err(|e| reject(e.to_string()))?;
            fresh.push(checked.change);
        }
    }
    if fresh.is_empty() {
        return Ok(None);
    }
    apply_untrusted(&mut doc, fresh.clone()).map_err(|e| reject(e.to_string()))?;
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(reject(
            "changes arrived without the changes they depend on".into(),
        ));
    }
    let header = record_doc::read_header(&doc).map_err(|e| reject(e.to_string()))?;
    if header.id != dc.id {
        return Err(reject(format!("document says it is {}", header.id)));
    }
    // The commune it had: as stored, or for a document new to this hub,
    // the one its envelope gives (a district relaying a file that moved
    // before it was first sent up names the commune it was made in).
    let before = stored
        .as_ref()
        .map_or(dc.commune.as_str(), |h| h.commune.as_str());
    let moved_from = if header.commune == before && header.commune == dc.commune {
        None
    } else if (dc.commune == before || dc.commune == header.commune)
        && writer.may_move(before, &header.commune)
        && is_move(&doc, before, &header.commune, units)
    {
        Some(before.to_string())
    } else {
        return Err(reject(format!(
            "document belongs to commune {}",
            header.commune
        )));
    };
    let action = match (existing, was_deleted, record_doc::is_deleted(&doc)) {
        (_, false, true) => Action::RecordDeleted,
        (None, _, _) => Action::RecordCreated,
        (Some(_), true, false) => Action::RecordRestored,
        (Some(_), _, _) if moved_from.is_some() => Action::RecordMoved,
        _ => Action::RecordChanged,
    };
    Ok(Some(Merged {
        doc,
        kind: header.kind.code(),
        commune: header.commune,
        moved_from: moved_from.filter(|_| existing.is_some()),
        fresh,
        action,
    }))
}

/// Whether `doc` is a person file whose last move takes it from `from`
/// (or through it) to `to`, two communes of one district of `units`.
fn is_move(doc: &AutoCommit, from: &str, to: &str, units: &OrgTree) -> bool {
    let Ok(moves) = record_doc::moves::moves(doc) else {
        return false;
    };
    residence::last(&moves).is_some_and(|last| last.to == to)
        && moves.iter().any(|m| m.from == from)
        && residence::same_district(units, from, to)
}

/// The refusal a device of a commune the file moved out of gets: where
/// and when it went. None for any other writer or record.
fn moved_away(doc: &AutoCommit, id: Uuid, writer: Writer<'_>, units: &OrgTree) -> Option<HubError> {
    let Writer::Device(scope) = writer else {
        return None;
    };
    let moves = record_doc::moves::moves(doc).ok()?;
    if !moves.iter().any(|m| scope.communes.contains(&m.from)) {
        return None;
    }
    let last = residence::last(&moves)?;
    Some(HubError::Moved(MovedAway {
        id,
        to: last.to.clone(),
        to_name: units
            .get(&last.to)
            .map_or_else(|| last.to.clone(), |u| u.name.clone()),
        on: last.on,
    }))
}

/// A change filed again in the feed under another commune than its first
/// row's: its feed key and bytes.
pub struct Refiled {
    /// What keeps the row once in the feed: the change's hash for its first
    /// row; for another row, SHA-256 of the hash, the commune and the move
    /// it is filed for, so each move files the history again once (a file
    /// moving back to a commune it left is sent there whole again) and a
    /// push made twice files nothing twice.
    pub key: Vec<u8>,
    pub bytes: Vec<u8>,
}

/// The changes of `doc` to file under `commune` for the move whose first
/// change is `mark`: every change but those in `skip` (filed already with
/// the push), in the document's order, so a tablet of the new commune
/// that pulls them rebuilds the whole history (one that holds some of
/// them keeps them once: changes are known by their hash).
pub fn refile(
    doc: &mut AutoCommit,
    skip: &[ChangeHash],
    commune: &str,
    mark: ChangeHash,
) -> Vec<Refiled> {
    doc.get_changes(&[])
        .into_iter()
        .filter(|c| !skip.contains(&c.hash()))
        .map(|c| Refiled {
            key: refile_key(c.hash(), commune, mark),
            bytes: c.raw_bytes().to_vec(),
        })
        .collect()
}

/// See [`Refiled::key`].
pub fn refile_key(hash: ChangeHash, commune: &str, mark: ChangeHash) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(hash.0);
    h.update(commune.as_bytes());
    h.update(mark.0);
    h.finalize().to_vec()
}

/// A check-in counts in its person's commune (visits, due dates), so it may
/// name only a person who lived in its commune on its day (the person's
/// commune, or for a person who moved, the one of that day): otherwise a
/// tablet of one commune that knows a person id of another could write
/// into that commune's figures. `person` is None when the hub does not
/// hold the person yet; the projections then count the check-in only if
/// the person, once arrived, turns out to be of its commune. A tablet of
/// the commune the person left is told where they went.
pub fn check_checkin_person(
    checkin: &str,
    commune: &str,
    day: chrono::NaiveDate,
    person: Option<&AutoCommit>,
    writer: Writer<'_>,
    units: &OrgTree,
) -> Result<(), HubError> {
    let Some(doc) = person else {
        return Ok(());
    };
    let header = record_doc::read_header(doc).map_err(|e| HubError::Rejected {
        id: checkin.to_string(),
        reason: e.to_string(),
    })?;
    let moves = record_doc::moves::moves(doc).unwrap_or_default();
    if residence::commune_on(&header.commune, &moves, day) == commune {
        return Ok(());
    }
    Err(
        moved_away(doc, header.id, writer, units).unwrap_or_else(|| HubError::Rejected {
            id: checkin.to_string(),
            reason: format!("the check-in's person is not a person of commune {commune}"),
        }),
    )
}

/// The acknowledgement of a push whose transaction committed.
pub fn ack(req: &PushRequest, new_changes: u32, epoch: &Epoch) -> PushAck {
    PushAck {
        stored: req.docs.iter().map(|d| d.id).collect(),
        new_changes,
        pull: None,
        epoch: Some(epoch.clone()),
        office: None,
    }
}

/// The version of the office's data: the unit list's plus the plan's plus
/// the number of purges the office made. Each only grows, so their sum
/// changes whenever any does, and a tablet holding another sum is given
/// all again.
pub fn office_version(units_version: u64, plan_version: u64, purges: u64) -> u64 {
    units_version + plan_version + purges
}

/// Whether a device holding version `have` of the office's data is sent
/// the hub's `version`: when it holds another, and the hub has a list at
/// all (a hub without one leaves the device with its own).
pub fn office_wanted(units_version: u64, version: u64, have: u64) -> bool {
    units_version > 0 && version != have
}

/// The office's data of `version` for a device of `communes`: the part of
/// `tree` its communes need, and the province's plan. The purge list
/// (`OfficeData::purged`, the device's own) is filled in by the storage.
pub fn office_data(version: u64, tree: &OrgTree, plan: &Plan, communes: &[String]) -> OfficeData {
    OfficeData {
        version,
        units: tree.part_for(communes).units().cloned().collect(),
        plan: Some(plan.clone()),
        neighbours: tree.neighbours_of(communes),
        purged: Vec::new(),
    }
}

/// The answer to a push made against another epoch's marks: nothing
/// stored, and the hub's epoch, which starts the device's resync.
pub fn unstored(epoch: Epoch) -> PushAck {
    PushAck {
        stored: Vec::new(),
        new_changes: 0,
        pull: None,
        epoch: Some(epoch),
        office: None,
    }
}

/// Documents one offer may name: a device sends
/// `pcmt_core::sync::run::OFFER_DOCS`; the hub loads each.
pub const MAX_OFFER_DOCS: usize = 5000;

/// Runs one offer may name: a device sends
/// `pcmt_core::sync::resync::RANGES_PER_OFFER`.
pub const MAX_OFFER_RANGES: usize = 1024;

/// Documents the hub lists, with heads, for a run whose digest differs;
/// past this it asks for smaller runs. As many as a device's first runs
/// hold (`pcmt_core::sync::resync::RANGE_DOCS`): a run of a device that
/// writes alone in its span is listed at once, and an answer stays
/// within about 3 MB.
pub const HOLD_DOCS: usize = 64;

/// Checks an offer against the device's scope; the ids it names, as
/// stored. Its runs must go up in id order without overlapping, so that
/// an offer reads each stored document at most once.
pub fn check_offer(scope: &Scope, req: &OfferRequest) -> Result<Vec<String>, HubError> {
    check_protocol(req.protocol)?;
    if req.device != scope.device {
        return Err(HubError::Forbidden("the offer names another device".into()));
    }
    if req.docs.len() > MAX_OFFER_DOCS {
        return Err(HubError::Malformed(format!(
            "an offer names at most {MAX_OFFER_DOCS} records"
        )));
    }
    if req.ranges.len() > MAX_OFFER_RANGES {
        return Err(HubError::Malformed(format!(
            "an offer names at most {MAX_OFFER_RANGES} runs"
        )));
    }
    let mut previous: Option<Uuid> = None;
    for range in &req.ranges {
        if range.first > range.last || previous.is_some_and(|p| p >= range.first) {
            return Err(HubError::Malformed(
                "an offer's runs go up in id order without overlapping".into(),
            ));
        }
        previous = Some(range.last);
    }
    Ok(req.docs.iter().map(|d| d.id.to_string()).collect())
}

/// The span of ids an offer's runs cover (first to last), if it has any.
pub fn offered_span(req: &OfferRequest) -> Option<(Uuid, Uuid)> {
    Some((req.ranges.first()?.first, req.ranges.last()?.last))
}

/// Whether a stored document of the span is within one of the runs (the
/// runs as [`check_offer`] let them through: in order, apart).
fn in_a_range(ranges: &[RangeDigest], id: Uuid) -> bool {
    let at = ranges.partition_point(|r| r.last < id);
    ranges.get(at).is_some_and(|r| r.first <= id)
}

/// The documents among `stored` (id, bytes: those of the device's
/// communes in the offer's span) within one of its runs, with their
/// heads, sorted by id. The runs are checked here again: an order of ids
/// the database's collation reads otherwise costs records sent again,
/// never one taken as held.
pub fn held_in_ranges(
    ranges: &[RangeDigest],
    stored: Vec<(String, Vec<u8>)>,
) -> Result<Vec<(Uuid, Vec<ChangeHash>)>, HubError> {
    let mut held = Vec::new();
    for (id, bytes) in stored {
        let Ok(uuid) = Uuid::parse_str(&id) else {
            continue;
        };
        if !in_a_range(ranges, uuid) {
            continue;
        }
        let mut doc = record_doc::load(&bytes).map_err(|e| HubError::Rejected {
            id,
            reason: e.to_string(),
        })?;
        held.push((uuid, doc.get_heads()));
    }
    held.sort_by_key(|(id, _)| *id);
    Ok(held)
}

/// The answer to each run: `held` are the documents of the device's
/// communes the hub holds within the runs, with their heads, sorted by
/// id.
pub fn answer_ranges(ranges: &[RangeDigest], held: &[(Uuid, Vec<ChangeHash>)]) -> Vec<RangeAnswer> {
    ranges
        .iter()
        .map(|range| {
            let from = held.partition_point(|(id, _)| *id < range.first);
            let to = held.partition_point(|(id, _)| *id <= range.last);
            let ours = &held[from..to];
            let same = ours.len() == range.count as usize
                && digest(ours.iter().map(|(id, heads)| (*id, heads.as_slice()))) == range.digest;
            if same {
                RangeAnswer::Same
            } else if ours.len() <= HOLD_DOCS || range.first == range.last {
                RangeAnswer::Holds(ours.iter().map(|(id, h)| DocHeads::of(*id, h)).collect())
            } else {
                RangeAnswer::Split
            }
        })
        .collect()
}

/// Whether the hub lacks any of the offered heads of a document, and if
/// so what it holds of it: its heads, or none when it does not hold it
/// (`stored`: its commune and bytes). A document stored under a commune
/// outside the device's is never named: the device may not send it, and
/// learns nothing of it.
pub fn lacking(
    scope: &Scope,
    offered: &DocHeads,
    stored: Option<&(String, Vec<u8>)>,
) -> Result<Option<DocHeads>, HubError> {
    let Some((commune, bytes)) = stored else {
        return Ok(Some(DocHeads {
            id: offered.id,
            heads: Vec::new(),
        }));
    };
    if !scope.communes.contains(commune) {
        return Ok(None);
    }
    let mut doc = record_doc::load(bytes).map_err(|e| HubError::Rejected {
        id: offered.id.to_string(),
        reason: e.to_string(),
    })?;
    let holds_all = offered
        .heads
        .iter()
        .all(|h| doc.get_change_meta_by_hash(&ChangeHash(*h)).is_some());
    Ok((!holds_all).then(|| DocHeads::of(offered.id, &doc.get_heads())))
}

/// One row of the change feed, as both stores read it (in `seq` order).
pub struct FeedRow {
    pub seq: i64,
    pub doc_id: String,
    pub kind: String,
    pub commune: String,
    pub bytes: Vec<u8>,
    /// The whole document as stored, read in the same statement as the
    /// row, when snapshots were asked for and this row is the document's
    /// first change in the feed (the puller has never been sent any of it)
    /// and the document is still of the puller's communes.
    pub snapshot: Option<Vec<u8>>,
}

/// Cuts the feed rows of a pull into one batch: at most [`PULL_ROWS`]
/// changes and about `max_bytes`, but always at least one change, so a
/// tiny budget still moves. Stores read `PULL_ROWS + 1` rows so the batch
/// knows whether more follow.
///
/// A document whose first change is in the batch (its row carries the
/// document: [`FeedRow::snapshot`]) goes whole in place of its changes in
/// the batch when the whole is the smaller: a record edited several times
/// is one chunk instead of a chunk per edit with its header, hashes and
/// actor. A record of one change stays that change, which is smaller than
/// a document holding it. The snapshot was read with the rows, so it holds
/// every change of its document up to the batch's cursor (perhaps more:
/// those arrive again in later pulls as changes, already held, merging as
/// nothing), and no change is ever skipped.
pub struct Batch {
    docs: Vec<DocChanges>,
    /// The documents first seen in this batch, whole, by id.
    wholes: HashMap<Uuid, Vec<u8>>,
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
            wholes: HashMap::new(),
            size: 0,
            count: 0,
            cursor: req.cursor,
            more: false,
            // Capped: a batch the client sized past the message limit
            // would be refused (413) at every retry.
            max_bytes: (req.max_bytes as usize).min(MAX_BATCH_BYTES),
        }
    }

    /// Adds the next row; false when the batch is full (the row is left for
    /// the next pull). A row that would take the batch past its budget
    /// waits for the next, which it then opens alone if need be. The
    /// budget counts changes: a snapshot replaces them only if smaller.
    pub fn add(&mut self, row: FeedRow) -> Result<bool, HubError> {
        if self.count == PULL_ROWS
            || (self.count > 0 && self.size + row.bytes.len() > self.max_bytes)
        {
            self.more = true;
            return Ok(false);
        }
        self.size += row.bytes.len();
        self.count += 1;
        self.cursor = row.seq.unsigned_abs();
        let id = Uuid::parse_str(&row.doc_id).map_err(|e| HubError::Malformed(e.to_string()))?;
        if let Some(whole) = row.snapshot {
            self.wholes.insert(id, whole);
        }
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
        let mut weight: HashMap<Uuid, usize> = HashMap::new();
        for dc in &self.docs {
            *weight.entry(dc.id).or_default() += dc.changes.iter().map(Vec::len).sum::<usize>();
        }
        let mut wholes: HashMap<Uuid, Vec<u8>> = self
            .wholes
            .into_iter()
            .filter(|(id, whole)| weight.get(id).is_some_and(|w| whole.len() < *w))
            .collect();
        let whole: HashSet<Uuid> = wholes.keys().copied().collect();
        let mut docs = Vec::with_capacity(self.docs.len());
        let mut snapshots = Vec::with_capacity(wholes.len());
        for dc in self.docs {
            match wholes.remove(&dc.id) {
                Some(bytes) => snapshots.push(DocSnapshot {
                    id: dc.id,
                    kind: dc.kind,
                    commune: dc.commune,
                    bytes,
                }),
                // Its other parts in the batch are in the snapshot sent.
                None if whole.contains(&dc.id) => {}
                None => docs.push(dc),
            }
        }
        PullResponse {
            docs,
            cursor: self.cursor,
            more: self.more,
            snapshots,
            epoch: None,
        }
    }
}

/// Groups own feed rows (in `seq` order) for the hub above: changes of one
/// document travel together and in feed order, up to about `max_bytes`.
/// Returns the documents and the last position they reach.
pub fn group_for_uplink(
    rows: Vec<FeedRow>,
    after: i64,
    max_bytes: usize,
) -> Result<(Vec<DocChanges>, i64), HubError> {
    let (mut docs, mut last, mut size): (Vec<DocChanges>, i64, usize) = (Vec::new(), after, 0);
    for row in rows {
        // Past the budget, the row waits for the next push (which it opens
        // alone if need be), so no push grows past the message limit.
        if !docs.is_empty() && size + row.bytes.len() > max_bytes {
            break;
        }
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
    }
    Ok((docs, last))
}

/// The cursor a pull with nothing new answers: the device's own, unless
/// it is past the feed's `end`, which happens only when the hub lost the
/// end of its feed (restored from a backup without a new epoch, e.g. a
/// PostgreSQL restore before `--new-epoch`): then the end. A device that
/// sees its cursor go back resyncs (`pcmt_core::sync::run`); one from
/// before that pulls on from the end, which at least brings it what
/// arrives after.
pub fn within_feed(cursor: u64, end: i64) -> u64 {
    cursor.min(end.unsigned_abs())
}

/// A pull's cursor as the stores' signed 64-bit feed positions.
pub fn cursor(req: &PullRequest) -> Result<i64, HubError> {
    i64::try_from(req.cursor).map_err(|_| HubError::Malformed("cursor".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, len: usize) -> FeedRow {
        FeedRow {
            seq,
            doc_id: Uuid::from_u128(seq as u128).to_string(),
            kind: "session".into(),
            commune: "62-610-23284".into(),
            bytes: vec![7; len],
            snapshot: None,
        }
    }

    fn request(max_bytes: u32) -> PullRequest {
        PullRequest {
            protocol: PROTOCOL_VERSION,
            device: Uuid::nil(),
            communes: vec!["62-610-23284".into()],
            cursor: 0,
            max_bytes,
        }
    }

    /// A tablet that meets a hub not speaking its protocol asks again at
    /// protocol 2 when the refusal says so in these words, which hubs of
    /// protocol 2 send as well: they are part of the protocol.
    #[test]
    fn a_refused_protocol_is_told_in_the_words_tablets_fall_back_on() {
        use pcmt_core::http::refuses_protocol;
        let newer = PROTOCOL_VERSION + 1;
        let words = HubError::Protocol(newer).to_string();
        assert!(check_protocol(newer).is_err());
        assert!(refuses_protocol(&words, newer));
        assert!(!refuses_protocol(&words, PROTOCOL_VERSION));
        assert!(refuses_protocol(
            "protocol version 3 is not supported (this hub speaks 1 to 2)",
            3
        ));
    }

    /// A small change then one that would pass the budget: the big one
    /// waits and opens the next batch alone, so no batch grows past the
    /// message limit (which would be refused at every retry).
    #[test]
    fn a_change_that_would_pass_the_budget_waits_for_the_next_batch() {
        let mut batch = Batch::new(&request(1000));
        assert!(batch.add(row(1, 10)).unwrap());
        assert!(!batch.add(row(2, 995)).unwrap());
        let first = batch.finish();
        assert_eq!((first.cursor, first.more, first.docs.len()), (1, true, 1));
        let mut next = Batch::new(&PullRequest {
            cursor: 1,
            ..request(1000)
        });
        assert!(next.add(row(2, 5000)).unwrap(), "alone, even over budget");
        assert!(!next.add(row(3, 1)).unwrap());
        assert_eq!(next.finish().cursor, 2);
    }

    #[test]
    fn a_batch_is_capped_whatever_the_client_asks() {
        let mut batch = Batch::new(&request(u32::MAX));
        let mb = 1024 * 1024;
        let taken = (1..=10)
            .take_while(|&s| batch.add(row(s, mb)).unwrap())
            .count();
        assert_eq!(taken, MAX_BATCH_BYTES / mb);
        let encoded = pcmt_core::sync::wire::encode(&batch.finish());
        assert!(encoded.is_ok(), "{encoded:?}");
    }

    #[test]
    fn an_upward_push_stops_before_a_change_that_would_pass_its_budget() {
        let (docs, last) =
            group_for_uplink(vec![row(1, 10), row(2, 995), row(3, 1)], 0, 1000).unwrap();
        assert_eq!((docs.len(), last), (1, 1));
        let (docs, last) = group_for_uplink(vec![row(2, 5000), row(3, 1)], 1, 1000).unwrap();
        assert_eq!((docs.len(), last), (1, 2), "alone, even over budget");
    }
}
