//! Attachments at the hub (issue 21, hub migration 0016 / hub-pg 0013):
//! every statement written once, for both databases ([`WriteTx::exec`],
//! [`WriteTx::select`], [`Backend::select`]); what they decide is
//! `crate::rules::attachments`'.
//!
//! A file's bytes are kept as the chunks they arrived in
//! (`attachment_chunks`, by position); it exists for the tablets only once
//! its row in `attachments` is written, in the transaction that checked
//! the whole (written whole, then referenced).

use super::backend::{Backend, Cell, Param, WriteTx};
use crate::error::HubError;
use crate::rules::attachments::{self as rules, ChunkOutcome};
use crate::rules::audit::{Actor, Entry};
use crate::rules::devices::Scope;
use pcmt_core::sync::attach::{HubHolds, UploadAck};
use pcmt_model::ContentHash;

/// Notes which communes' records refer to which hashes, as a push stores
/// them: (hash in hex, commune).
pub(crate) fn index(tx: &mut dyn WriteTx, refs: &[(String, String)]) -> Result<(), HubError> {
    for (hash, commune) in refs {
        tx.exec(
            "INSERT INTO attachment_refs (hash, commune) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[Param::Text(hash), Param::Text(commune)],
        )?;
    }
    Ok(())
}

const COMMUNES_SQL: &str = "SELECT commune FROM attachment_refs WHERE hash = $1";
const SIZE_SQL: &str = "SELECT size FROM attachments WHERE hash = $1";
// Sums cast back to BIGINT: PostgreSQL's sum of BIGINTs is NUMERIC.
const HELD_SQL: &str =
    "SELECT CAST(coalesce(sum(length(bytes)), 0) AS BIGINT) FROM attachment_chunks WHERE hash = $1";

fn texts(rows: Vec<Vec<Cell>>) -> Vec<String> {
    rows.into_iter()
        .filter_map(|r| r.into_iter().next()?.text().map(str::to_owned))
        .collect()
}

fn first_int(rows: &[Vec<Cell>]) -> Option<i64> {
    rows.first()?.first()?.int()
}

/// What the hub holds of each file, as the device of `scope` may know it.
pub(crate) fn holds<B: Backend>(
    backend: &B,
    scope: &Scope,
    hashes: &[ContentHash],
) -> Result<Vec<HubHolds>, HubError> {
    hashes
        .iter()
        .map(|hash| {
            let hex = hash.hex();
            let key = [Param::Text(&hex)];
            if !rules::in_scope(scope, &texts(backend.select(COMMUNES_SQL, &key)?)) {
                return Ok(HubHolds::Unknown);
            }
            if first_int(&backend.select(SIZE_SQL, &key)?).is_some() {
                return Ok(HubHolds::Whole);
            }
            let held = first_int(&backend.select(HELD_SQL, &key)?).unwrap_or(0);
            Ok(HubHolds::From(held.unsigned_abs()))
        })
        .collect()
}

/// One chunk of a file, from a device of `scope`, in one transaction.
pub(crate) fn put_chunk(
    tx: &mut dyn WriteTx,
    scope: &Scope,
    hash: ContentHash,
    size: u64,
    pos: u64,
    bytes: &[u8],
    now: i64,
) -> Result<ChunkOutcome, HubError> {
    let hex = hash.hex();
    let key = [Param::Text(&hex)];
    let communes = texts(tx.select(COMMUNES_SQL, &key)?);
    if !rules::in_scope(scope, &communes) {
        return Err(HubError::Forbidden(format!(
            "no record of this device's communes refers to attachment {hex}"
        )));
    }
    if first_int(&tx.select(SIZE_SQL, &key)?).is_some() {
        return Ok(ChunkOutcome::Ack(UploadAck::Whole));
    }
    if bytes.len() > rules::MAX_CHUNK_BYTES || bytes.is_empty() {
        return Err(HubError::Malformed(format!(
            "a chunk of {} bytes (1 to {} taken)",
            bytes.len(),
            rules::MAX_CHUNK_BYTES
        )));
    }
    let held = first_int(&tx.select(HELD_SQL, &key)?)
        .unwrap_or(0)
        .unsigned_abs();
    if pos != held {
        // A chunk sent again after a cut, or ahead of one lost: the
        // tablet goes on from what is held.
        return Ok(ChunkOutcome::Ack(UploadAck::Next(held)));
    }
    let device = scope.device.to_string();
    let size_i = i64::try_from(size).unwrap_or(i64::MAX);
    if pos == 0 {
        if let Err(refusal) = rules::first_chunk(size, bytes) {
            return Ok(ChunkOutcome::Refused(refusal));
        }
        let today = tx.select(
            "SELECT CAST(coalesce((SELECT sum(size) FROM attachments WHERE device = $1 AND stored_at > $2), 0)
                  + coalesce((SELECT sum(size) FROM attachment_uploads WHERE device = $1), 0) AS BIGINT)",
            &[Param::Text(&device), Param::Int(now - rules::DAY_SECS)],
        )?;
        let sent_today = first_int(&today).unwrap_or(0).unsigned_abs();
        if sent_today + size > rules::MAX_DEVICE_DAY_BYTES {
            return Ok(ChunkOutcome::Refused(rules::over_daily_limit()));
        }
        tx.exec(
            "INSERT INTO attachment_uploads (hash, device, size, started_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (hash) DO UPDATE SET device = excluded.device, size = excluded.size,
                 started_at = excluded.started_at",
            &[
                Param::Text(&hex),
                Param::Text(&device),
                Param::Int(size_i),
                Param::Int(now),
            ],
        )?;
    } else {
        // The size the upload began with holds to its end.
        let begun = tx.select("SELECT size FROM attachment_uploads WHERE hash = $1", &key)?;
        if first_int(&begun) != Some(size_i) {
            return Err(HubError::Malformed(format!(
                "attachment {hex} was begun with another size"
            )));
        }
    }
    let end = pos + bytes.len() as u64;
    if end > size {
        return Err(HubError::Malformed(format!(
            "a chunk past the end of attachment {hex}"
        )));
    }
    tx.exec(
        "INSERT INTO attachment_chunks (hash, pos, bytes) VALUES ($1, $2, $3)",
        &[
            Param::Text(&hex),
            Param::Int(i64::try_from(pos).unwrap_or(i64::MAX)),
            Param::Blob(bytes),
        ],
    )?;
    if end < size {
        return Ok(ChunkOutcome::Ack(UploadAck::Next(end)));
    }
    let whole: Vec<u8> = tx
        .select(
            "SELECT bytes FROM attachment_chunks WHERE hash = $1 ORDER BY pos",
            &key,
        )?
        .into_iter()
        .filter_map(|r| r.into_iter().next()?.into_blob())
        .flatten()
        .collect();
    tx.exec("DELETE FROM attachment_uploads WHERE hash = $1", &key)?;
    let kind = match rules::whole(hash, &whole) {
        Ok(kind) => kind,
        Err(refusal) => {
            tx.exec("DELETE FROM attachment_chunks WHERE hash = $1", &key)?;
            return Ok(ChunkOutcome::Refused(refusal));
        }
    };
    tx.exec(
        "INSERT INTO attachments (hash, kind, size, device, stored_at) VALUES ($1, $2, $3, $4, $5)",
        &[
            Param::Text(&hex),
            Param::Text(pcmt_model::Labelled::code(kind)),
            Param::Int(size_i),
            Param::Text(&device),
            Param::Int(now),
        ],
    )?;
    let officer = tx
        .select(
            "SELECT officer FROM devices WHERE id = $1",
            &[Param::Text(&device)],
        )?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next()?.text().map(str::to_owned));
    let actor = Actor::of_origin(scope.device, || Ok(officer))?;
    let mut concerned: Vec<String> = communes
        .into_iter()
        .filter(|c| scope.communes.contains(c))
        .collect();
    concerned.sort();
    tx.append_audit(&[Entry::attachment_uploaded(actor, &hex, size, concerned)])?;
    Ok(ChunkOutcome::Ack(UploadAck::Whole))
}

/// The chunk of a whole file holding `pos`, from there, with the file's
/// size; None when the device of `scope` may not have it or it is not
/// whole (one answer for both: a hash alone tells nothing).
pub(crate) fn chunk<B: Backend>(
    backend: &B,
    scope: &Scope,
    hash: ContentHash,
    pos: u64,
) -> Result<Option<(u64, Vec<u8>)>, HubError> {
    let hex = hash.hex();
    let key = [Param::Text(&hex)];
    if !rules::in_scope(scope, &texts(backend.select(COMMUNES_SQL, &key)?)) {
        return Ok(None);
    }
    let Some(size) = first_int(&backend.select(SIZE_SQL, &key)?) else {
        return Ok(None);
    };
    let size = size.unsigned_abs();
    if pos >= size {
        return Ok(Some((size, Vec::new())));
    }
    let rows = backend.select(
        "SELECT pos, bytes FROM attachment_chunks WHERE hash = $1 AND pos <= $2
         ORDER BY pos DESC LIMIT 1",
        &[
            Param::Text(&hex),
            Param::Int(i64::try_from(pos).unwrap_or(i64::MAX)),
        ],
    )?;
    let mut row = rows.into_iter().next().unwrap_or_default().into_iter();
    let (Some(Cell::Int(start)), Some(Cell::Blob(bytes))) = (row.next(), row.next()) else {
        return Err(HubError::Unsupported(format!(
            "attachment {hex} is stored without its bytes"
        )));
    };
    let from = usize::try_from(pos - start.unsigned_abs()).unwrap_or(usize::MAX);
    Ok(Some((size, bytes.get(from..).unwrap_or_default().to_vec())))
}
