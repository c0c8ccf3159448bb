//! Protocol 3's shapes of the messages that carry records (issue 18,
//! item 4, the last bytes): the same messages as [`crate::sync::wire`]'s,
//! with what a peer can recompute or already knows left out, and ids
//! written as the text the records themselves hold.
//!
//! - A change or document chunk travels without Automerge's magic bytes
//!   and checksum ([`chunk`]): the checksum is the first 4 bytes of the
//!   SHA-256 of the rest, which the receiver computes again, so the chunk
//!   it restores is the one sent, byte for byte (the change's hash with
//!   it). 8 bytes a change, 4 of them random to zstd.
//! - A record's id travels as its 36-character text ([`id_text`]): a new
//!   record's first change holds the same text (its header's `@id`), which
//!   zstd then finds instead of paying for the id's randomness twice.
//! - An acknowledgement says how many of the push's documents the hub
//!   stored (all or none: a push is one transaction) instead of naming
//!   each again: the tablet knows what it sent.
//!
//! A peer of protocol 2 or older gets and sends the older shapes: the hub
//! answers in the shape of the request's protocol, and a tablet that meets
//! a hub of protocol 2 sends its requests at 2 ([`crate::http`]).

use super::wire::{
    decode, encode, encode_at, encode_packed, read, unpack, DocChanges, DocSnapshot, Epoch,
    OfferResponse, OfficeData, PullRequest, PullResponse, PushAck, PushRequest, Request, Response,
    ZSTD_LEVEL, ZSTD_LEVEL_PACKED,
};
use super::SyncError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The first protocol whose record-carrying messages have these shapes.
pub const COMPACT_PROTOCOL: u16 = 3;

/// Automerge's chunks as they travel in protocol 3.
pub mod chunk {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};
    use sha2::{Digest, Sha256};

    /// What every Automerge chunk starts with.
    pub const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    /// The magic bytes and the checksum.
    pub(super) const HEADER: usize = 8;

    pub(super) fn checksum(rest: &[u8]) -> [u8; 4] {
        let hash = Sha256::digest(rest);
        [hash[0], hash[1], hash[2], hash[3]]
    }

    /// The chunk without its magic bytes and checksum when the checksum is
    /// the one [`restore`] computes; otherwise (a compressed chunk, whose
    /// checksum is of its inflated bytes; anything odd) the chunk whole,
    /// which starts with the magic bytes where a stripped chunk starts
    /// with its type (0 to 3).
    pub fn strip(chunk: &[u8]) -> &[u8] {
        match chunk.split_at_checked(HEADER) {
            Some((head, rest)) if head[..4] == MAGIC && head[4..] == checksum(rest) => rest,
            _ => chunk,
        }
    }

    /// The chunk [`strip`] was given. Bytes that do not start with the
    /// magic bytes are read as a stripped chunk: whatever they are, what
    /// comes out is checked as any chunk received is
    /// ([`crate::sync::limits`]).
    pub fn restore(sent: Vec<u8>) -> Vec<u8> {
        if sent.starts_with(&MAGIC) || sent.first() == Some(&super::deps::ABBREVIATED) {
            return sent;
        }
        let mut chunk = Vec::with_capacity(HEADER + sent.len());
        chunk.extend_from_slice(&MAGIC);
        chunk.extend_from_slice(&checksum(&sent));
        chunk.extend_from_slice(&sent);
        chunk
    }

    pub fn serialize<S: Serializer>(chunk: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(strip(chunk))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let sent = <Vec<u8>>::deserialize(d)?;
        if sent.is_empty() {
            return Err(D::Error::custom("an empty chunk"));
        }
        Ok(restore(sent))
    }

    /// The same for a list of chunks.
    pub mod list {
        use serde::{ser::SerializeSeq, Deserialize, Deserializer, Serialize, Serializer};

        struct Stripped<'a>(&'a [u8]);

        impl Serialize for Stripped<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                super::serialize(self.0, s)
            }
        }

        #[derive(Deserialize)]
        struct Sent(#[serde(with = "super")] Vec<u8>);

        pub fn serialize<S: Serializer>(chunks: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(chunks.len()))?;
            for c in chunks {
                seq.serialize_element(&Stripped(c))?;
            }
            seq.end()
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
            let sent = <Vec<Sent>>::deserialize(d)?;
            Ok(sent.into_iter().map(|Sent(c)| c).collect())
        }
    }
}

/// A pushed change's dependencies by the first [`deps::PREFIX`] bytes of
/// their hashes: the hub holds the changes named (the tablet's changes
/// since the heads the hub acknowledged depend on those and on each
/// other), and finds each among the record's changes and the push's. 24
/// random bytes saved a dependency: an edit depends on one change or two.
pub mod deps {
    use super::chunk::{checksum, HEADER, MAGIC};
    use automerge::ChangeHash;
    use std::borrow::Cow;

    /// What an abbreviated change starts with, where a chunk sent whole
    /// starts with the magic bytes and a stripped one with its type.
    pub const ABBREVIATED: u8 = 0x41;
    /// Bytes of a dependency's hash sent.
    pub const PREFIX: usize = 8;
    /// Automerge's chunk type of a change.
    const CHANGE: u8 = 1;

    fn uleb(bytes: &mut &[u8]) -> Option<u64> {
        leb128::read::unsigned(bytes).ok()
    }

    /// A change chunk with dependencies, abbreviated: its type, checksum,
    /// number of dependencies, their prefixes, and the rest of the change.
    /// None for any other chunk (sent as [`super::chunk::strip`] sends it).
    pub fn abbreviate(chunk: &[u8]) -> Option<Vec<u8>> {
        let (head, rest) = chunk.split_at_checked(HEADER)?;
        if head[..4] != MAGIC || head[4..] != checksum(rest) || rest.first() != Some(&CHANGE) {
            return None;
        }
        let mut body = &rest[1..];
        let len = uleb(&mut body)?;
        let mut deps_at = body;
        let n = usize::try_from(uleb(&mut deps_at)?).ok()?;
        if n == 0 || len != body.len() as u64 || deps_at.len() < n * 32 {
            return None;
        }
        let (deps, after) = deps_at.split_at(n * 32);
        let mut out = vec![ABBREVIATED];
        out.extend_from_slice(&head[4..]);
        out.extend_from_slice(&body[..body.len() - deps_at.len()]);
        for dep in deps.chunks(32) {
            out.extend_from_slice(&dep[..PREFIX]);
        }
        out.extend_from_slice(after);
        Some(out)
    }

    /// The chunks of a push with each abbreviated change made whole again:
    /// its dependencies found among `held` (the record's changes the hub
    /// holds) and the chunks before it, checked against its checksum.
    /// An error names what could not be made whole.
    pub fn expand<'a>(
        chunks: &'a [Vec<u8>],
        held: impl FnOnce() -> Vec<ChangeHash>,
    ) -> Result<Vec<Cow<'a, [u8]>>, String> {
        if !chunks.iter().any(|c| c.first() == Some(&ABBREVIATED)) {
            return Ok(chunks.iter().map(|c| Cow::Borrowed(c.as_slice())).collect());
        }
        let mut known = held();
        let mut out = Vec::with_capacity(chunks.len());
        for sent in chunks {
            let chunk = match sent.first() {
                Some(&ABBREVIATED) => Cow::Owned(whole(sent, &known)?),
                _ => Cow::Borrowed(sent.as_slice()),
            };
            if let Some(rest) = chunk.get(HEADER..) {
                use sha2::{Digest, Sha256};
                known.push(ChangeHash(Sha256::digest(rest).into()));
            }
            out.push(chunk);
        }
        Ok(out)
    }

    fn whole(sent: &[u8], known: &[ChangeHash]) -> Result<Vec<u8>, String> {
        let cut = || "an abbreviated change cut short".to_string();
        let sum = sent.get(1..5).ok_or_else(cut)?;
        let mut at = &sent[5..];
        let n = uleb(&mut at).ok_or_else(cut)?;
        let count = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(PREFIX))
            .ok_or_else(cut)?;
        let prefixes = at.get(..count).ok_or_else(cut)?;
        let mut body = Vec::with_capacity(at.len() + prefixes.len() * 4);
        leb128::write::unsigned(&mut body, n).map_err(|e| e.to_string())?;
        for prefix in prefixes.chunks(PREFIX) {
            // A change may be both held and sent again (a push resent
            // after a restore): the same hash twice is one.
            let mut found: Vec<&[u8; 32]> = known
                .iter()
                .map(|h| &h.0)
                .filter(|h| h.starts_with(prefix))
                .collect();
            found.sort();
            found.dedup();
            match found[..] {
                [hash] => body.extend_from_slice(hash),
                [] => return Err("a change depends on a change the hub does not hold".into()),
                _ => return Err("a change names its dependency ambiguously".into()),
            }
        }
        body.extend_from_slice(&at[prefixes.len()..]);
        let mut rest = vec![CHANGE];
        leb128::write::unsigned(&mut rest, body.len() as u64).map_err(|e| e.to_string())?;
        rest.extend_from_slice(&body);
        if checksum(&rest) != sum {
            return Err("an abbreviated change does not match its checksum".into());
        }
        let mut chunk = MAGIC.to_vec();
        chunk.extend_from_slice(sum);
        chunk.extend_from_slice(&rest);
        Ok(chunk)
    }
}

/// A record's id as the 36-character text its header holds.
mod id_text {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};
    use uuid::Uuid;

    pub fn serialize<S: Serializer>(id: &Uuid, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Uuid, D::Error> {
        let text = <&str>::deserialize(d)?;
        match Uuid::try_parse(text) {
            Ok(id) if text.len() == uuid::fmt::Hyphenated::LENGTH => Ok(id),
            _ => Err(D::Error::custom(
                "a record id that is not a hyphenated UUID",
            )),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct CompactDoc {
    #[serde(with = "id_text")]
    id: Uuid,
    kind: String,
    commune: String,
    #[serde(with = "chunk::list")]
    changes: Vec<Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
struct CompactSnapshot {
    #[serde(with = "id_text")]
    id: Uuid,
    kind: String,
    commune: String,
    #[serde(with = "chunk")]
    bytes: Vec<u8>,
}

fn all<A, B: From<A>>(items: Vec<A>) -> Vec<B> {
    items.into_iter().map(B::from).collect()
}

/// A message and its compact shape made into each other, field by field
/// (the lists of documents each by each).
macro_rules! both_ways {
    ($a:ty, $b:ty, [$($field:ident),*], [$($list:ident),*]) => {
        impl From<$a> for $b {
            fn from(x: $a) -> Self {
                Self { $($field: x.$field,)* $($list: all(x.$list),)* }
            }
        }
        impl From<$b> for $a {
            fn from(x: $b) -> Self {
                Self { $($field: x.$field,)* $($list: all(x.$list),)* }
            }
        }
    };
}

both_ways!(DocChanges, CompactDoc, [id, kind, commune, changes], []);
both_ways!(DocSnapshot, CompactSnapshot, [id, kind, commune, bytes], []);
both_ways!(
    PullResponse,
    CompactBatch,
    [cursor, more, epoch],
    [docs, snapshots]
);

#[derive(Serialize, Deserialize)]
struct CompactPush {
    protocol: u16,
    device: Uuid,
    docs: Vec<CompactDoc>,
    pull: Option<PullRequest>,
    epoch: Option<Epoch>,
    office: Option<u64>,
}

impl From<PushRequest> for CompactPush {
    fn from(p: PushRequest) -> Self {
        let abbreviated = |mut d: DocChanges| {
            for c in &mut d.changes {
                if let Some(short) = deps::abbreviate(c) {
                    *c = short;
                }
            }
            CompactDoc::from(d)
        };
        Self {
            protocol: p.protocol,
            device: p.device,
            docs: p.docs.into_iter().map(abbreviated).collect(),
            pull: p.pull,
            epoch: p.epoch,
            office: p.office,
        }
    }
}

impl From<CompactPush> for PushRequest {
    fn from(p: CompactPush) -> Self {
        Self {
            protocol: p.protocol,
            device: p.device,
            docs: all(p.docs),
            pull: p.pull,
            epoch: p.epoch,
            office: p.office,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct CompactBatch {
    docs: Vec<CompactDoc>,
    cursor: u64,
    more: bool,
    snapshots: Vec<CompactSnapshot>,
    epoch: Option<Epoch>,
}

/// An acknowledgement: `stored` counts the push's documents the hub stored,
/// from its first.
#[derive(Serialize, Deserialize)]
struct CompactAck {
    stored: u32,
    new_changes: u32,
    pull: Option<CompactBatch>,
    epoch: Option<Epoch>,
    office: Option<OfficeData>,
}

impl CompactAck {
    pub(crate) fn of(ack: PushAck, push: &[Uuid]) -> Result<Self, SyncError> {
        // The tablet reads the count as the push's first documents: an
        // acknowledgement naming others cannot be said this way.
        if !push.starts_with(&ack.stored) {
            return Err(SyncError::Malformed(
                "an acknowledgement of documents the push did not send first".into(),
            ));
        }
        Ok(Self {
            stored: ack.stored.len() as u32,
            new_changes: ack.new_changes,
            pull: ack.pull.map(Into::into),
            epoch: ack.epoch,
            office: ack.office,
        })
    }

    /// The acknowledgement of a push of `push`'s documents, in order.
    pub(crate) fn read(self, push: &[Uuid]) -> Result<PushAck, SyncError> {
        let stored = push.get(..self.stored as usize).ok_or_else(|| {
            SyncError::Malformed(format!(
                "an acknowledgement of {} documents for a push of {}",
                self.stored,
                push.len()
            ))
        })?;
        Ok(PushAck {
            stored: stored.to_vec(),
            new_changes: self.new_changes,
            pull: self.pull.map(Into::into),
            epoch: self.epoch,
            office: self.office,
        })
    }
}

impl Request {
    /// The request as it is sent: in its protocol's shape.
    pub fn encode(&self) -> Result<Vec<u8>, SyncError> {
        match self {
            Request::Push(p) => p.encode(),
            Request::Pull(p) => encode(p),
            Request::Offer(o) => encode(o),
        }
    }

    /// Reads the hub's answer to this request, in the shape of the
    /// request's protocol.
    pub fn read_answer(&self, bytes: &[u8]) -> Result<Response, SyncError> {
        Ok(match self {
            Request::Push(p) if p.protocol >= COMPACT_PROTOCOL => {
                let sent: Vec<Uuid> = p.docs.iter().map(|d| d.id).collect();
                Response::Push(decode::<CompactAck>(bytes)?.read(&sent)?)
            }
            Request::Push(_) => Response::Push(PushAck::decode(bytes)?),
            Request::Pull(p) => Response::Pull(PullResponse::decode_for(bytes, p.protocol)?),
            Request::Offer(_) => Response::Offer(OfferResponse::decode(bytes)?),
        })
    }
}

impl PushRequest {
    /// The push as a device sends it: in its protocol's shape.
    pub fn encode(&self) -> Result<Vec<u8>, SyncError> {
        if self.protocol >= COMPACT_PROTOCOL {
            encode(&CompactPush::from(self.clone()))
        } else {
            encode(self)
        }
    }

    /// Decodes a push of protocol 3, or of an older shape
    /// (`PushRequest::decode_older`).
    pub fn decode(bytes: &[u8]) -> Result<Self, SyncError> {
        #[derive(Deserialize)]
        struct Protocol(u16);
        let plain = unpack(bytes)?;
        if read::<Protocol>(&plain)?.0 >= COMPACT_PROTOCOL {
            return read::<CompactPush>(&plain).map(PushRequest::from);
        }
        Self::decode_older(&plain)
    }
}

impl PushAck {
    /// The acknowledgement of `push` as the hub sends it: in the shape of
    /// the push's protocol, packed when it carries a pull's batch.
    pub fn encode_for(self, push: &PushRequest) -> Result<Vec<u8>, SyncError> {
        let level = match self.pull {
            Some(_) => ZSTD_LEVEL_PACKED,
            None => ZSTD_LEVEL,
        };
        if push.protocol >= COMPACT_PROTOCOL {
            let sent: Vec<Uuid> = push.docs.iter().map(|d| d.id).collect();
            encode_at(&CompactAck::of(self, &sent)?, level)
        } else {
            encode_at(&self, level)
        }
    }
}

impl PullResponse {
    /// Reads the answer to a pull of `protocol`.
    pub fn decode_for(bytes: &[u8], protocol: u16) -> Result<Self, SyncError> {
        if protocol >= COMPACT_PROTOCOL {
            decode::<CompactBatch>(bytes).map(Into::into)
        } else {
            Self::decode(bytes)
        }
    }

    /// The batch as the hub sends it to a pull of `protocol`: packed.
    pub fn encode_for(self, protocol: u16) -> Result<Vec<u8>, SyncError> {
        if protocol >= COMPACT_PROTOCOL {
            encode_packed(&CompactBatch::from(self))
        } else {
            encode_packed(&self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record_doc::{self, ChangeNote};
    use crate::sync::wire::{self, Request, Response, PROTOCOL_VERSION, SNAPSHOT_PROTOCOL};
    use automerge::{ActorId, AutoCommit};
    use pcmt_model::fixtures::{session, COMMUNE};
    use pcmt_model::{Labelled, RecordKind};

    /// Records as a tablet makes them, each new and then edited once.
    fn records(n: usize) -> Vec<(Uuid, AutoCommit)> {
        let note = ChangeNote {
            officer: "Cán bộ đo".into(),
        };
        (0..n)
            .map(|i| {
                let id = Uuid::now_v7();
                let mut input = session(&format!("Trường TH số {i}"));
                let mut doc =
                    record_doc::new_record(id, COMMUNE, &input, ActorId::random(), &note, 1)
                        .unwrap();
                input.attendees += 1;
                record_doc::update_record(&mut doc, &input, &note, 2).unwrap();
                (id, doc)
            })
            .collect()
    }

    fn changes(recs: &mut [(Uuid, AutoCommit)]) -> Vec<DocChanges> {
        recs.iter_mut()
            .map(|(id, doc)| DocChanges::since(*id, RecordKind::Session, COMMUNE, doc, &[]))
            .collect()
    }

    fn batch(recs: &mut [(Uuid, AutoCommit)]) -> PullResponse {
        let snapshots = recs
            .iter_mut()
            .take(2)
            .map(|(id, doc)| DocSnapshot {
                id: *id,
                kind: RecordKind::Session.code().into(),
                commune: COMMUNE.into(),
                bytes: record_doc::save(doc),
            })
            .collect();
        PullResponse {
            docs: changes(&mut recs[2..]),
            cursor: 40,
            more: true,
            snapshots,
            epoch: Some(wire::Epoch("e1".into())),
        }
    }

    fn push(protocol: u16, docs: Vec<DocChanges>) -> PushRequest {
        PushRequest {
            protocol,
            device: Uuid::now_v7(),
            docs,
            pull: Some(PullRequest {
                protocol,
                device: Uuid::nil(),
                communes: vec![COMMUNE.into()],
                cursor: 7,
                max_bytes: 1000,
            }),
            epoch: None,
            office: Some(0),
        }
    }

    /// Every change and document arrives byte for byte as sent (so with
    /// the same hashes), in fewer bytes than protocol 2's shapes, and the
    /// hub reads the push's documents as the tablet holds them.
    #[test]
    fn records_travel_compact_and_arrive_byte_for_byte() {
        let mut recs = records(40);
        let sent = push(PROTOCOL_VERSION, changes(&mut recs));
        let request = Request::Push(sent.clone());
        let on_the_wire = request.encode().unwrap();
        let mut read = PushRequest::decode(&on_the_wire).unwrap();
        for doc in &mut read.docs {
            let whole = deps::expand(&doc.changes, Vec::new).unwrap();
            doc.changes = whole.into_iter().map(|c| c.into_owned()).collect();
        }
        assert_eq!(read, sent);
        let older = wire::encode(&sent).unwrap();
        assert!(
            on_the_wire.len() < older.len(),
            "{} bytes, {} as protocol 2",
            on_the_wire.len(),
            older.len()
        );

        let ack = PushAck {
            stored: sent.docs.iter().map(|d| d.id).collect(),
            new_changes: 80,
            pull: Some(batch(&mut recs)),
            epoch: Some(wire::Epoch("e1".into())),
            office: None,
        };
        let answer = ack.clone().encode_for(&sent).unwrap();
        assert_eq!(
            request.read_answer(&answer).unwrap(),
            Response::Push(ack.clone())
        );
        let older = ack
            .clone()
            .encode_for(&push(SNAPSHOT_PROTOCOL, sent.docs.clone()));
        assert!(answer.len() < older.unwrap().len());

        let pulled = batch(&mut recs);
        let pull = Request::Pull(sent.pull.clone().unwrap());
        let answer = pulled.clone().encode_for(PROTOCOL_VERSION).unwrap();
        assert_eq!(pull.read_answer(&answer).unwrap(), Response::Pull(pulled));
    }

    /// A hub answers a tablet of protocol 2 or 1 in the shapes it reads,
    /// and reads its push as before.
    #[test]
    fn an_older_tablet_gets_the_older_shapes() {
        let mut recs = records(3);
        let older = push(SNAPSHOT_PROTOCOL, changes(&mut recs));
        let on_the_wire = Request::Push(older.clone()).encode().unwrap();
        assert_eq!(on_the_wire, wire::encode(&older).unwrap());
        assert_eq!(PushRequest::decode(&on_the_wire).unwrap(), older);
        let ack = PushAck {
            stored: older.docs.iter().map(|d| d.id).collect(),
            new_changes: 6,
            pull: Some(batch(&mut recs)),
            epoch: None,
            office: None,
        };
        let answer = ack.clone().encode_for(&older).unwrap();
        assert_eq!(PushAck::decode(&answer).unwrap(), ack);
        let pulled = batch(&mut recs);
        let answer = pulled.clone().encode_for(SNAPSHOT_PROTOCOL).unwrap();
        assert_eq!(PullResponse::decode(&answer).unwrap(), pulled);
        assert_eq!(
            Request::Push(push(PROTOCOL_VERSION, Vec::new()))
                .at_most(SNAPSHOT_PROTOCOL)
                .protocol(),
            SNAPSHOT_PROTOCOL
        );
    }

    /// A chunk whose checksum is not the one the receiver would compute
    /// (a compressed change's is of its inflated bytes) travels whole.
    #[test]
    fn a_chunk_that_cannot_be_restored_travels_whole() {
        let mut recs = records(1);
        let raw = changes(&mut recs).remove(0).changes.remove(0);
        assert_eq!(chunk::strip(&raw), &raw[8..]);
        assert_eq!(chunk::restore(raw[8..].to_vec()), raw);
        let compressed = recs[0].1.get_changes(&[])[0].bytes().to_vec();
        let mut odd = raw.clone();
        odd[5] ^= 1;
        assert_ne!(compressed, raw, "a session's first change is deflated");
        for whole in [compressed, odd] {
            assert_eq!(chunk::strip(&whole), &whole[..]);
            assert_eq!(chunk::restore(whole.clone()), whole);
        }
    }

    /// An edit's dependency travels as 8 bytes of its hash, and the hub
    /// makes the change whole again from the record's changes it holds,
    /// or from the push's earlier ones.
    #[test]
    fn an_edits_dependency_travels_short_and_is_found_again() {
        let mut recs = records(1);
        let (id, doc) = &mut recs[0];
        let all = DocChanges::since(*id, RecordKind::Session, COMMUNE, doc, &[]);
        let (first, edit) = (&all.changes[0], &all.changes[1]);
        let held = automerge::Change::from_bytes(first.clone()).unwrap().hash();
        let short = deps::abbreviate(edit).expect("an edit has a dependency");
        // 24 bytes of each dependency, less the checksum it keeps.
        assert!(short.len() + 20 <= chunk::strip(edit).len());
        assert_eq!(
            deps::abbreviate(first),
            None,
            "a new record depends on nothing"
        );

        let sent = push(PROTOCOL_VERSION, vec![all.clone()]);
        let read = PushRequest::decode(&Request::Push(sent).encode().unwrap()).unwrap();
        let chunks = &read.docs[0].changes;
        assert_eq!((&chunks[0], &chunks[1]), (first, &short));
        let whole = deps::expand(chunks, Vec::new).unwrap();
        assert_eq!((&*whole[0], &*whole[1]), (&first[..], &edit[..]));
        let alone = [short.clone()];
        assert_eq!(&*deps::expand(&alone, || vec![held]).unwrap()[0], &edit[..]);
        let twice = deps::expand(&alone, || vec![held, held]).unwrap();
        assert_eq!(&*twice[0], &edit[..], "a hash held and sent again is one");

        let mut twin = held.0;
        twin[31] ^= 1;
        let mut tampered = short.clone();
        tampered[1] ^= 1;
        for (chunks, held) in [
            (vec![short.clone()], vec![]),
            (vec![short.clone()], vec![held, automerge::ChangeHash(twin)]),
            (vec![tampered], vec![held]),
            (vec![short[..short.len() - 40].to_vec()], vec![held]),
            (vec![short[..3].to_vec()], vec![held]),
            (vec![[&short[..5], &[0xff; 9], &[1]].concat()], vec![held]),
        ] {
            assert!(deps::expand(&chunks, || held).is_err());
        }
    }

    /// What a forged answer or push may say in these shapes is an error:
    /// an acknowledgement of more documents than were sent, an id that is
    /// not a record's, an empty chunk.
    #[test]
    fn forged_compact_messages_are_errors() {
        let mut recs = records(2);
        let sent = push(PROTOCOL_VERSION, changes(&mut recs));
        let more = PushAck {
            stored: vec![Uuid::now_v7(); 3],
            new_changes: 0,
            pull: None,
            epoch: None,
            office: None,
        };
        assert!(more.clone().encode_for(&sent).is_err());
        let request = Request::Push(sent.clone());
        let forged = wire::encode(&(3u32, 0u32, None::<()>, None::<()>, None::<()>)).unwrap();
        assert!(matches!(
            request.read_answer(&forged),
            Err(SyncError::Malformed(_))
        ));

        #[derive(Serialize)]
        struct Doc(String, String, String, Vec<Vec<u8>>);
        #[derive(Serialize)]
        struct Push(u16, Uuid, Vec<Doc>, Option<()>, Option<()>, Option<()>);
        let forge = |id: &str, chunk: Vec<u8>| {
            let doc = Doc(id.into(), "session".into(), COMMUNE.into(), vec![chunk]);
            PushRequest::decode(
                &wire::encode(&Push(3, Uuid::nil(), vec![doc], None, None, None)).unwrap(),
            )
        };
        let id = recs[0].0.to_string();
        assert!(forge(&id, vec![1, 2, 3]).is_ok());
        for (id, chunk) in [
            (id.as_str(), Vec::new()),
            (&id[..35], vec![1]),
            (&recs[0].0.simple().to_string(), vec![1]),
            ("không phải mã", vec![1]),
        ] {
            assert!(matches!(forge(id, chunk), Err(SyncError::Malformed(_))));
        }
    }
}
