//! The messages devices and hubs exchange, and their encoding: postcard,
//! then zstd over the whole message (ids, actor ids, field names and the
//! officers' words repeat across a batch, so Automerge's bytes travel
//! uncompressed inside it: changes as their raw chunks, snapshots as
//! documents saved without compression). Every decode checks the size first
//! and decompresses into a bounded buffer, so an oversized, garbled or "zip
//! bomb" message is an error, never a crash or a partial write.

use crate::sync::SyncError;
use pcmt_model::{ContentHash, Labelled, RecordKind};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

/// Bumped when a message changes shape; the hub refuses versions it does not
/// speak. Version 2: a pull may answer with snapshots
/// ([`PullResponse::snapshots`]). Version 3: records travel in
/// their compact shapes (`compact.rs`).
pub const PROTOCOL_VERSION: u16 = 3;
/// The oldest version the hub still answers: tablets not yet updated keep
/// syncing, and their pulls get changes only (the shape they read).
pub const OLDEST_PROTOCOL: u16 = 1;
/// The first version whose pulls may be answered with snapshots.
pub const SNAPSHOT_PROTOCOL: u16 = 2;
/// Upper bound of one encoded message, either way.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;
/// What a device asks per batch (before compression): about 2–3 s of a
/// 1 Mbit/s link once compressed (changes travel uncompressed inside a
/// message compressed whole, about a tenth of their size on the officers'
/// records), so a cut loses little, and few round trips.
pub const BATCH_BYTES: usize = 3 * 1024 * 1024;
/// The most change bytes one batch carries whatever a client asks, and so
/// the largest change a record may carry: a batch of it, with the
/// message's own bytes, still fits in [`MAX_MESSAGE_BYTES`].
pub const MAX_BATCH_BYTES: usize = MAX_MESSAGE_BYTES / 2;

/// Automerge changes of one document, with what the hub needs to scope it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocChanges {
    pub id: Uuid,
    pub kind: String,
    pub commune: String,
    pub changes: Vec<Vec<u8>>,
}

impl DocChanges {
    /// The changes of `doc` that a peer holding `heads` lacks.
    pub fn since(
        id: Uuid,
        kind: RecordKind,
        commune: &str,
        doc: &mut automerge::AutoCommit,
        heads: &[automerge::ChangeHash],
    ) -> Self {
        Self {
            id,
            kind: kind.code().into(),
            commune: commune.into(),
            changes: doc
                .get_changes(heads)
                .into_iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect(),
        }
    }
}

/// A whole document the device has never seen, as the hub holds it (saved
/// without compression): one chunk instead of its every change, read by
/// `crate::sync::limits::read_document`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSnapshot {
    pub id: Uuid,
    pub kind: String,
    pub commune: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub protocol: u16,
    pub device: Uuid,
    pub docs: Vec<DocChanges>,
    /// Protocol 2: the pull the hub answers with its acknowledgement, sent
    /// with a device's last push, so that a sync with a little to send and
    /// a little to get takes one round trip. Last, so that a hub reads a
    /// protocol 1 push (which ends before it) with [`PushRequest::decode`].
    pub pull: Option<PullRequest>,
    /// The hub epoch the device's marks were made with ([`Epoch::UNKNOWN`]
    /// when it holds marks of a hub that named none). A hub of another
    /// epoch stores nothing of the push and answers with its epoch: the
    /// changes were cut against marks the restored hub may not honour,
    /// and could lack what they depend on. Last, after `pull` (a hub from
    /// before epochs ignores it); None for a push that does not care (the
    /// office's tools, a device with no marks).
    pub epoch: Option<Epoch>,
    /// The version of the office's data ([`OfficeData`]) the device holds,
    /// 0 for none: a hub holding another version answers with its data in
    /// [`PushAck::office`]. None for a push that does not ask (the
    /// office's tools, the uplink, a tablet from before office data).
    /// Last, after `epoch`: a hub from before ignores it.
    pub office: Option<u64>,
}

/// A push as sent before `office`.
#[derive(Deserialize)]
struct PushRequestV4 {
    protocol: u16,
    device: Uuid,
    docs: Vec<DocChanges>,
    pull: Option<PullRequest>,
    epoch: Option<Epoch>,
}

/// A push as protocol 2 sent it, before `epoch`.
#[derive(Deserialize)]
struct PushRequestV2 {
    protocol: u16,
    device: Uuid,
    docs: Vec<DocChanges>,
    pull: Option<PullRequest>,
}

/// A push as protocol 1 sent it, before `pull`.
#[derive(Deserialize)]
struct PushRequestV1 {
    protocol: u16,
    device: Uuid,
    docs: Vec<DocChanges>,
}

impl PushRequest {
    /// Decodes a push of protocol 2's shape, of one from before epochs, or
    /// of protocol 1's (no pull); the error is the current shape's. The
    /// older shapes are tried newest first: each reads a newer push's
    /// bytes as far as its own fields go. (`PushRequest::decode`, in
    /// `compact.rs`, reads protocol 3's too.)
    pub(crate) fn decode_older(plain: &[u8]) -> Result<Self, SyncError> {
        read::<PushRequest>(plain).or_else(|e| {
            read::<PushRequestV4>(plain)
                .map(|old| PushRequest {
                    protocol: old.protocol,
                    device: old.device,
                    docs: old.docs,
                    pull: old.pull,
                    epoch: old.epoch,
                    office: None,
                })
                .or_else(|_| {
                    read::<PushRequestV2>(plain).map(|old| PushRequest {
                        protocol: old.protocol,
                        device: old.device,
                        docs: old.docs,
                        pull: old.pull,
                        epoch: None,
                        office: None,
                    })
                })
                .or_else(|_| {
                    read::<PushRequestV1>(plain).map(|old| PushRequest {
                        protocol: old.protocol,
                        device: old.device,
                        docs: old.docs,
                        pull: None,
                        epoch: None,
                        office: None,
                    })
                })
                .map_err(|_| e)
        })
    }
}

/// The hub has stored every document of the push, up to the changes sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushAck {
    pub stored: Vec<Uuid>,
    pub new_changes: u32,
    /// The answer to the push's [`PushRequest::pull`], if it asked. After
    /// `new_changes`: a protocol 1 tablet, which never asks, decodes the
    /// rest as before.
    pub pull: Option<PullResponse>,
    /// The hub's [`Epoch`]. Last, so that a tablet from before epochs
    /// reads the rest as before (postcard leaves trailing bytes unread); a
    /// hub from before them sends none ([`PushAck::decode`]).
    pub epoch: Option<Epoch>,
    /// The office's data, when the push asked ([`PushRequest::office`])
    /// holding another version than the hub's. Last, after `epoch`.
    pub office: Option<OfficeData>,
}

/// A push's acknowledgement as hubs sent it before office data.
#[derive(Deserialize)]
struct PushAckV3 {
    stored: Vec<Uuid>,
    new_changes: u32,
    pull: Option<PullResponse>,
    epoch: Option<Epoch>,
}

/// A push's acknowledgement as hubs sent it before epochs.
#[derive(Deserialize)]
struct PushAckV2 {
    stored: Vec<Uuid>,
    new_changes: u32,
    pull: Option<PullResponseV2>,
}

/// A push's acknowledgement as hubs sent it with office data of an older
/// shape `O`: before units had dates (`OfficeWireV1`), before moves and
/// purges (`OfficeWireV2`).
#[derive(Deserialize)]
struct PushAckWith<O> {
    stored: Vec<Uuid>,
    new_changes: u32,
    pull: Option<PullResponse>,
    epoch: Option<Epoch>,
    office: Option<O>,
}

impl<O: Into<OfficeWire>> From<PushAckWith<O>> for PushAck {
    fn from(old: PushAckWith<O>) -> Self {
        PushAck {
            stored: old.stored,
            new_changes: old.new_changes,
            pull: old.pull,
            epoch: old.epoch,
            office: old.office.map(|o| OfficeData::from(o.into())),
        }
    }
}

impl PushAck {
    /// Decodes an acknowledgement of this shape or of a hub from before
    /// moves, unit dates, office data or epochs (none then); the error is
    /// the current shape's.
    pub fn decode(bytes: &[u8]) -> Result<Self, SyncError> {
        decode_or_older(bytes, |old: PushAckWith<OfficeWireV2>| PushAck::from(old))
            .or_else(|e| {
                decode::<PushAckWith<OfficeWireV1>>(bytes)
                    .map(PushAck::from)
                    .map_err(|_| e)
            })
            .or_else(|e| {
                decode::<PushAckV3>(bytes)
                    .map(|old| PushAck {
                        stored: old.stored,
                        new_changes: old.new_changes,
                        pull: old.pull,
                        epoch: old.epoch,
                        office: None,
                    })
                    .map_err(|_| e)
            })
            .or_else(|e| {
                decode::<PushAckV2>(bytes)
                    .map(|old| PushAck {
                        stored: old.stored,
                        new_changes: old.new_changes,
                        pull: old.pull.map(PullResponseV2::upgrade),
                        epoch: None,
                        office: None,
                    })
                    .map_err(|_| e)
            })
    }
}

/// What the office gives its tablets besides records, as one block with
/// one version (bumped whenever any of it changes): the part of the org
/// tree a tablet's communes need (its communes, everything above and below
/// them) and the province's plan. More of the office's reference data (the
/// drug-free classings) is to ride here as fields added at the end, each an `Option` (a newer hub's block then still starts as an
/// older tablet reads it, and a decoder of the new shape falls back to the
/// old one, as [`PushAck::decode`] does).
///
/// On the wire ([`OfficeWire`]) a unit keeps the shape of before dates and
/// mergers, and what a unit that changes adds follows the plan, so an
/// older tablet reads the tree and plan it knows and stops there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "OfficeWire", from = "OfficeWire")]
pub struct OfficeData {
    pub version: u64,
    pub units: Vec<pcmt_model::OrgUnit>,
    /// The province's plan: report deadlines and targets, which the
    /// tablet's reports are judged against.
    pub plan: Option<pcmt_model::Plan>,
    /// The other communes of the district (issue 20): where a person may
    /// move to, by code and name only (`OrgTree::neighbours_of`); never
    /// part of the tablet's tree, whose district figures cover its own
    /// communes.
    pub neighbours: Vec<pcmt_model::OrgUnit>,
    /// Files the office purged that this tablet's communes' records
    /// referred to: their bytes are dropped, never fetched again, and the
    /// references read as purged. The whole list each time (purges are
    /// few); a tablet of another commune is told none of them.
    pub purged: Vec<ContentHash>,
}

/// A unit as the office data's wire shape holds it: as before dates.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct UnitWire {
    code: String,
    name: String,
    level: pcmt_model::OrgLevel,
    parent: Option<String>,
}

/// What a unit that changes adds: its days and the commune it was merged
/// into.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct UnitChange {
    code: String,
    valid_from: Option<chrono::NaiveDate>,
    valid_to: Option<chrono::NaiveDate>,
    merged_into: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct OfficeWire {
    version: u64,
    units: Vec<UnitWire>,
    plan: Option<pcmt_model::Plan>,
    /// An older tablet leaves it unread.
    changes: Vec<UnitChange>,
    /// After the changes: a tablet from before moves leaves it unread.
    neighbours: Vec<UnitWire>,
    /// Last: a tablet from before purges leaves it unread.
    purged: Vec<ContentHash>,
}

/// Office data as hubs sent it before moves and purges (issue 20, 21).
#[derive(Deserialize)]
struct OfficeWireV2 {
    version: u64,
    units: Vec<UnitWire>,
    plan: Option<pcmt_model::Plan>,
    changes: Vec<UnitChange>,
}

impl From<OfficeWireV2> for OfficeWire {
    fn from(old: OfficeWireV2) -> Self {
        Self {
            version: old.version,
            units: old.units,
            plan: old.plan,
            changes: old.changes,
            neighbours: Vec::new(),
            purged: Vec::new(),
        }
    }
}

/// Office data as hubs sent it before unit dates.
#[derive(Deserialize)]
struct OfficeWireV1 {
    version: u64,
    units: Vec<UnitWire>,
    plan: Option<pcmt_model::Plan>,
}

impl From<OfficeWireV1> for OfficeWire {
    fn from(old: OfficeWireV1) -> Self {
        OfficeWireV2::from(old).into()
    }
}

impl From<OfficeWireV1> for OfficeWireV2 {
    fn from(old: OfficeWireV1) -> Self {
        Self {
            version: old.version,
            units: old.units,
            plan: old.plan,
            changes: Vec::new(),
        }
    }
}

impl From<pcmt_model::OrgUnit> for UnitWire {
    fn from(u: pcmt_model::OrgUnit) -> Self {
        UnitWire {
            code: u.code,
            name: u.name,
            level: u.level,
            parent: u.parent,
        }
    }
}

impl From<UnitWire> for pcmt_model::OrgUnit {
    fn from(u: UnitWire) -> Self {
        pcmt_model::OrgUnit::new(&u.code, &u.name, u.level, u.parent.as_deref())
    }
}

impl From<OfficeData> for OfficeWire {
    fn from(data: OfficeData) -> Self {
        let changes = data
            .units
            .iter()
            .filter(|u| u.valid_from.is_some() || u.valid_to.is_some() || u.merged_into.is_some())
            .map(|u| UnitChange {
                code: u.code.clone(),
                valid_from: u.valid_from,
                valid_to: u.valid_to,
                merged_into: u.merged_into.clone(),
            })
            .collect();
        Self {
            version: data.version,
            units: data.units.into_iter().map(UnitWire::from).collect(),
            plan: data.plan,
            changes,
            neighbours: data.neighbours.into_iter().map(UnitWire::from).collect(),
            purged: data.purged,
        }
    }
}

impl From<OfficeWire> for OfficeData {
    fn from(wire: OfficeWire) -> Self {
        let mut changes: std::collections::HashMap<String, UnitChange> = wire
            .changes
            .into_iter()
            .map(|c| (c.code.clone(), c))
            .collect();
        let units = wire
            .units
            .into_iter()
            .map(|u| {
                let mut unit = pcmt_model::OrgUnit::from(u);
                if let Some(c) = changes.remove(&unit.code) {
                    unit.valid_from = c.valid_from;
                    unit.valid_to = c.valid_to;
                    unit.merged_into = c.merged_into;
                }
                unit
            })
            .collect();
        Self {
            version: wire.version,
            units,
            plan: wire.plan,
            neighbours: wire.neighbours.into_iter().map(Into::into).collect(),
            purged: wire.purged,
        }
    }
}

/// Which life of the hub's database answered: a random id the hub draws
/// when its database is created, and again on every restore from a backup
/// (`pcmt-hub --restore`, or `--new-epoch` after a PostgreSQL restore). A
/// tablet that meets another epoch than the one it synced with stops
/// trusting its "the hub has it" marks and its pull cursor: the restored
/// hub may have lost what it acknowledged after the backup (see
/// [`crate::sync::run`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Epoch(pub String);

impl Epoch {
    /// What a device names when it holds marks of a hub that named no
    /// epoch (its sync before an update): matches no hub's.
    pub const UNKNOWN: &'static str = "";

    pub fn unknown() -> Self {
        Self(Self::UNKNOWN.into())
    }

    /// A new random epoch (128 bits, in hexadecimal).
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(Self(hex::encode(bytes)))
    }
}

impl std::fmt::Display for Epoch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub protocol: u16,
    pub device: Uuid,
    pub communes: Vec<String>,
    pub cursor: u64,
    pub max_bytes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    pub docs: Vec<DocChanges>,
    /// The feed position this batch reaches; the device's next cursor.
    pub cursor: u64,
    pub more: bool,
    /// Documents whose first change is in this batch, whole: each holds at
    /// least every change of its document up to `cursor` (read with the
    /// feed, in one statement), perhaps more, which arrive again later as
    /// changes and merge as nothing. Only for a pull of
    /// [`SNAPSHOT_PROTOCOL`] or later. Last, so that an older tablet's
    /// decoder, which stops after `more`, reads a batch without snapshots
    /// (the only kind a hub sends it) as it always did.
    pub snapshots: Vec<DocSnapshot>,
    /// The hub's [`Epoch`]; last, as in [`PushAck::epoch`].
    pub epoch: Option<Epoch>,
}

/// A pull's answer as hubs sent it before epochs.
#[derive(Deserialize)]
struct PullResponseV2 {
    docs: Vec<DocChanges>,
    cursor: u64,
    more: bool,
    snapshots: Vec<DocSnapshot>,
}

impl PullResponseV2 {
    fn upgrade(self) -> PullResponse {
        PullResponse {
            docs: self.docs,
            cursor: self.cursor,
            more: self.more,
            snapshots: self.snapshots,
            epoch: None,
        }
    }
}

impl PullResponse {
    /// Decodes a batch of this shape or of a hub from before epochs.
    pub fn decode(bytes: &[u8]) -> Result<Self, SyncError> {
        decode_or_older(bytes, PullResponseV2::upgrade)
    }
}

/// A document offered by its heads: what a device holds of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocHeads {
    pub id: Uuid,
    pub heads: Vec<[u8; 32]>,
}

impl DocHeads {
    pub fn of(id: Uuid, heads: &[automerge::ChangeHash]) -> Self {
        Self {
            id,
            heads: heads.iter().map(|h| h.0).collect(),
        }
    }
}

/// After meeting a new epoch, a device tells the hub what it holds so
/// that it sends only what the restored hub lacks: its documents in runs
/// by id, each run summarised by a digest ([`RangeDigest`]), and only
/// the documents of runs whose digest differs compared one by one
/// (`crate::sync::resync`). Sent only to a hub that gave an epoch (one
/// that has the route).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferRequest {
    pub protocol: u16,
    pub device: Uuid,
    /// Documents offered one by one by their heads: how a device offers
    /// to a hub that does not answer `ranges` (one from before them).
    pub docs: Vec<DocHeads>,
    /// Runs of the device's documents, in id order, not overlapping.
    /// Last: a hub from before them reads the rest and answers none,
    /// which tells the device to offer by heads ([`OfferRequest::decode`]
    /// reads a device's offer from before them).
    pub ranges: Vec<RangeDigest>,
}

/// An offer as devices sent it before ranges.
#[derive(Deserialize)]
struct OfferRequestV1 {
    protocol: u16,
    device: Uuid,
    docs: Vec<DocHeads>,
}

impl OfferRequest {
    /// Decodes an offer of this shape or of one from before ranges.
    pub fn decode(bytes: &[u8]) -> Result<Self, SyncError> {
        decode_or_older(bytes, |old: OfferRequestV1| OfferRequest {
            protocol: old.protocol,
            device: old.device,
            docs: old.docs,
            ranges: Vec::new(),
        })
    }
}

/// The offered documents of the device's communes of which the hub lacks
/// at least one of the offered heads, each with the hub's own heads of it
/// (none when it does not hold the document). Every other offered
/// document the hub holds up to its offered heads (or it is not the
/// device's to send). And one answer per offered range, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferResponse {
    pub lacking: Vec<DocHeads>,
    pub epoch: Option<Epoch>,
    /// Last, as [`OfferRequest::ranges`]: a hub from before ranges sends
    /// none ([`OfferResponse::decode`]).
    pub ranges: Vec<RangeAnswer>,
}

/// An offer's answer as hubs sent it before ranges.
#[derive(Deserialize)]
struct OfferResponseV1 {
    lacking: Vec<DocHeads>,
    epoch: Option<Epoch>,
}

impl OfferResponse {
    /// Decodes an answer of this shape or of a hub from before ranges.
    pub fn decode(bytes: &[u8]) -> Result<Self, SyncError> {
        decode_or_older(bytes, |old: OfferResponseV1| OfferResponse {
            lacking: old.lacking,
            epoch: old.epoch,
            ranges: Vec::new(),
        })
    }
}

/// A run of a device's documents: those of its communes with ids from
/// `first` to `last` (both held), how many, and the [`digest`] of their
/// ids and heads. A hub that holds exactly those documents (of the
/// device's communes in that span) at exactly those heads has the same
/// digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeDigest {
    pub first: Uuid,
    pub last: Uuid,
    pub count: u32,
    pub digest: [u8; 8],
}

/// What the hub holds of an offered run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeAnswer {
    /// The same documents at the same heads: nothing to send.
    Same,
    /// Different, and the hub holds too many documents in the span to
    /// list: the device offers the run again in smaller runs.
    Split,
    /// Different: every document of the device's communes the hub holds
    /// in the span, with its heads.
    Holds(Vec<DocHeads>),
}

/// The digest of a run of documents, each by its id and heads: the first
/// 8 bytes of SHA-256 over the id and the sorted heads, XORed over the
/// run (so either side may add documents in any order). 64 bits: two
/// different runs share one by chance once in 10^19.
pub fn digest<'a>(docs: impl IntoIterator<Item = (Uuid, &'a [automerge::ChangeHash])>) -> [u8; 8] {
    use sha2::{Digest, Sha256};
    let mut out = [0u8; 8];
    for (id, heads) in docs {
        let mut sorted: Vec<&[u8; 32]> = heads.iter().map(|h| &h.0).collect();
        sorted.sort();
        let mut hash = Sha256::new();
        hash.update(id.as_bytes());
        for h in sorted {
            hash.update(h);
        }
        let full = hash.finalize();
        for (o, b) in out.iter_mut().zip(full.iter()) {
            *o ^= b;
        }
    }
    out
}

/// A tablet trades the office's one-time code for its device token. A
/// tablet the hub already knows (revoked, enrolling again) proves it is
/// that device with the last token the hub gave it: the hub enrols a known
/// device id only with it.
///
/// The field was added after the first apps shipped. Postcard is not
/// self-describing, so `#[serde(default)]` alone does not let a hub read an
/// older app's request (its bytes end before the field): read requests
/// with [`EnrolRequest::decode`], which also takes that shape. An older hub
/// ignores the trailing field.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub protocol: u16,
    pub code: String,
    pub device: Uuid,
    #[serde(default)]
    pub previous_token: Option<String>,
}

/// An enrolment request as apps sent it before `previous_token`.
#[derive(Deserialize)]
struct EnrolRequestV1 {
    protocol: u16,
    code: String,
    device: Uuid,
}

impl EnrolRequest {
    /// Decodes a request of this shape or of the older one (no previous
    /// token); the error is the current shape's.
    pub fn decode(bytes: &[u8]) -> Result<Self, SyncError> {
        decode_or_older(bytes, |old: EnrolRequestV1| EnrolRequest {
            protocol: old.protocol,
            code: old.code,
            device: old.device,
            previous_token: None,
        })
    }
}

/// Secrets left out: the code and the token.
impl std::fmt::Debug for EnrolRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolRequest")
            .field("protocol", &self.protocol)
            .field("device", &self.device)
            .field(
                "previous_token",
                &self.previous_token.as_ref().map(|_| ".."),
            )
            .finish_non_exhaustive()
    }
}

/// What the device keeps: its token (sent on every sync) and its scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub token: String,
    pub communes: Vec<String>,
    pub officer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Push(PushRequest),
    Pull(PullRequest),
    Offer(OfferRequest),
}

/// A push's acknowledgement is the largest (it may carry the office's
/// data); a run holds one answer at a time, so it is not boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Push(PushAck),
    Pull(PullResponse),
    Offer(OfferResponse),
}

impl Response {
    /// The epoch of the hub that answered, if it has one.
    pub fn epoch(&self) -> Option<&Epoch> {
        match self {
            Response::Push(ack) => ack.epoch.as_ref(),
            Response::Pull(batch) => batch.epoch.as_ref(),
            Response::Offer(offer) => offer.epoch.as_ref(),
        }
    }
}

impl Request {
    /// The protocol the request speaks.
    pub fn protocol(&self) -> u16 {
        match self {
            Request::Push(p) => p.protocol,
            Request::Pull(p) => p.protocol,
            Request::Offer(o) => o.protocol,
        }
    }

    /// The same request spoken at `protocol` at most: what a tablet sends
    /// a hub that does not speak its own.
    pub fn at_most(&self, protocol: u16) -> Request {
        let mut lowered = self.clone();
        let lower = |p: &mut u16| *p = (*p).min(protocol);
        match &mut lowered {
            Request::Push(p) => {
                lower(&mut p.protocol);
                if let Some(pull) = &mut p.pull {
                    lower(&mut pull.protocol);
                }
            }
            Request::Pull(p) => lower(&mut p.protocol),
            Request::Offer(o) => lower(&mut o.protocol),
        }
        lowered
    }
}

/// zstd level: 9 compresses a 1 MB batch in tens of milliseconds on a
/// tablet and saves a fifth of the bytes of level 3 on a slow link.
pub(crate) const ZSTD_LEVEL: i32 = 9;
/// zstd level of what the hub sends down ([`encode_packed`]): a pull's batch
/// crosses the slowest link of the whole sync (a first sync is most of the
/// bytes). Measured on 3 MB of the officers' records as raw changes: level
/// 9 gives 296 KB in 0.09 s, 12 gives 282 KB in 0.25 s, 15 gives 272 KB in
/// 0.8 s, 19 gives 257 KB in 6 s; past 12 the hub's time costs more than
/// the bytes it saves on a 1 Mbit/s link.
pub const ZSTD_LEVEL_PACKED: i32 = 12;

pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, SyncError> {
    encode_at(msg, ZSTD_LEVEL)
}

/// As [`encode`], compressed harder: for a pull's answer. Decoded by
/// [`decode`] like any message.
pub fn encode_packed<T: Serialize>(msg: &T) -> Result<Vec<u8>, SyncError> {
    encode_at(msg, ZSTD_LEVEL_PACKED)
}

/// Every message is compressed at the level its kind asks for, small ones
/// too: on a 100-edit push (65 KB before compression) level 19 took 29 ms
/// of the tablet's time to save 288 bytes over level 9 (8,091 B, 0.3 ms),
/// 2.3 ms of a 1 Mbit/s link (measured 2 Dec 2026 with `zstd -b`).
pub(crate) fn encode_at<T: Serialize>(msg: &T, level: i32) -> Result<Vec<u8>, SyncError> {
    let plain = postcard::to_stdvec(msg).map_err(|e| SyncError::Malformed(e.to_string()))?;
    check_size(plain.len())?;
    zstd::bulk::compress(&plain, level).map_err(|e| SyncError::Malformed(e.to_string()))
}

/// Decodes a message of shape `T`, or of the older shape `O` made into a
/// `T` by `upgrade`; the error is `T`'s.
fn decode_or_older<T: DeserializeOwned, O: DeserializeOwned>(
    bytes: &[u8],
    upgrade: impl FnOnce(O) -> T,
) -> Result<T, SyncError> {
    decode::<T>(bytes).or_else(|e| decode::<O>(bytes).map(upgrade).map_err(|_| e))
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SyncError> {
    read(&unpack(bytes)?)
}

/// A message's postcard bytes, checked for size before and while it is
/// decompressed.
pub(crate) fn unpack(bytes: &[u8]) -> Result<Vec<u8>, SyncError> {
    check_size(bytes.len())?;
    zstd::bulk::decompress(bytes, MAX_MESSAGE_BYTES)
        .map_err(|e| SyncError::Malformed(format!("not a compressed sync message: {e}")))
}

pub(crate) fn read<T: DeserializeOwned>(plain: &[u8]) -> Result<T, SyncError> {
    postcard::from_bytes(plain).map_err(|e| SyncError::Malformed(e.to_string()))
}

fn check_size(size: usize) -> Result<(), SyncError> {
    if size > MAX_MESSAGE_BYTES {
        return Err(SyncError::TooLarge {
            size,
            limit: MAX_MESSAGE_BYTES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enrolment_request_reads_with_or_without_the_previous_token() {
        #[derive(Serialize)]
        struct Older {
            protocol: u16,
            code: String,
            device: Uuid,
        }
        let device = Uuid::now_v7();
        let older = encode(&Older {
            protocol: PROTOCOL_VERSION,
            code: "ABCDE-FGHJK".into(),
            device,
        })
        .unwrap();
        let read = EnrolRequest::decode(&older).unwrap();
        assert_eq!((read.device, read.previous_token), (device, None));
        let current = EnrolRequest {
            protocol: PROTOCOL_VERSION,
            code: "ABCDE-FGHJK".into(),
            device,
            previous_token: Some("ab".repeat(32)),
        };
        assert_eq!(
            EnrolRequest::decode(&encode(&current).unwrap()).unwrap(),
            current
        );
        assert!(!format!("{current:?}").contains("abab"), "no token in logs");
        assert!(EnrolRequest::decode(b"garbage").is_err());
    }

    /// A hub reads a protocol 1 push, which ends before `pull`, and a
    /// protocol 1 tablet reads an acknowledgement that answers no pull.
    #[test]
    fn a_protocol_1_push_and_its_acknowledgement_read_as_before() {
        #[derive(Serialize)]
        struct PushV1 {
            protocol: u16,
            device: Uuid,
            docs: Vec<DocChanges>,
        }
        #[derive(Debug, PartialEq, Deserialize)]
        struct AckV1 {
            stored: Vec<Uuid>,
            new_changes: u32,
        }
        let device = Uuid::now_v7();
        let old = encode(&PushV1 {
            protocol: 1,
            device,
            docs: Vec::new(),
        })
        .unwrap();
        let read = PushRequest::decode(&old).unwrap();
        assert_eq!((read.protocol, read.device, read.pull), (1, device, None));
        let current = PushRequest {
            protocol: PROTOCOL_VERSION,
            device,
            docs: Vec::new(),
            pull: Some(PullRequest {
                protocol: PROTOCOL_VERSION,
                device,
                communes: vec!["62-610-23284".into()],
                cursor: 3,
                max_bytes: 10,
            }),
            epoch: None,
            office: None,
        };
        assert_eq!(
            PushRequest::decode(&encode(&current).unwrap()).unwrap(),
            current
        );
        let ack = PushAck {
            stored: vec![device],
            new_changes: 2,
            pull: None,
            epoch: None,
            office: None,
        };
        let read: AckV1 = decode(&encode(&ack).unwrap()).unwrap();
        assert_eq!(
            read,
            AckV1 {
                stored: vec![device],
                new_changes: 2
            }
        );
    }

    /// Office data rides last: a hub from before it reads a push asking
    /// for it, a tablet from before it reads an acknowledgement carrying
    /// it, and a tablet of now reads an older hub's acknowledgement.
    #[test]
    fn office_data_rides_last_and_older_peers_read_around_it() {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        struct PushBefore {
            protocol: u16,
            device: Uuid,
            docs: Vec<DocChanges>,
            pull: Option<PullRequest>,
            epoch: Option<Epoch>,
        }
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        struct AckBefore {
            stored: Vec<Uuid>,
            new_changes: u32,
            pull: Option<PullResponse>,
            epoch: Option<Epoch>,
        }
        let device = Uuid::now_v7();
        let pull = PullRequest {
            protocol: PROTOCOL_VERSION,
            device,
            communes: vec!["46-20014".into()],
            cursor: 0,
            max_bytes: 10,
        };
        let asking = PushRequest {
            // The shapes of before protocol 3 (`compact` has its own).
            protocol: SNAPSHOT_PROTOCOL,
            device,
            docs: Vec::new(),
            pull: Some(pull.clone()),
            epoch: Some(Epoch("e1".into())),
            office: Some(3),
        };
        let bytes = encode(&asking).unwrap();
        assert_eq!(PushRequest::decode(&bytes).unwrap(), asking);
        let older_hub: PushBefore = decode(&bytes).unwrap();
        assert_eq!(older_hub.pull, Some(pull.clone()));
        assert_eq!(older_hub.epoch, Some(Epoch("e1".into())));
        let before = encode(&PushBefore {
            protocol: SNAPSHOT_PROTOCOL,
            device,
            docs: Vec::new(),
            pull: Some(pull),
            epoch: Some(Epoch("e1".into())),
        })
        .unwrap();
        let read = PushRequest::decode(&before).unwrap();
        assert_eq!((read.epoch, read.office), (Some(Epoch("e1".into())), None));

        let batch = PullResponse {
            docs: Vec::new(),
            cursor: 4,
            more: false,
            snapshots: Vec::new(),
            epoch: Some(Epoch("e1".into())),
        };
        let office = OfficeData {
            version: 4,
            units: pcmt_model::OrgTree::demo()
                .part_for(&["62-610-23284".into()])
                .units()
                .cloned()
                .collect(),
            plan: Some(pcmt_model::Plan::bundled()),
            neighbours: Vec::new(),
            purged: Vec::new(),
        };
        let ack = PushAck {
            stored: Vec::new(),
            new_changes: 0,
            pull: Some(batch.clone()),
            epoch: Some(Epoch("e1".into())),
            office: Some(office),
        };
        let bytes = encode(&ack).unwrap();
        assert_eq!(PushAck::decode(&bytes).unwrap(), ack);
        let older_tablet: AckBefore = decode(&bytes).unwrap();
        assert_eq!(older_tablet.pull, Some(batch.clone()));
        let from_older_hub = encode(&AckBefore {
            stored: Vec::new(),
            new_changes: 0,
            pull: Some(batch.clone()),
            epoch: Some(Epoch("e1".into())),
        })
        .unwrap();
        let read = PushAck::decode(&from_older_hub).unwrap();
        assert_eq!((read.pull, read.office), (Some(batch), None));
    }

    /// Units' days and mergers ride after the plan: a tablet from before
    /// them reads the tree and plan it knows, and a hub from before them
    /// sends a tree of units that always were.
    #[test]
    fn unit_days_ride_after_the_plan_and_older_peers_read_around_them() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct UnitBefore {
            code: String,
            name: String,
            level: pcmt_model::OrgLevel,
            parent: Option<String>,
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct OfficeBefore {
            version: u64,
            units: Vec<UnitBefore>,
            plan: Option<pcmt_model::Plan>,
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct AckBefore {
            stored: Vec<Uuid>,
            new_changes: u32,
            pull: Option<PullResponse>,
            epoch: Option<Epoch>,
            office: Option<OfficeBefore>,
        }
        let merged = pcmt_model::OrgUnit {
            valid_to: chrono::NaiveDate::from_ymd_opt(2025, 6, 30),
            merged_into: Some("62-610-23287".into()),
            ..pcmt_model::OrgUnit::new(
                "62-610-23284",
                "Xã Đăk Pék",
                pcmt_model::OrgLevel::Commune,
                Some("62-610"),
            )
        };
        let ack = PushAck {
            stored: Vec::new(),
            new_changes: 0,
            pull: None,
            epoch: Some(Epoch("e1".into())),
            office: Some(OfficeData {
                version: 5,
                units: vec![merged.clone()],
                plan: Some(pcmt_model::Plan::bundled()),
                neighbours: Vec::new(),
                purged: Vec::new(),
            }),
        };
        let bytes = encode(&ack).unwrap();
        assert_eq!(PushAck::decode(&bytes).unwrap(), ack);
        let older_tablet: AckBefore = decode(&bytes).unwrap();
        let office = older_tablet.office.unwrap();
        assert_eq!(office.units[0].code, "62-610-23284");
        assert_eq!(office.plan, Some(pcmt_model::Plan::bundled()));

        let from_older_hub = encode(&AckBefore {
            stored: Vec::new(),
            new_changes: 0,
            pull: None,
            epoch: Some(Epoch("e1".into())),
            office: Some(OfficeBefore {
                version: 4,
                units: vec![UnitBefore {
                    code: merged.code.clone(),
                    name: merged.name.clone(),
                    level: merged.level,
                    parent: merged.parent.clone(),
                }],
                plan: None,
            }),
        })
        .unwrap();
        let read = PushAck::decode(&from_older_hub).unwrap().office.unwrap();
        assert_eq!(
            read.units,
            [pcmt_model::OrgUnit::new(
                "62-610-23284",
                "Xã Đăk Pék",
                pcmt_model::OrgLevel::Commune,
                Some("62-610")
            )]
        );
        assert_eq!(read.version, 4);
    }

    /// The district's other communes (issue 20) ride last: a tablet from
    /// before them reads the rest, and a hub from before them sends none.
    #[test]
    fn the_districts_other_communes_ride_last_and_older_peers_read_around_them() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct OfficeBefore {
            version: u64,
            units: Vec<UnitWire>,
            plan: Option<pcmt_model::Plan>,
            changes: Vec<UnitChange>,
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct AckBefore {
            stored: Vec<Uuid>,
            new_changes: u32,
            pull: Option<PullResponse>,
            epoch: Option<Epoch>,
            office: Option<OfficeBefore>,
        }
        let tree = pcmt_model::OrgTree::demo();
        let pek = ["62-610-23284".to_string()];
        let office = OfficeData {
            version: 7,
            units: tree.part_for(&pek).units().cloned().collect(),
            plan: None,
            neighbours: tree.neighbours_of(&pek),
            purged: vec![ContentHash([9; 32])],
        };
        assert_eq!(
            office
                .neighbours
                .iter()
                .map(|u| u.name.as_str())
                .collect::<Vec<_>>(),
            ["Xã Đăk Choong", "Xã Xốp"]
        );
        let ack = PushAck {
            stored: Vec::new(),
            new_changes: 0,
            pull: None,
            epoch: Some(Epoch("e1".into())),
            office: Some(office.clone()),
        };
        let bytes = encode(&ack).unwrap();
        assert_eq!(PushAck::decode(&bytes).unwrap(), ack);
        let older_tablet: AckBefore = decode(&bytes).unwrap();
        assert_eq!(older_tablet.office.unwrap().version, 7);
        let from_older_hub = encode(&AckBefore {
            stored: Vec::new(),
            new_changes: 0,
            pull: None,
            epoch: Some(Epoch("e1".into())),
            office: Some(OfficeBefore {
                version: 7,
                units: office.units.iter().cloned().map(UnitWire::from).collect(),
                plan: None,
                changes: Vec::new(),
            }),
        })
        .unwrap();
        let read = PushAck::decode(&from_older_hub).unwrap().office.unwrap();
        assert_eq!(
            (read.units, read.neighbours, read.purged),
            (office.units, Vec::new(), Vec::new())
        );
    }

    /// A tablet of protocol 1 decodes a pull's answer as it always did: a
    /// hub answers it without snapshots, and its decoder stops after `more`.
    #[test]
    fn an_older_tablet_reads_a_batch_without_snapshots_as_before() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct PullResponseV1 {
            docs: Vec<DocChanges>,
            cursor: u64,
            more: bool,
        }
        let docs = vec![DocChanges {
            id: Uuid::now_v7(),
            kind: "session".into(),
            commune: "62-610-23284".into(),
            changes: vec![vec![1, 2, 3]],
        }];
        let batch = PullResponse {
            docs: docs.clone(),
            cursor: 9,
            more: true,
            snapshots: Vec::new(),
            epoch: None,
        };
        let read: PullResponseV1 = decode(&encode_packed(&batch).unwrap()).unwrap();
        assert_eq!(
            read,
            PullResponseV1 {
                docs,
                cursor: 9,
                more: true
            }
        );
    }

    /// Issue 24: a hub's answers carry its epoch last, so a tablet from
    /// before epochs reads them as before, and a tablet of today reads a
    /// hub from before epochs (no epoch) too.
    #[test]
    fn the_epoch_travels_last_and_either_side_may_be_older() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct PullResponseV2 {
            docs: Vec<DocChanges>,
            cursor: u64,
            more: bool,
            snapshots: Vec<DocSnapshot>,
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct AckV2 {
            stored: Vec<Uuid>,
            new_changes: u32,
            pull: Option<PullResponseV2>,
        }
        let epoch = Some(Epoch("0123456789abcdef0123456789abcdef".into()));
        let batch = PullResponse {
            docs: Vec::new(),
            cursor: 9,
            more: false,
            snapshots: Vec::new(),
            epoch: epoch.clone(),
        };
        let ack = PushAck {
            stored: vec![Uuid::now_v7()],
            new_changes: 1,
            pull: Some(batch.clone()),
            epoch: epoch.clone(),
            office: None,
        };
        let old: AckV2 = decode(&encode_packed(&ack).unwrap()).unwrap();
        assert_eq!(old.pull.map(|p| p.cursor), Some(9));
        let old_batch: PullResponseV2 = decode(&encode_packed(&batch).unwrap()).unwrap();
        assert_eq!(old_batch.cursor, 9);
        assert_eq!(PushAck::decode(&encode(&ack).unwrap()).unwrap(), ack);
        assert_eq!(
            PullResponse::decode(&encode(&batch).unwrap()).unwrap(),
            batch
        );
        let from_old_hub = encode(&AckV2 {
            stored: ack.stored.clone(),
            new_changes: 1,
            pull: Some(PullResponseV2 {
                docs: Vec::new(),
                cursor: 9,
                more: false,
                snapshots: Vec::new(),
            }),
        })
        .unwrap();
        let read = PushAck::decode(&from_old_hub).unwrap();
        assert_eq!(read.epoch, None);
        assert_eq!(read.pull.map(|p| (p.cursor, p.epoch)), Some((9, None)));
        let old_batch = encode(&old_batch).unwrap();
        assert_eq!(PullResponse::decode(&old_batch).unwrap().epoch, None);

        // A push from before epochs keeps its pull; one of today reads
        // as before on a hub from before epochs.
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct PushV2 {
            protocol: u16,
            device: Uuid,
            docs: Vec<DocChanges>,
            pull: Option<PullRequest>,
        }
        let pull = PullRequest {
            protocol: 2,
            device: Uuid::nil(),
            communes: vec!["62-610-23284".into()],
            cursor: 4,
            max_bytes: 10,
        };
        let v2 = encode(&PushV2 {
            protocol: 2,
            device: Uuid::nil(),
            docs: Vec::new(),
            pull: Some(pull.clone()),
        })
        .unwrap();
        let read = PushRequest::decode(&v2).unwrap();
        assert_eq!((read.pull, read.epoch), (Some(pull.clone()), None));
        let today = PushRequest {
            protocol: PROTOCOL_VERSION,
            device: Uuid::nil(),
            docs: Vec::new(),
            pull: Some(pull.clone()),
            epoch: epoch.clone(),
            office: None,
        };
        let on_old_hub: PushV2 = decode(&encode(&today).unwrap()).unwrap();
        assert_eq!(on_old_hub.pull, Some(pull));
        assert_eq!(
            PushRequest::decode(&encode(&today).unwrap()).unwrap(),
            today
        );
    }

    /// Issue 24: runs travel last in an offer and its answer, so a hub
    /// from before them reads an offer of today (and answers no runs,
    /// which the tablet reads), and a hub of today reads an older offer.
    #[test]
    fn an_offer_of_runs_and_an_offer_from_before_them_read_either_way() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct OfferV1 {
            protocol: u16,
            device: Uuid,
            docs: Vec<DocHeads>,
        }
        #[derive(Serialize)]
        struct AnswerV1 {
            lacking: Vec<DocHeads>,
            epoch: Option<Epoch>,
        }
        let today = OfferRequest {
            protocol: PROTOCOL_VERSION,
            device: Uuid::nil(),
            docs: Vec::new(),
            ranges: vec![RangeDigest {
                first: Uuid::from_u128(1),
                last: Uuid::from_u128(9),
                count: 3,
                digest: [5; 8],
            }],
        };
        let on_old_hub: OfferV1 = decode(&encode(&today).unwrap()).unwrap();
        assert!(on_old_hub.docs.is_empty());
        assert_eq!(
            OfferRequest::decode(&encode(&today).unwrap()).unwrap(),
            today
        );
        let older = encode(&OfferV1 {
            protocol: 2,
            device: Uuid::nil(),
            docs: vec![DocHeads {
                id: Uuid::from_u128(4),
                heads: vec![[1; 32]],
            }],
        })
        .unwrap();
        let read = OfferRequest::decode(&older).unwrap();
        assert_eq!((read.docs.len(), read.ranges.len()), (1, 0));
        let old_answer = encode(&AnswerV1 {
            lacking: Vec::new(),
            epoch: Some(Epoch("e".into())),
        })
        .unwrap();
        let read = OfferResponse::decode(&old_answer).unwrap();
        assert_eq!(
            (read.epoch, read.ranges),
            (Some(Epoch("e".into())), Vec::new())
        );
        let answer = OfferResponse {
            lacking: Vec::new(),
            epoch: None,
            ranges: vec![
                RangeAnswer::Same,
                RangeAnswer::Split,
                RangeAnswer::Holds(Vec::new()),
            ],
        };
        assert_eq!(
            OfferResponse::decode(&encode(&answer).unwrap()).unwrap(),
            answer
        );
    }

    /// A run's digest does not depend on the order of its records or of
    /// their heads, and changes with any head or id.
    #[test]
    fn a_runs_digest_is_of_its_records_and_heads_in_any_order() {
        use automerge::ChangeHash;
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let ha = vec![ChangeHash([1; 32]), ChangeHash([2; 32])];
        let hb = vec![ChangeHash([3; 32])];
        let ha_rev: Vec<_> = ha.iter().rev().copied().collect();
        let one = digest([(a, ha.as_slice()), (b, hb.as_slice())]);
        assert_eq!(one, digest([(b, hb.as_slice()), (a, ha_rev.as_slice())]));
        assert_ne!(one, digest([(a, ha.as_slice())]));
        assert_ne!(one, digest([(a, hb.as_slice()), (b, ha.as_slice())]));
        assert_ne!(one, digest([(a, &ha[..1]), (b, hb.as_slice())]));
    }

    #[test]
    fn messages_round_trip_and_garbage_is_an_error() {
        let req = PullRequest {
            protocol: PROTOCOL_VERSION,
            device: Uuid::nil(),
            communes: vec!["62-610-23284".into()],
            cursor: 42,
            max_bytes: 1000,
        };
        assert_eq!(decode::<PullRequest>(&encode(&req).unwrap()).unwrap(), req);
        assert!(matches!(
            decode::<PullRequest>(&[0xff; 3]),
            Err(SyncError::Malformed(_))
        ));
        assert!(matches!(
            decode::<PullRequest>(&vec![0; MAX_MESSAGE_BYTES + 1]),
            Err(SyncError::TooLarge { .. })
        ));
        // A small message that would inflate past the limit is refused too.
        let bomb = zstd::bulk::compress(&vec![0u8; MAX_MESSAGE_BYTES + 1], 19).unwrap();
        assert!(bomb.len() < 10_000);
        assert!(matches!(
            decode::<PullRequest>(&bomb),
            Err(SyncError::Malformed(_))
        ));
    }
}
