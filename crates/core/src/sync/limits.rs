//! How big a change from another machine, and a record built of such
//! changes, may grow: checked on the chunk's own bytes before Automerge
//! parses or applies anything, on the hub (every push, every change from
//! above) and on the tablet (every pull) alike.
//!
//! Why by hand: Automerge inflates a compressed change chunk to its end with
//! no bound (a push of a few MiB can inflate to gigabytes), and its
//! run-length columns let a change of a hundred bytes claim billions of
//! operations, which it then walks one by one and applies, each taking
//! memory. The body a chunk inflates to is bounded by [`MAX_CHANGE_BYTES`]
//! while inflating; the operations it claims are counted in its action
//! column (the column Automerge's operation reader stops on) and bounded by
//! [`MAX_CHANGE_OPS`]; a record's whole size, what is stored plus what
//! arrives, by [`MAX_RECORD_BYTES`] and [`MAX_RECORD_OPS`].
//!
//! A whole document sent in place of its changes (a snapshot, on a first
//! sync) gets the same treatment in [`read_document`]: its bytes are the
//! record's whole size, its columns may not be compressed, its operations
//! and changes are counted in their columns, and Automerge loads it and
//! writes it back byte for byte behind `catch_unwind`.
//!
//! The chunk layout read here is Automerge's binary format, version 1
//! (<https://automerge.org/automerge-binary-format-spec/>): magic, checksum,
//! chunk type, LEB128 length, then the change's header fields and its column
//! metadata.

use std::collections::{BTreeSet, HashMap};
use std::io::{Cursor, Read};

use automerge::{ActorId, AutoCommit, Change, ChangeHash, ReadDoc};

use super::wire::MAX_BATCH_BYTES;

/// What one change may inflate to. No record of ours comes near it (a
/// 2,000-character note, a walked boundary of a few thousand points); it
/// matches what one push batch may carry.
pub const MAX_CHANGE_BYTES: usize = MAX_BATCH_BYTES;
/// Operations in one change: a record's form writes a few dozen fields.
pub const MAX_CHANGE_OPS: u64 = 50_000;
/// A record's whole size: its stored document plus the changes arriving.
pub const MAX_RECORD_BYTES: usize = 4 * MAX_CHANGE_BYTES;
/// Operations in one record, over its whole history. Automerge keeps every
/// one in memory (a few hundred bytes each) whenever the record is opened.
pub const MAX_RECORD_OPS: u64 = 250_000;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_DOCUMENT: u8 = 0;
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED_CHANGE: u8 = 2;
/// Column id 4 (action), type 2 (integer, run-length encoded), not deflated:
/// one row per operation, in a change and in a document alike.
const ACTION_COLUMN: u64 = (4 << 4) | 2;
/// A document's change column 0 (actor), type 1 (actor index, run-length
/// encoded): one row per change the document holds.
const CHANGE_ACTOR_COLUMN: u64 = 1;
const DEFLATE_BIT: u64 = 1 << 3;
const HASH_BYTES: u64 = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("not a readable change: {0}")]
    Unreadable(String),
    #[error("a change inflates past the limit of {limit} bytes")]
    ChangeTooLarge { limit: usize },
    #[error("a change holds more operations than the limit of {limit}")]
    ChangeTooManyOps { limit: u64 },
    #[error("the record would grow past the limit of {limit} bytes")]
    RecordTooLarge { limit: usize },
    #[error("the record would hold more operations than the limit of {limit}")]
    RecordTooManyOps { limit: u64 },
}

/// A change that passed the limits, with what it weighs.
pub struct CheckedChange {
    pub change: Change,
    /// Bytes of its uncompressed body.
    pub size: usize,
    /// Operations it holds.
    pub ops: u64,
}

/// Reads one change chunk, refusing it before Automerge sees it if it would
/// inflate past [`MAX_CHANGE_BYTES`] or hold more than [`MAX_CHANGE_OPS`].
pub fn read_change(bytes: &[u8]) -> Result<CheckedChange, LimitError> {
    let (chunk_type, data) = split_chunk(bytes)?;
    let inflated;
    let body = match chunk_type {
        CHUNK_CHANGE => data,
        CHUNK_COMPRESSED_CHANGE => {
            inflated = inflate(data)?;
            &inflated[..]
        }
        other => return Err(unreadable(format!("chunk type {other} is not a change"))),
    };
    if body.len() > MAX_CHANGE_BYTES {
        return Err(LimitError::ChangeTooLarge {
            limit: MAX_CHANGE_BYTES,
        });
    }
    let ops = count_ops(body)?;
    let change = Change::from_bytes(bytes.to_vec()).map_err(|e| unreadable(e.to_string()))?;
    // Automerge 0.12 reads a change without checking its checksum (the
    // first bytes of its hash), but a document it saves keeps a change
    // still waiting for its dependencies as sent, and loading that
    // document checks every chunk: a change with a wrong checksum,
    // applied and saved, left a record that no longer loads (found by
    // `tests/fuzz.rs`).
    if bytes[4..8] != change.hash().0[..4] {
        return Err(unreadable("its checksum is wrong"));
    }
    canonical(&change)?;
    Ok(CheckedChange {
        change,
        size: body.len(),
        ops,
    })
}

/// Refuses a change that Automerge would not have written byte for byte.
///
/// Why: Automerge 0.12 parses some malformed changes (an unknown column in
/// place of the action column, an actor list it cannot map) and then
/// panics applying them, or accepts them and panics later on the document
/// they were merged into (listing its history, saving it): found by
/// `tests/fuzz.rs`. A change decoded and encoded again by Automerge
/// itself keeps its hash only if it was written as Automerge writes, which
/// every change our apps make is. Decoding runs behind `catch_unwind`, so
/// a change that makes it panic is refused too.
fn canonical(change: &Change) -> Result<(), LimitError> {
    let again = std::panic::catch_unwind(|| Change::from(change.decode()).hash())
        .map_err(|_| unreadable("Automerge cannot decode it"))?;
    if again == change.hash() {
        Ok(())
    } else {
        Err(unreadable("not encoded as Automerge encodes a change"))
    }
}

/// Applies changes from another machine to `doc`. Automerge 0.12 panics on
/// some changes it parsed and re-encodes unchanged (an actor's second
/// change when the document never saw its first: `tests/fuzz.rs`); the
/// panic is caught and becomes an error, and the caller drops `doc`, which
/// may be half changed.
///
/// It also applies, without a word, changes that leave a document it
/// panics on later, when it lists the document's changes (a push, the
/// hub's feed, an edit's changes) or loads it: those are refused before
/// they are applied ([`fresh_op_ids`]), and after applying, Automerge must
/// list back the changes it recorded ([`lists_back`]).
pub fn apply_untrusted(doc: &mut AutoCommit, changes: Vec<Change>) -> Result<(), LimitError> {
    fresh_op_ids(doc, &changes)?;
    let before = doc.get_heads();
    let applied =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.apply_changes(changes)));
    match applied {
        Ok(Ok(())) => lists_back(doc, &before),
        Ok(Err(e)) => Err(unreadable(e.to_string())),
        Err(_) => Err(unreadable("Automerge failed applying it")),
    }
}

/// Refuses a change whose operations take ids its author's changes
/// before or after it use.
///
/// Why: an operation's id is its author (actor) and a counter, and each
/// change of an actor numbers its operations after those of the actor's
/// change before it. Automerge 0.12 applies a change that does not
/// (its start counter within the range of the actor's earlier change) and
/// saves the document; then two operations share an id, and listing the
/// document's changes panics (`op_set2/change/collector.rs`, assertion
/// `self.data[index].is_none()`), as loading it does, or loading refuses
/// it for good ("max_op is lower than start_op"). Found by the hub's
/// `tests/fuzz.rs`: a change with its start counter mangled, stored, then
/// the record pushed to again. The ranges come from the document's change
/// metadata and the changes themselves: nothing Automerge has to rebuild.
fn fresh_op_ids(doc: &mut AutoCommit, changes: &[Change]) -> Result<(), LimitError> {
    if changes.is_empty() {
        return Ok(());
    }
    // Each change's first and last counter, by actor and sequence number.
    let mut ranges: HashMap<(ActorId, u64), (u64, u64)> = doc
        .get_changes_meta(&[])
        .into_iter()
        .map(|m| ((m.actor.into_owned(), m.seq), (m.start_op, m.max_op)))
        .collect();
    for c in changes {
        ranges
            .entry((c.actor_id().clone(), c.seq()))
            .or_insert((c.start_op().get(), c.max_op()));
    }
    for c in changes {
        let actor = c.actor_id();
        let (start, max) = (c.start_op().get(), c.max_op());
        let previous = c
            .seq()
            .checked_sub(1)
            .and_then(|seq| ranges.get(&(actor.clone(), seq)));
        let next = ranges.get(&(actor.clone(), c.seq().saturating_add(1)));
        if previous.is_some_and(|&(_, last)| start <= last)
            || next.is_some_and(|&(first, _)| first <= max)
        {
            return Err(unreadable(
                "its operations take ids its author's other changes use",
            ));
        }
    }
    Ok(())
}

/// Lists the changes applied since `before` back from `doc`, behind
/// `catch_unwind`, and refuses them unless Automerge rebuilds each one it
/// recorded, hash for hash.
///
/// Why: Automerge keeps a document's operations, not its changes, and
/// rebuilds the changes whenever they are listed; a change it applied but
/// cannot rebuild (two operations in one slot, as [`fresh_op_ids`]
/// refuses, or another such bug of the same code) makes every later
/// listing panic: a tablet's push, the hub's feed and edits of the
/// record. Listed here, such a change is refused while the caller can
/// still drop the document.
fn lists_back(doc: &mut AutoCommit, before: &[ChangeHash]) -> Result<(), LimitError> {
    let listed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        doc.get_changes(before)
            .iter()
            .map(Change::hash)
            .collect::<BTreeSet<_>>()
    }))
    .map_err(|_| unreadable("Automerge cannot list the record's changes with it"))?;
    let recorded: BTreeSet<ChangeHash> = doc
        .get_changes_meta(before)
        .iter()
        .map(|m| m.hash)
        .collect();
    if listed == recorded {
        Ok(())
    } else {
        Err(unreadable(
            "Automerge lists the record's changes otherwise with it",
        ))
    }
}

/// A snapshot that passed the limits: the document loaded, with what it
/// weighs.
pub struct CheckedDocument {
    pub doc: AutoCommit,
    /// Its bytes, as sent (the record's whole size: never compressed).
    pub size: usize,
    /// Operations it holds.
    pub ops: u64,
}

/// Reads a whole document sent in place of its changes (a snapshot),
/// refusing it before Automerge sees it if it weighs more than a record may
/// ([`MAX_RECORD_BYTES`], [`MAX_RECORD_OPS`], and as many changes as
/// operations), has compressed columns (which would inflate unbounded), or
/// is not one chunk of a document. Then Automerge loads it and writes it
/// back, behind `catch_unwind`: a document not written byte for byte as
/// Automerge writes one is refused, as [`read_change`] refuses a change
/// (the hub sends what it stored, which Automerge wrote).
pub fn read_document(bytes: &[u8]) -> Result<CheckedDocument, LimitError> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(LimitError::RecordTooLarge {
            limit: MAX_RECORD_BYTES,
        });
    }
    let (chunk_type, data) = split_chunk(bytes)?;
    if chunk_type != CHUNK_DOCUMENT {
        return Err(unreadable(format!(
            "chunk type {chunk_type} is not a document"
        )));
    }
    let ops = count_document(data)?;
    let loaded = std::panic::catch_unwind(|| AutoCommit::load(bytes))
        .map_err(|_| unreadable("Automerge cannot load it"))?;
    let mut doc = loaded.map_err(|e| unreadable(e.to_string()))?;
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.save_nocompress()))
        .map_err(|_| unreadable("Automerge cannot save it again"))?;
    if again != bytes {
        return Err(unreadable("not encoded as Automerge encodes a document"));
    }
    Ok(CheckedDocument {
        doc,
        size: bytes.len(),
        ops,
    })
}

/// The changes a checked snapshot holds, each read as [`read_change`]
/// reads one from the wire: to merge a snapshot into a document the device
/// already holds through the path every pulled change takes.
pub fn changes_of(snapshot: &mut CheckedDocument) -> Result<Vec<CheckedChange>, LimitError> {
    let doc = &mut snapshot.doc;
    let chunks = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        doc.get_changes(&[])
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect::<Vec<_>>()
    }))
    .map_err(|_| unreadable("Automerge cannot list its changes"))?;
    chunks.iter().map(|c| read_change(c)).collect()
}

/// Skips a document's actors and heads, reads its column metadata, and
/// counts the operations (the action column) and changes (the change actor
/// column) its runs claim, each bounded by [`MAX_RECORD_OPS`]. The
/// operations, which are what it weighs in memory.
fn count_document(data: &[u8]) -> Result<u64, LimitError> {
    let mut r = Cursor::new(data);
    let actors = uleb(&mut r)?;
    for _ in 0..actors {
        skip_prefixed(&mut r)?; // each read consumes bytes, so this ends
    }
    let heads = uleb(&mut r)?;
    skip(&mut r, heads.saturating_mul(HASH_BYTES))?;
    let change_columns = columns(&mut r)?;
    let op_columns = columns(&mut r)?;
    let start = position(&r) as u64;
    let changes_len: u64 = change_columns.iter().map(|(_, len)| len).sum();
    let ops_len: u64 = op_columns.iter().map(|(_, len)| len).sum();
    if start.saturating_add(changes_len).saturating_add(ops_len) > data.len() as u64 {
        return Err(unreadable("columns run past the document"));
    }
    let too_many = LimitError::RecordTooManyOps {
        limit: MAX_RECORD_OPS,
    };
    let rows = |cols: &[(u64, u64)], from: u64, wanted: u64| -> Result<u64, LimitError> {
        let mut offset = from;
        for (spec, len) in cols {
            if *spec == wanted {
                let column = &data[offset as usize..(offset + len) as usize];
                return run_rows(column, MAX_RECORD_OPS, too_many.clone());
            }
            offset += len;
        }
        Ok(0)
    };
    rows(&change_columns, start, CHANGE_ACTOR_COLUMN)?;
    rows(&op_columns, start + changes_len, ACTION_COLUMN)
}

/// A run of column metadata: their count, then each one's spec and length.
/// A compressed column is refused: it would inflate with no bound.
fn columns(r: &mut Cursor<&[u8]>) -> Result<Vec<(u64, u64)>, LimitError> {
    let count = uleb(r)?;
    let mut out = Vec::new();
    for _ in 0..count {
        let spec = uleb(r)?;
        let len = uleb(r)?;
        if spec & DEFLATE_BIT != 0 {
            return Err(unreadable("a snapshot's columns are never compressed"));
        }
        out.push((spec, len));
    }
    Ok(out)
}

/// What a record weighs so far, grown change by change as they arrive.
#[derive(Debug, Clone, Copy)]
pub struct RecordSize {
    bytes: usize,
    ops: u64,
}

impl RecordSize {
    /// A record as stored: `stored` is its saved document (None for a new
    /// record), `doc` that document loaded.
    pub fn of(stored: Option<&[u8]>, doc: &AutoCommit) -> Self {
        Self {
            bytes: stored.map_or(0, <[u8]>::len),
            ops: doc.stats().num_ops,
        }
    }

    /// Counts `change` in, refusing it if the record would pass a limit.
    pub fn add(&mut self, change: &CheckedChange) -> Result<(), LimitError> {
        let bytes = self.bytes.saturating_add(change.size);
        if bytes > MAX_RECORD_BYTES {
            return Err(LimitError::RecordTooLarge {
                limit: MAX_RECORD_BYTES,
            });
        }
        let ops = self.ops.saturating_add(change.ops);
        if ops > MAX_RECORD_OPS {
            return Err(LimitError::RecordTooManyOps {
                limit: MAX_RECORD_OPS,
            });
        }
        self.bytes = bytes;
        self.ops = ops;
        Ok(())
    }
}

fn unreadable(why: impl Into<String>) -> LimitError {
    LimitError::Unreadable(why.into())
}

/// The chunk's type and its data, which must be all that follows the header.
fn split_chunk(bytes: &[u8]) -> Result<(u8, &[u8]), LimitError> {
    let mut r = Cursor::new(bytes);
    let mut head = [0u8; 9];
    r.read_exact(&mut head)
        .map_err(|_| unreadable("shorter than a chunk header"))?;
    if head[..4] != MAGIC {
        return Err(unreadable("no Automerge magic bytes"));
    }
    let len = uleb(&mut r)?;
    let rest = &bytes[position(&r)..];
    if u64::try_from(rest.len()).ok() != Some(len) {
        return Err(unreadable("the chunk's length does not match its bytes"));
    }
    Ok((head[8], rest))
}

/// Inflates a compressed change's body, stopping one byte past the limit.
fn inflate(data: &[u8]) -> Result<Vec<u8>, LimitError> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(MAX_CHANGE_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| unreadable(format!("compressed change: {e}")))?;
    if out.len() > MAX_CHANGE_BYTES {
        return Err(LimitError::ChangeTooLarge {
            limit: MAX_CHANGE_BYTES,
        });
    }
    Ok(out)
}

/// Skips a change's header fields, finds its action column and counts the
/// rows its runs claim, stopping as soon as they pass [`MAX_CHANGE_OPS`].
fn count_ops(body: &[u8]) -> Result<u64, LimitError> {
    let mut r = Cursor::new(body);
    let deps = uleb(&mut r)?;
    skip(&mut r, deps.saturating_mul(HASH_BYTES))?; // dependencies' hashes
    skip_prefixed(&mut r)?; // actor
    uleb(&mut r)?; // seq
    uleb(&mut r)?; // start op
    leb128::read::signed(&mut r).map_err(|_| unreadable("bad timestamp"))?;
    skip_prefixed(&mut r)?; // message
    let others = uleb(&mut r)?;
    for _ in 0..others {
        skip_prefixed(&mut r)?; // each read consumes bytes, so this ends
    }
    let columns = uleb(&mut r)?;
    let mut offset = 0u64;
    let mut action = None;
    for _ in 0..columns {
        let spec = uleb(&mut r)?;
        let len = uleb(&mut r)?;
        if spec & DEFLATE_BIT != 0 {
            return Err(unreadable("a change's columns are never compressed"));
        }
        if spec == ACTION_COLUMN {
            action = Some((offset, len));
        }
        offset = offset.saturating_add(len);
    }
    let data = &body[position(&r)..];
    if offset > data.len() as u64 {
        return Err(unreadable("columns run past the change"));
    }
    match action {
        // No action column: Automerge reads no operation.
        None => Ok(0),
        Some((start, len)) => run_rows(
            &data[start as usize..(start + len) as usize],
            MAX_CHANGE_OPS,
            LimitError::ChangeTooManyOps {
                limit: MAX_CHANGE_OPS,
            },
        ),
    }
}

/// Rows of a run-length encoded column of unsigned integers: a positive
/// count repeats one value, a negative one precedes that many literal
/// values, zero precedes a count of nulls. Stops with `over` as soon as
/// they pass `limit`.
fn run_rows(column: &[u8], limit: u64, over: LimitError) -> Result<u64, LimitError> {
    let mut r = Cursor::new(column);
    let mut rows = 0u64;
    while position(&r) < column.len() {
        let count = leb128::read::signed(&mut r).map_err(|_| unreadable("bad run length"))?;
        let run = match count {
            0 => uleb(&mut r)?,
            n if n > 0 => {
                uleb(&mut r)?;
                n.unsigned_abs()
            }
            n => n.unsigned_abs(),
        };
        rows = rows.saturating_add(run);
        if rows > limit {
            return Err(over);
        }
        if count < 0 {
            for _ in 0..run {
                uleb(&mut r)?;
            }
        }
    }
    Ok(rows)
}

fn uleb(r: &mut Cursor<&[u8]>) -> Result<u64, LimitError> {
    leb128::read::unsigned(r).map_err(|_| unreadable("truncated or oversized number"))
}

fn skip(r: &mut Cursor<&[u8]>, n: u64) -> Result<(), LimitError> {
    let left = r.get_ref().len() as u64 - r.position();
    if n > left {
        return Err(unreadable("a field runs past the change"));
    }
    r.set_position(r.position() + n);
    Ok(())
}

fn skip_prefixed(r: &mut Cursor<&[u8]>) -> Result<(), LimitError> {
    let n = uleb(r)?;
    skip(r, n)
}

fn position(r: &Cursor<&[u8]>) -> usize {
    // The cursor only moves by reads and checked skips within its slice.
    r.position() as usize
}

/// Change chunks crafted by hand, for the tests of both sides.
#[cfg(any(test, feature = "testing"))]
pub mod craft {
    use super::{ACTION_COLUMN, CHUNK_CHANGE, CHUNK_COMPRESSED_CHANGE, MAGIC};
    use automerge::{AutoCommit, Change};
    use sha2::{Digest, Sha256};
    use std::io::Write;

    /// A change chunk built by hand: `ops` null values put at the root key
    /// "x", every column one run, so it stays a few dozen bytes whatever
    /// `ops` is. `compress` wraps it in a DEFLATE chunk whose body is padded
    /// with `padding` zero bytes of extra data (which inflates freely).
    pub fn crafted_change(ops: u64, compress: bool, padding: usize) -> Vec<u8> {
        let mut cols: Vec<(u64, Vec<u8>)> = Vec::new();
        let run = |value: &dyn Fn(&mut Vec<u8>)| {
            let mut c = Vec::new();
            leb128::write::signed(&mut c, ops as i64).unwrap();
            value(&mut c);
            c
        };
        // key string (1 << 4 | 5): "x"; insert boolean (3 << 4 | 4): `ops`
        // falses; action (4 << 4 | 2): 1, set; value metadata (5 << 4 | 6):
        // 0, null; pred group (7 << 4 | 0): 0 predecessors.
        cols.push((21, run(&|c| c.extend([1, b'x']))));
        let mut falses = Vec::new();
        leb128::write::unsigned(&mut falses, ops).unwrap();
        cols.push((52, falses));
        cols.push((ACTION_COLUMN, run(&|c| c.push(1))));
        cols.push((86, run(&|c| c.push(0))));
        cols.push((112, run(&|c| c.push(0))));
        let mut body = vec![0]; // no dependencies
        body.extend([16]);
        body.extend([7u8; 16]); // actor
        body.extend([1, 1, 0, 0, 0]); // seq, start op, time, message, other actors
        body.push(cols.len() as u8);
        for (spec, data) in &cols {
            leb128::write::unsigned(&mut body, *spec).unwrap();
            leb128::write::unsigned(&mut body, data.len() as u64).unwrap();
        }
        for (_, data) in &cols {
            body.extend(data);
        }
        // The padding is extra bytes after the columns, streamed through
        // the hash and the encoder so that crafting a gigabyte bomb does
        // not itself take a gigabyte.
        let mut hasher = Sha256::new();
        hasher.update([CHUNK_CHANGE]);
        let mut len = Vec::new();
        leb128::write::unsigned(&mut len, (body.len() + padding) as u64).unwrap();
        hasher.update(&len);
        let (kind, data) = if compress {
            let z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            let z = stream(z, &mut hasher, &body, padding);
            (CHUNK_COMPRESSED_CHANGE, z.finish().unwrap())
        } else {
            (
                CHUNK_CHANGE,
                stream(Vec::new(), &mut hasher, &body, padding),
            )
        };
        let checksum = hasher.finalize();
        let mut chunk = MAGIC.to_vec();
        chunk.extend(&checksum[..4]);
        chunk.push(kind);
        leb128::write::unsigned(&mut chunk, data.len() as u64).unwrap();
        chunk.extend(data);
        chunk
    }

    /// A change of `doc`'s actor after its last one, writing the root key
    /// "x", whose one operation takes the id of the last operation of that
    /// last change: as a mangled start counter makes it (see
    /// `fresh_op_ids`). Encoded as Automerge encodes, so `read_change`
    /// reads it.
    pub fn reusing_op_ids(doc: &AutoCommit) -> Vec<u8> {
        use automerge::transaction::Transactable;
        let mut next = doc.clone();
        next.put(automerge::ROOT, "x", 1).unwrap();
        next.commit();
        let mut change = next.get_last_local_change().unwrap().decode();
        change.start_op = std::num::NonZeroU64::new(change.start_op.get() - 1).unwrap();
        change.hash = None;
        Change::from(change).bytes().to_vec()
    }

    /// Writes `body` then `padding` zero bytes to `out` and the hash.
    fn stream<W: Write>(mut out: W, hasher: &mut Sha256, body: &[u8], padding: usize) -> W {
        let mut put = |bytes: &[u8]| {
            hasher.update(bytes);
            out.write_all(bytes).unwrap();
        };
        put(body);
        let zeros = [0u8; 1 << 16];
        let mut left = padding;
        while left > 0 {
            let n = left.min(zeros.len());
            put(&zeros[..n]);
            left -= n;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::craft::crafted_change;
    use super::*;
    use automerge::{transaction::Transactable, ScalarValue, ROOT};

    fn real_change(text: &str) -> Vec<u8> {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "note", text).unwrap();
        doc.put(ROOT, "n", ScalarValue::Null).unwrap();
        doc.get_last_local_change().unwrap().bytes().to_vec()
    }

    #[test]
    fn a_crafted_change_reads_as_automerge_reads_it() {
        // The hand-made chunk is a change Automerge accepts, with as many
        // operations as its runs claim: the counting agrees with Automerge.
        let checked = read_change(&crafted_change(40, false, 0)).unwrap();
        assert_eq!(checked.ops, 40);
        assert_eq!(checked.change.len(), 40);
        let compressed = read_change(&crafted_change(40, true, 300)).unwrap();
        assert_eq!(compressed.ops, 40);
        let mut doc = AutoCommit::new();
        doc.apply_changes([checked.change]).unwrap();
        assert_eq!(doc.stats().num_ops, 40);
    }

    #[test]
    fn real_changes_pass_plain_and_compressed() {
        let short = read_change(&real_change("ngắn")).unwrap();
        assert_eq!(short.ops, 2);
        // Over 256 bytes Automerge deflates the chunk.
        let long_bytes = real_change(&"Ghi chú dài của cán bộ. ".repeat(100));
        assert_eq!(long_bytes[8], CHUNK_COMPRESSED_CHANGE);
        let long = read_change(&long_bytes).unwrap();
        assert_eq!(long.ops, 2);
        assert!(long.size > long_bytes.len());
    }

    #[test]
    fn a_change_claiming_too_many_operations_is_refused_unparsed() {
        let bomb = crafted_change(1 << 40, false, 0);
        assert!(bomb.len() < 100);
        assert_eq!(
            read_change(&bomb).err(),
            Some(LimitError::ChangeTooManyOps {
                limit: MAX_CHANGE_OPS
            })
        );
        assert!(read_change(&crafted_change(MAX_CHANGE_OPS, false, 0)).is_ok());
    }

    #[test]
    fn a_change_inflating_past_the_limit_is_refused_while_inflating() {
        let bomb = crafted_change(1, true, MAX_CHANGE_BYTES);
        assert!(bomb.len() < MAX_CHANGE_BYTES / 500);
        assert_eq!(
            read_change(&bomb).err(),
            Some(LimitError::ChangeTooLarge {
                limit: MAX_CHANGE_BYTES
            })
        );
    }

    #[test]
    fn truncated_and_foreign_chunks_are_unreadable() {
        let good = real_change("x");
        for cut in [0, 3, 9, good.len() - 1] {
            assert!(matches!(
                read_change(&good[..cut]),
                Err(LimitError::Unreadable(_))
            ));
        }
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "a", 1).unwrap();
        let document = doc.save();
        assert!(matches!(
            read_change(&document),
            Err(LimitError::Unreadable(_))
        ));
    }

    /// Found by tests/fuzz.rs: a change whose action column's spec was
    /// changed into an unknown column's. Automerge parses and applies it,
    /// then panics listing the document's changes.
    #[test]
    fn a_change_not_encoded_as_automerge_encodes_is_refused() {
        let mut bytes = crafted_change(3, false, 0);
        let action = bytes
            .windows(2)
            .position(|w| w == [ACTION_COLUMN as u8, 2])
            .unwrap();
        bytes[action] = (4 << 4) as u8; // id 4, type 0: a group column
        assert!(
            Change::from_bytes(bytes.clone()).is_ok(),
            "Automerge reads it"
        );
        assert!(matches!(
            read_change(&bytes),
            Err(LimitError::Unreadable(_))
        ));
    }

    /// Found by tests/fuzz.rs: an actor's second change (its sequence
    /// number 2) whose first the document has never seen, here a real
    /// second change with one byte of its actor id changed. It is
    /// encoded as Automerge encodes; applying it panics inside Automerge.
    #[test]
    fn a_change_that_makes_automerge_panic_is_an_error() {
        let mut ours = AutoCommit::new().with_actor(automerge::ActorId::from(vec![3u8; 16]));
        ours.put(ROOT, "a", 1).unwrap();
        ours.commit();
        let base = ours.clone();
        ours.put(ROOT, "a", 2).unwrap();
        ours.commit();
        let mut second = ours.get_last_local_change().unwrap().decode();
        second.actor_id = automerge::ActorId::from(vec![4u8; 16]);
        let mut forged = Change::from(second);
        let change = read_change(&forged.bytes()).unwrap().change;
        let mut doc = base;
        assert!(apply_untrusted(&mut doc, vec![change]).is_err());
    }

    /// A record of four fields written in one change, and the change
    /// after it that takes the id of its last operation.
    fn reused_ids() -> (AutoCommit, Change) {
        let mut doc = AutoCommit::new().with_actor(automerge::ActorId::from(vec![5u8; 16]));
        for key in ["a", "b", "c", "d"] {
            doc.put(ROOT, key, 1).unwrap();
        }
        doc.commit();
        let change = read_change(&super::craft::reusing_op_ids(&doc))
            .expect("encoded as Automerge encodes")
            .change;
        (doc, change)
    }

    /// Found by the hub's tests/fuzz.rs (tests/fuzz/reused-op-ids.pushes):
    /// a change whose operations take ids its author used already.
    /// Automerge applies it and saves the document, then panics listing
    /// its changes; it is refused before it is applied.
    #[test]
    fn a_change_reusing_its_authors_operation_ids_is_refused() {
        let (doc, change) = reused_ids();
        let mut unchecked = doc.clone();
        unchecked.apply_changes([change.clone()]).unwrap();
        let listed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            unchecked.get_changes(&[]).len()
        }));
        assert!(listed.is_err(), "Automerge panics listing its changes");
        let mut checked = doc.clone();
        assert!(matches!(
            apply_untrusted(&mut checked, vec![change]),
            Err(LimitError::Unreadable(_))
        ));
    }

    /// Found by tests/fuzz.rs: a change whose checksum was changed.
    /// Automerge reads and applies it; one waiting for its dependencies is
    /// kept as sent in the saved document, which then does not load.
    #[test]
    fn a_change_with_a_wrong_checksum_is_refused() {
        let mut bytes = real_change("x");
        bytes[4] ^= 1;
        let change = Change::from_bytes(bytes.clone()).expect("Automerge reads it");
        let mut doc = AutoCommit::new();
        // Waiting for a change the document does not hold.
        let mut dependent = change.decode();
        dependent.deps = vec![ChangeHash([7; 32])];
        dependent.hash = None;
        let mut waiting = Change::from(dependent).bytes().to_vec();
        waiting[4] ^= 1;
        let waiting = Change::from_bytes(waiting).expect("Automerge reads it");
        doc.apply_changes([waiting]).unwrap();
        assert!(AutoCommit::load(&doc.save_nocompress()).is_err());
        assert!(matches!(
            read_change(&bytes),
            Err(LimitError::Unreadable(_))
        ));
    }

    /// The check after applying, on its own: a document Automerge cannot
    /// list the new changes of is refused, whatever let them in.
    #[test]
    fn changes_automerge_cannot_list_back_are_refused() {
        let (mut doc, change) = reused_ids();
        let before = doc.get_heads();
        doc.apply_changes([change]).unwrap();
        assert!(matches!(
            lists_back(&mut doc, &before),
            Err(LimitError::Unreadable(_))
        ));
    }

    /// Such a document saved (by a hub or tablet from before the check)
    /// makes Automerge panic loading it: it reads as a document that does
    /// not load.
    #[test]
    fn a_document_saved_with_reused_operation_ids_does_not_load() {
        let (mut doc, change) = reused_ids();
        doc.apply_changes([change]).unwrap();
        let saved = doc.save_nocompress();
        assert!(
            std::panic::catch_unwind(|| AutoCommit::load(&saved)).is_err(),
            "Automerge panics loading it"
        );
        assert!(crate::record_doc::load(&saved).is_err());
    }

    fn edited_doc() -> AutoCommit {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "note", "Ghi chú của cán bộ. ".repeat(30))
            .unwrap();
        doc.commit();
        doc.put(ROOT, "n", 3).unwrap();
        doc.commit();
        doc
    }

    #[test]
    fn a_snapshot_reads_as_its_document_and_gives_back_its_changes() {
        let mut doc = edited_doc();
        let bytes = doc.save_nocompress();
        let mut checked = read_document(&bytes).unwrap();
        assert_eq!(checked.ops, doc.stats().num_ops);
        assert_eq!(checked.size, bytes.len());
        assert_eq!(checked.doc.get_heads(), doc.get_heads());
        let changes = changes_of(&mut checked).unwrap();
        let hashes: Vec<_> = changes.iter().map(|c| c.change.hash()).collect();
        let expected: Vec<_> = doc.get_changes(&[]).iter().map(|c| c.hash()).collect();
        assert_eq!(hashes, expected);
    }

    #[test]
    fn a_snapshot_compressed_cut_foreign_or_too_large_is_refused() {
        let mut doc = edited_doc();
        let compressed = doc.save();
        assert_ne!(compressed, doc.save_nocompress(), "a column is deflated");
        let bytes = doc.save_nocompress();
        for bad in [
            compressed,
            bytes[..bytes.len() - 1].to_vec(),
            real_change("x"),
            b"not a document".to_vec(),
        ] {
            assert!(matches!(
                read_document(&bad).err(),
                Some(LimitError::Unreadable(_))
            ));
        }
        assert_eq!(
            read_document(&vec![0; MAX_RECORD_BYTES + 1]).err(),
            Some(LimitError::RecordTooLarge {
                limit: MAX_RECORD_BYTES
            })
        );
    }

    /// A document written with something after its last column (here one
    /// byte, with the chunk's length and checksum made to match): Automerge
    /// may load it, but it is not what Automerge writes, so it is refused.
    #[test]
    fn a_snapshot_not_encoded_as_automerge_encodes_is_refused() {
        let bytes = edited_doc().save_nocompress();
        let (_, data) = split_chunk(&bytes).unwrap();
        let mut body = data.to_vec();
        body.push(0);
        let mut len = Vec::new();
        leb128::write::unsigned(&mut len, body.len() as u64).unwrap();
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update([CHUNK_DOCUMENT]);
        hasher.update(&len);
        hasher.update(&body);
        let mut forged = MAGIC.to_vec();
        forged.extend(&hasher.finalize()[..4]);
        forged.push(CHUNK_DOCUMENT);
        forged.extend(len);
        forged.extend(body);
        assert!(matches!(
            read_document(&forged).err(),
            Some(LimitError::Unreadable(_))
        ));
    }

    #[test]
    fn a_snapshot_with_too_many_operations_is_refused_before_it_loads() {
        let mut doc = AutoCommit::new();
        let list = doc
            .put_object(ROOT, "points", automerge::ObjType::List)
            .unwrap();
        doc.splice(&list, 0, 0, (0..MAX_RECORD_OPS).map(ScalarValue::Uint))
            .unwrap();
        doc.commit();
        assert_eq!(
            read_document(&doc.save_nocompress()).err(),
            Some(LimitError::RecordTooManyOps {
                limit: MAX_RECORD_OPS
            })
        );
    }

    #[test]
    fn a_record_is_bounded_over_its_changes() {
        let doc = AutoCommit::new();
        let mut size = RecordSize::of(None, &doc);
        let change = read_change(&crafted_change(MAX_CHANGE_OPS, false, 0)).unwrap();
        for _ in 0..MAX_RECORD_OPS / MAX_CHANGE_OPS {
            size.add(&change).unwrap();
        }
        assert_eq!(
            size.add(&change).err(),
            Some(LimitError::RecordTooManyOps {
                limit: MAX_RECORD_OPS
            })
        );
        let mut near_full = RecordSize::of(Some(&vec![0; MAX_RECORD_BYTES - 10]), &doc);
        assert_eq!(
            near_full
                .add(&read_change(&real_change("0123456789")).unwrap())
                .err(),
            Some(LimitError::RecordTooLarge {
                limit: MAX_RECORD_BYTES
            })
        );
    }
}
