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
use automerge::AutoCommit;
use pcmt_core::record_doc;
use pcmt_core::sync::attach::{HubHolds, UploadAck};
use pcmt_model::{AttachmentKind, AttachmentRef, ContentHash, Labelled, SurveyInput};
use uuid::Uuid;

/// One attachment of a stored document, as `attachment_refs` keeps it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RefRow {
    pub doc_id: String,
    pub commune: String,
    pub attachment: AttachmentRef,
    /// The site's place in a survey's list, for a photo of a site.
    pub site: Option<u32>,
}

/// The attachments `doc` (stored as `doc_id` under `commune`) refers to.
/// A survey's photo of a site is placed by the site's index, as the
/// projection's `site_rows` place it.
pub(crate) fn refs_of(doc_id: &str, commune: &str, doc: &AutoCommit) -> Vec<RefRow> {
    let refs = record_doc::attachments::attachments(doc).unwrap_or_default();
    if refs.is_empty() {
        return Vec::new();
    }
    let sites: Vec<Uuid> = record_doc::read_record::<SurveyInput>(doc)
        .map(|s| s.sites.iter().map(|site| site.id).collect())
        .unwrap_or_default();
    refs.into_iter()
        .map(|attachment| RefRow {
            doc_id: doc_id.to_string(),
            commune: commune.to_string(),
            site: attachment
                .site
                .and_then(|id| sites.iter().position(|s| *s == id))
                .and_then(|i| u32::try_from(i).ok()),
            attachment,
        })
        .collect()
}

/// `IN ($from, …)` with `n` placeholders, numbered from `from`: both
/// databases read it as written.
fn placeholders(from: usize, n: usize) -> String {
    let list: Vec<String> = (from..from + n).map(|i| format!("${i}")).collect();
    format!("({})", list.join(", "))
}

/// Documents whose refs are rewritten in one statement.
const DOCS_AT_ONCE: usize = 500;

/// Clears what `attachment_refs` notes of the documents `ids`, about to
/// be stored again ([`WriteTx::store_push`] does, on SQLite).
pub(crate) fn clear_refs(tx: &mut dyn WriteTx, ids: &[&str]) -> Result<(), HubError> {
    for some in ids.chunks(DOCS_AT_ONCE) {
        let params: Vec<Param> = some.iter().map(|id| Param::Text(id)).collect();
        tx.exec(
            &format!(
                "DELETE FROM attachment_refs WHERE doc_id IN {}",
                placeholders(1, some.len())
            ),
            &params,
        )?;
    }
    Ok(())
}

/// Notes `refs` in `attachment_refs`, in the push's transaction, after
/// `store_push` cleared what the documents noted before: a deleted record
/// keeps its rows (a restore brings it back), and only its documents'
/// flag decides what is served.
pub(crate) fn index(tx: &mut dyn WriteTx, refs: &[RefRow]) -> Result<(), HubError> {
    for r in refs {
        let a = &r.attachment;
        let (hash, thumb) = (
            a.hash.hex(),
            a.thumbnail.map(|t| t.hex()).unwrap_or_default(),
        );
        tx.exec(
            "INSERT INTO attachment_refs (doc_id, hash, thumbnail, commune, kind, taken_at, site)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            &[
                Param::Text(&r.doc_id),
                Param::Text(&hash),
                Param::Text(&thumb),
                Param::Text(&r.commune),
                Param::Text(a.kind.code()),
                Param::Int(a.taken_at.timestamp()),
                Param::Int(r.site.map_or(-1, i64::from)),
            ],
        )?;
    }
    Ok(())
}

/// The communes whose records refer to a hash (as a file or a thumbnail),
/// deleted records included: who may send it.
const COMMUNES_SQL: &str = "SELECT commune FROM attachment_refs WHERE hash = $1 OR thumbnail = $1";
/// The communes whose live records refer to it: who is served it. A
/// deleted record's files are served to no one (its rows stay, for a
/// restore).
const LIVE_COMMUNES_SQL: &str = "SELECT r.commune FROM attachment_refs r
     JOIN documents d ON d.id = r.doc_id
     WHERE (r.hash = $1 OR r.thumbnail = $1) AND NOT d.deleted";
const PURGED_SQL: &str = "SELECT count(*) FROM attachment_purges WHERE hash = $1";
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
            if !rules::in_scope(scope, &texts(backend.select(COMMUNES_SQL, &key)?))
                || first_int(&backend.select(PURGED_SQL, &key)?).unwrap_or(0) > 0
            {
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
    if first_int(&tx.select(PURGED_SQL, &key)?).unwrap_or(0) > 0 {
        return Ok(ChunkOutcome::Refused(rules::purged()));
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
        // Files begun a day ago and never finished stop counting against
        // their devices' day (and their bytes go) before this one counts.
        sweep(tx, now - rules::ABANDONED_SECS)?;
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
    let whole = whole_bytes(tx.select(BYTES_SQL, &key)?);
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
            Param::Text(kind.code()),
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

/// Drops the uploads begun before `before` and never finished, with what
/// arrived of them; how many. A tablet that comes back to one starts it
/// again from its first byte.
pub(crate) fn sweep(tx: &mut dyn WriteTx, before: i64) -> Result<u64, HubError> {
    let at = [Param::Int(before)];
    tx.exec(
        "DELETE FROM attachment_chunks WHERE hash IN
             (SELECT hash FROM attachment_uploads WHERE started_at < $1)",
        &at,
    )?;
    tx.exec("DELETE FROM attachment_uploads WHERE started_at < $1", &at)
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
    if !rules::in_scope(scope, &texts(backend.select(LIVE_COMMUNES_SQL, &key)?)) {
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

/// An attachment as the dashboard lists it: a whole file the hub holds,
/// of a record that is not deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub record: Uuid,
    pub record_kind: String,
    pub commune: String,
    pub hash: ContentHash,
    pub thumbnail: Option<ContentHash>,
    pub kind: AttachmentKind,
    pub size: u64,
    pub taken_at: i64,
    /// The site of a survey it shows, by its place in the list.
    pub site: Option<u32>,
}

/// Which attachments the dashboard asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Listing {
    /// Of these communes' records, taken in `[from, to)` (Unix seconds).
    Taken {
        communes: Vec<String>,
        from: i64,
        to: i64,
    },
    /// Of these records (the surveys whose sites a page shows).
    Of(Vec<Uuid>),
}

/// The most a listing returns (newest first): a page of thumbnails.
pub const MAX_LISTED: usize = 200;

const LISTED_SQL: &str = "SELECT r.doc_id, d.kind, r.commune, r.hash, r.thumbnail, r.kind, a.size, r.taken_at, r.site
     FROM attachment_refs r JOIN documents d ON d.id = r.doc_id JOIN attachments a ON a.hash = r.hash
     WHERE NOT d.deleted";

pub(crate) fn listed<B: Backend>(backend: &B, listing: &Listing) -> Result<Vec<Listed>, HubError> {
    let mut out = Vec::new();
    let (filter, keys): (&str, Vec<String>) = match listing {
        Listing::Taken { communes, .. } => ("r.commune", communes.clone()),
        Listing::Of(ids) => ("r.doc_id", ids.iter().map(Uuid::to_string).collect()),
    };
    for some in keys.chunks(DOCS_AT_ONCE) {
        let mut params: Vec<Param> = some.iter().map(|k| Param::Text(k)).collect();
        let mut sql = format!(
            "{LISTED_SQL} AND {filter} IN {}",
            placeholders(1, some.len())
        );
        if let Listing::Taken { from, to, .. } = listing {
            let n = params.len();
            sql.push_str(&format!(
                " AND r.taken_at >= ${} AND r.taken_at < ${}",
                n + 1,
                n + 2
            ));
            params.extend([Param::Int(*from), Param::Int(*to)]);
        }
        sql.push_str(&format!(
            " ORDER BY r.taken_at DESC, r.hash LIMIT {MAX_LISTED}"
        ));
        out.extend(
            backend
                .select(&sql, &params)?
                .into_iter()
                .filter_map(listed_row),
        );
    }
    out.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(a.hash.cmp(&b.hash)));
    out.truncate(MAX_LISTED);
    Ok(out)
}

fn listed_row(row: Vec<Cell>) -> Option<Listed> {
    let mut row = row.into_iter();
    let mut text = || row.next().and_then(|c| c.text().map(str::to_owned));
    let (record, record_kind, commune, hash, thumbnail, kind) =
        (text()?, text()?, text()?, text()?, text()?, text()?);
    let mut int = || row.next().and_then(|c| c.int());
    let (size, taken_at, site) = (int()?, int()?, int()?);
    Some(Listed {
        record: Uuid::parse_str(&record).ok()?,
        record_kind,
        commune,
        hash: ContentHash::parse(&hash)?,
        thumbnail: ContentHash::parse(&thumbnail),
        kind: AttachmentKind::from_code(&kind)?,
        size: size.unsigned_abs(),
        taken_at,
        site: u32::try_from(site).ok(),
    })
}

/// A whole file's bytes, from its chunks.
fn whole_bytes(rows: Vec<Vec<Cell>>) -> Vec<u8> {
    rows.into_iter()
        .filter_map(|r| r.into_iter().next()?.into_blob())
        .flatten()
        .collect()
}

const BYTES_SQL: &str = "SELECT bytes FROM attachment_chunks WHERE hash = $1 ORDER BY pos";
const KIND_SQL: &str = "SELECT kind FROM attachments WHERE hash = $1";

/// What a staff member opens: a file of a record, whole and logged, or a
/// thumbnail shown on a page (not logged one by one; a thumbnail route
/// serves only hashes that are thumbnails, so no whole file leaves
/// unlogged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening<'a> {
    File { record: Uuid, by: &'a str },
    Thumbnail,
}

/// A file as a staff member opens it: its kind and bytes, if the hub holds
/// it whole and a live record of a commune `may_see` allows refers to it
/// as `opening` says; None otherwise, one answer for all. A file is
/// logged in the same transaction before its bytes are read: a file that
/// cannot be logged is not served.
pub(crate) fn open(
    tx: &mut dyn WriteTx,
    hash: ContentHash,
    opening: Opening<'_>,
    may_see: &dyn Fn(&str) -> bool,
) -> Result<Option<(AttachmentKind, Vec<u8>)>, HubError> {
    let hex = hash.hex();
    let key = [Param::Text(&hex)];
    let column = match opening {
        Opening::File { .. } => "r.hash",
        Opening::Thumbnail => "r.thumbnail",
    };
    let refs = tx.select(
        &format!(
            "SELECT r.doc_id, r.commune FROM attachment_refs r JOIN documents d ON d.id = r.doc_id
             WHERE {column} = $1 AND NOT d.deleted ORDER BY r.doc_id"
        ),
        &key,
    )?;
    let found = refs.into_iter().find_map(|row| {
        let mut row = row.into_iter();
        let doc = Uuid::parse_str(row.next()?.text()?).ok()?;
        let commune = row.next()?.text()?.to_string();
        let named = match opening {
            Opening::File { record, .. } => record == doc,
            Opening::Thumbnail => true,
        };
        (named && may_see(&commune)).then_some((doc, commune))
    });
    let Some((doc, commune)) = found else {
        return Ok(None);
    };
    let Some(kind) = tx
        .select(KIND_SQL, &key)?
        .into_iter()
        .next()
        .and_then(|r| AttachmentKind::from_code(r.into_iter().next()?.text()?))
    else {
        return Ok(None);
    };
    if let Opening::File { by, .. } = opening {
        tx.append_audit(&[Entry::attachment_opened(by, &hex, doc, &commune)])?;
    }
    Ok(Some((kind, whole_bytes(tx.select(BYTES_SQL, &key)?))))
}

/// An administrator's purge of a file: its bytes (and its thumbnails')
/// dropped, each hash kept with the communes whose records referred to it
/// (what their tablets are told), and the purge logged with its reason,
/// in one transaction. None when no live record of a commune `may_purge`
/// allows refers to it as a file (the same answer as a file not held);
/// otherwise the communes it concerned.
pub(crate) fn purge(
    tx: &mut dyn WriteTx,
    hash: ContentHash,
    may_purge: &dyn Fn(&[String]) -> bool,
    username: &str,
    reason: &str,
    now: i64,
) -> Result<Option<Vec<String>>, HubError> {
    let hex = hash.hex();
    let key = [Param::Text(&hex)];
    let live = texts(tx.select(
        "SELECT r.commune FROM attachment_refs r JOIN documents d ON d.id = r.doc_id
         WHERE r.hash = $1 AND NOT d.deleted",
        &key,
    )?);
    if live.is_empty() || first_int(&tx.select(SIZE_SQL, &key)?).is_none() {
        return Ok(None);
    }
    let mut communes = texts(tx.select(COMMUNES_SQL, &key)?);
    communes.sort();
    communes.dedup();
    if !may_purge(&communes) {
        return Ok(None);
    }
    let mut hashes = vec![hex.clone()];
    hashes.extend(texts(tx.select(
        "SELECT DISTINCT thumbnail FROM attachment_refs WHERE hash = $1 AND thumbnail <> ''",
        &key,
    )?));
    for h in &hashes {
        let key = [Param::Text(h)];
        for table in ["attachment_chunks", "attachment_uploads", "attachments"] {
            tx.exec(&format!("DELETE FROM {table} WHERE hash = $1"), &key)?;
        }
        for commune in &communes {
            tx.exec(
                "INSERT INTO attachment_purges (hash, commune, staff, reason, purged_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[
                    Param::Text(h),
                    Param::Text(commune),
                    Param::Text(username),
                    Param::Text(reason),
                    Param::Int(now),
                ],
            )?;
        }
    }
    tx.append_audit(&[Entry::attachment_purged(
        username,
        &hex,
        reason,
        communes.clone(),
    )])?;
    Ok(Some(communes))
}

/// How many purges the hub holds: it only grows, so it versions the purge
/// list in the office's data.
/// How many purges the office made (a part of the office data's version).
pub(crate) const PURGE_COUNT_SQL: &str = "SELECT count(*) FROM attachment_purges";

/// The purged files a device of `scope` is told to drop: those its
/// communes' records referred to, and no other (a tablet of another
/// commune learns nothing of them).
pub(crate) fn purged_for<B: Backend>(
    backend: &B,
    scope: &Scope,
) -> Result<Vec<ContentHash>, HubError> {
    if scope.communes.is_empty() {
        return Ok(Vec::new());
    }
    let params: Vec<Param> = scope.communes.iter().map(|c| Param::Text(c)).collect();
    let sql = format!(
        "SELECT DISTINCT hash FROM attachment_purges WHERE commune IN {} ORDER BY hash",
        placeholders(1, params.len())
    );
    Ok(texts(backend.select(&sql, &params)?)
        .iter()
        .filter_map(|h| ContentHash::parse(h))
        .collect())
}
