//! What a sync keeps in the store: which documents the hub holds up to
//! which heads (the dirty flag), changes pulled from it with the pull
//! cursor, the device's enrolment (token and communes), the office codes
//! waiting to be traded for one, and what the last sync left for the
//! screens. The sync decides what to do with them; this only keeps them.
//! A pulled document this version cannot read is kept too (see `kept`).

use super::kept::project_or_keep;
use super::{get_meta, load_doc, set_meta, Store};
use crate::error::doc_error;
use crate::record_doc::{self, DocError};
use crate::sync::limits::{
    apply_untrusted, changes_of, read_change, read_document, CheckedChange, RecordSize,
};
use crate::sync::wire::{DocChanges, DocHeads, DocSnapshot, Enrolment, Epoch};
use crate::tls::Fingerprint;
use crate::CoreError;
use automerge::{AutoCommit, ChangeHash};
use pcmt_model::api::Withdrawal;
use pcmt_model::{enrol_code, Labelled, RecordKind};
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

/// The office's one-time code from first start, kept on the device until
/// a sync trades it for a token (a device-local value).
pub const ENROL_CODE: &str = "enrol_code";

/// A new code from the office, typed in after the office revoked this
/// tablet (or moved its officer to other communes): used once, at the next
/// sync, to enrol again (a device-local value).
pub const RENEWAL_CODE: &str = "renewal_code";

/// Where the time of the last finished sync is kept (a device-local value,
/// Unix seconds).
pub const LAST_SYNC: &str = "last_sync";

/// Where the hub's last refusal of this tablet is kept (a device-local
/// value, a [`Withdrawal`] code), for the settings screen to say.
pub const WITHDRAWN: &str = "withdrawn";

/// The hub certificate this tablet trusts, pinned by the officer (a
/// device-local value, its fingerprint in hexadecimal): once set, the
/// transport accepts that certificate and no other.
pub const HUB_CERTIFICATE: &str = "hub_certificate";

/// A certificate the hub presented that was refused (none pinned and no
/// public authority for it, or not the pinned one), kept for the officer
/// to compare and confirm (a device-local value, its fingerprint).
pub const HUB_CERTIFICATE_SEEN: &str = "hub_certificate_seen";

/// Where the tablet keeps the hub epoch its marks and cursor hold for.
const HUB_EPOCH: &str = "hub_epoch";

/// While a resync's offer is under way: the id of the last document whose
/// mark the hub's answer settled ("" before the first).
const OFFER_AFTER: &str = "offer_after";

impl Store {
    /// Records changed here that the hub has not confirmed yet.
    pub fn unsynced_count(&self) -> Result<u64, CoreError> {
        let n: i64 =
            self.conn
                .query_row("SELECT count(*) FROM documents WHERE dirty = 1", [], |r| {
                    r.get(0)
                })?;
        Ok(n.unsigned_abs())
    }

    /// Changes the hub lacks, for dirty documents with ids after `after`,
    /// up to about `max_bytes`. Each entry carries the heads it covers.
    pub(crate) fn pending_changes(
        &mut self,
        after: Option<Uuid>,
        max_bytes: usize,
    ) -> Result<Vec<(DocChanges, Vec<ChangeHash>)>, CoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, commune, bytes, hub_heads FROM documents
             WHERE dirty = 1 AND id > ?1 ORDER BY id LIMIT 500",
        )?;
        let after = after.map(|u| u.to_string()).unwrap_or_default();
        let mut rows = stmt.query([after])?;
        let mut out = Vec::new();
        let mut size = 0;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let bytes: Vec<u8> = row.get(3)?;
            let hub_heads = decode_heads(&row.get::<_, Vec<u8>>(4)?);
            let mut doc = record_doc::load(&bytes).map_err(|e| doc_error(&id, e))?;
            let uuid =
                Uuid::parse_str(&id).map_err(|_| doc_error(&id, DocError::BadValue("id")))?;
            let kind = RecordKind::from_code(&row.get::<_, String>(1)?)
                .ok_or_else(|| doc_error(&id, DocError::BadValue("kind")))?;
            let commune: String = row.get(2)?;
            let changes = DocChanges::since(uuid, kind, &commune, &mut doc, &hub_heads);
            let bytes = changes.changes.iter().map(Vec::len).sum::<usize>();
            // Past the budget, the record waits for the next push (which
            // it opens alone if need be): no push grows past the limit.
            if !out.is_empty() && size + bytes > max_bytes {
                break;
            }
            size += bytes;
            out.push((changes, doc.get_heads()));
        }
        Ok(out)
    }

    /// Whether documents with ids after `after` have changes the hub lacks.
    pub(crate) fn pending_after(&self, after: Uuid) -> Result<bool, CoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM documents WHERE dirty = 1 AND id > ?1)",
            [after.to_string()],
            |r| r.get(0),
        )?)
    }

    /// The hub confirmed it holds these documents up to these heads.
    pub(crate) fn mark_pushed(
        &mut self,
        acked: &[(Uuid, Vec<ChangeHash>)],
    ) -> Result<(), CoreError> {
        let named = self.with_neighbours()?;
        let tx = self.conn.transaction()?;
        for (id, heads) in acked {
            let mut doc = load_doc(&tx, *id)?;
            let dirty = doc.get_heads() != *heads;
            tx.execute(
                "UPDATE documents SET hub_heads = ?2, dirty = ?3 WHERE id = ?1",
                params![id.to_string(), encode_heads(heads), dirty],
            )?;
        }
        super::moves::settle_moves(&tx, &named)?;
        tx.commit()?;
        Ok(())
    }

    /// Applies a batch of changes pulled from the hub and moves the pull
    /// cursor: [`Store::apply_pulled`] with no snapshots.
    #[cfg(test)]
    pub(crate) fn apply_remote(
        &mut self,
        batch: &[DocChanges],
        cursor: u64,
    ) -> Result<usize, CoreError> {
        self.apply_pulled(&[], batch, cursor)
    }

    /// Applies a batch pulled from the hub (whole documents, then changes)
    /// and moves the pull cursor, in one transaction: a cut after this
    /// leaves a consistent store, and the next pull continues from
    /// `cursor`. Applying a batch twice changes nothing. How many documents
    /// changed.
    ///
    /// A snapshot of a document the tablet does not hold is loaded as it
    /// is; of one it holds, its changes merge in as pulled changes do. Both
    /// pass `sync::limits` first.
    ///
    /// A document this version cannot read (a newer app's schema, a body of
    /// the wrong shape) is kept, out of the rows, and the rest of the batch
    /// applies: the hub relays such documents, and refusing the batch would
    /// stop every pull of the commune at it for good (see
    /// [`project_or_keep`]). Changes or snapshots that cannot be parsed or
    /// applied at all, or that take a record past its bounds, still refuse
    /// the batch: the hub read, bounded and applied each one before storing
    /// it, so such bytes are not what the hub holds (damaged or tampered
    /// with on the way), there is no document to keep, and the next sync
    /// asks for the same batch again.
    pub(crate) fn apply_pulled(
        &mut self,
        snapshots: &[DocSnapshot],
        batch: &[DocChanges],
        cursor: u64,
    ) -> Result<usize, CoreError> {
        // Names the commune a file moved to (see `moves::settle_moves`).
        let named = self.with_neighbours()?;
        let tx = self.conn.transaction()?;
        let mut changed_docs = 0;
        for snapshot in snapshots {
            let envelope = Envelope::of_snapshot(snapshot);
            // Weighed before Automerge reads it, as a change is.
            let mut checked = read_document(&snapshot.bytes).map_err(|e| envelope.error(e))?;
            let changed = match stored(&tx, snapshot.id)? {
                None => {
                    put_pulled(&tx, &envelope, &mut checked.doc, false, &self.rules)?;
                    true
                }
                Some(existing) => {
                    let changes = changes_of(&mut checked).map_err(|e| envelope.error(e))?;
                    merge_pulled(&tx, &envelope, existing, changes, &self.rules)?
                }
            };
            changed_docs += usize::from(changed);
        }
        for dc in batch {
            let envelope = Envelope::of_changes(dc);
            // Weighed before Automerge reads them: a hub, or whoever
            // answers in its place, could relay a bomb.
            let changes = dc
                .changes
                .iter()
                .map(|b| read_change(b))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| envelope.error(e))?;
            let existing = stored(&tx, dc.id)?.unwrap_or_else(Stored::none);
            let changed = merge_pulled(&tx, &envelope, existing, changes, &self.rules)?;
            changed_docs += usize::from(changed);
        }
        set_meta(&tx, "pull_cursor", &cursor.to_string())?;
        super::moves::settle_moves(&tx, &named)?;
        tx.commit()?;
        Ok(changed_docs)
    }

    /// The device's enrolment with the hub (token and communes), if any.
    pub fn enrolment(&self) -> Result<Option<Enrolment>, CoreError> {
        match get_meta(&self.conn, "enrolment")? {
            None => Ok(None),
            Some(json) => {
                serde_json::from_str(&json)
                    .map(Some)
                    .map_err(|e| CoreError::CorruptRecord {
                        id: "meta.enrolment".into(),
                        reason: e.to_string(),
                    })
            }
        }
    }

    pub fn set_enrolment(&mut self, e: &Enrolment) -> Result<(), CoreError> {
        self.renew_enrolment(e, false)
    }

    /// A new enrolment replacing the old one; with other communes, the pull
    /// starts again from the beginning of the hub's feed (what the tablet
    /// already holds merges without change).
    pub fn renew_enrolment(
        &mut self,
        e: &Enrolment,
        communes_changed: bool,
    ) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        let json = serde_json::to_string(e).map_err(|err| CoreError::CorruptRecord {
            id: "meta.enrolment".into(),
            reason: err.to_string(),
        })?;
        set_meta(&tx, "enrolment", &json)?;
        if communes_changed {
            set_meta(&tx, "pull_cursor", "0")?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The hub's epoch this tablet's marks and pull cursor hold for: the
    /// one of the last resync, or of the first sync.
    pub fn hub_epoch(&self) -> Result<Option<Epoch>, CoreError> {
        Ok(get_meta(&self.conn, HUB_EPOCH)?.map(Epoch))
    }

    /// The epoch this tablet's marks and cursor were made with, as a push
    /// names it: the one stored; [`Epoch::unknown`] for marks of a hub
    /// that named none (a sync before this version); None when the tablet
    /// holds none (never pulled, nothing marked as held).
    pub(crate) fn marks_epoch(&self) -> Result<Option<Epoch>, CoreError> {
        if let Some(kept) = self.hub_epoch()? {
            return Ok(Some(kept));
        }
        let marked: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM documents WHERE hub_heads IS NOT NULL AND length(hub_heads) > 0)",
            [],
            |r| r.get(0),
        )?;
        Ok((marked || self.pull_cursor()? > 0).then(Epoch::unknown))
    }

    /// A tablet with no marks takes the hub's epoch as it is.
    pub(crate) fn adopt_epoch(&mut self, epoch: &Epoch) -> Result<(), CoreError> {
        Ok(set_meta(&self.conn, HUB_EPOCH, &epoch.0)?)
    }

    /// A hub of another epoch: in one transaction, the epoch is stored, the
    /// pull cursor goes back to 0, and every mark is put in doubt (an offer
    /// pending from the first document): no push is made before the offer
    /// has settled each mark. A resync cut short resumes from there.
    pub(crate) fn begin_resync(&mut self, epoch: &Epoch) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        set_meta(&tx, HUB_EPOCH, &epoch.0)?;
        set_meta(&tx, "pull_cursor", "0")?;
        set_meta(&tx, OFFER_AFTER, "")?;
        tx.commit()?;
        Ok(())
    }

    /// Whether an offer is pending, and after which document it goes on
    /// (None: from the first).
    pub(crate) fn offer_pending(&self) -> Result<Option<Option<Uuid>>, CoreError> {
        Ok(get_meta(&self.conn, OFFER_AFTER)?.map(|after| Uuid::parse_str(&after).ok()))
    }

    /// Every document was offered: the marks hold again.
    pub(crate) fn finish_offers(&mut self) -> Result<(), CoreError> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [OFFER_AFTER])?;
        Ok(())
    }

    /// Documents of `communes` with ids after `after`, up to `limit`, each
    /// with the heads this tablet holds: what it offers a hub of a new
    /// epoch.
    pub(crate) fn offer_batch(
        &self,
        after: Option<Uuid>,
        communes: &[String],
        limit: usize,
    ) -> Result<Vec<(Uuid, Vec<ChangeHash>)>, CoreError> {
        let communes = serde_json::to_string(communes).map_err(|e| CoreError::CorruptRecord {
            id: "communes".into(),
            reason: e.to_string(),
        })?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, bytes FROM documents
             WHERE id > ?1 AND commune IN (SELECT value FROM json_each(?2))
             ORDER BY id LIMIT ?3",
        )?;
        let after = after.map(|u| u.to_string()).unwrap_or_default();
        let mut rows = stmt.query(params![after, communes, limit as i64])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let mut doc =
                record_doc::load(&row.get::<_, Vec<u8>>(1)?).map_err(|e| doc_error(&id, e))?;
            let uuid =
                Uuid::parse_str(&id).map_err(|_| doc_error(&id, DocError::BadValue("id")))?;
            out.push((uuid, doc.get_heads()));
        }
        Ok(out)
    }

    /// The hub of a new epoch answered an offer: it holds every offered
    /// document up to the heads offered, except those in `lacking`, of
    /// which it holds the heads given there (those this tablet knows are
    /// its new mark; the next push sends the rest). The offer goes on after
    /// `after` (when given), in the same transaction.
    pub(crate) fn mark_offered(
        &mut self,
        offered: &[(Uuid, Vec<ChangeHash>)],
        lacking: &[DocHeads],
        after: Option<Uuid>,
    ) -> Result<(), CoreError> {
        let lacks: std::collections::HashMap<Uuid, &[[u8; 32]]> =
            lacking.iter().map(|d| (d.id, d.heads.as_slice())).collect();
        let tx = self.conn.transaction()?;
        for (id, heads) in offered {
            let mut doc = load_doc(&tx, *id)?;
            let (held, dirty) = match lacks.get(id) {
                None => (heads.clone(), doc.get_heads() != *heads),
                Some(theirs) => {
                    let known = theirs
                        .iter()
                        .map(|h| ChangeHash(*h))
                        .filter(|h| doc.get_change_meta_by_hash(h).is_some())
                        .collect();
                    (known, true)
                }
            };
            tx.execute(
                "UPDATE documents SET hub_heads = ?2, dirty = ?3 WHERE id = ?1",
                params![id.to_string(), encode_heads(&held), dirty],
            )?;
        }
        if let Some(last) = after {
            set_meta(&tx, OFFER_AFTER, &last.to_string())?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn pull_cursor(&self) -> Result<u64, CoreError> {
        Ok(get_meta(&self.conn, "pull_cursor")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    /// Every document's id and heads: two replicas hold the same records
    /// exactly when these are equal (convergence checks, diagnostics).
    pub fn document_heads(
        &self,
    ) -> Result<std::collections::BTreeMap<Uuid, Vec<ChangeHash>>, CoreError> {
        let mut stmt = self.conn.prepare("SELECT id, bytes FROM documents")?;
        let mut rows = stmt.query([])?;
        let mut out = std::collections::BTreeMap::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let mut doc =
                record_doc::load(&r.get::<_, Vec<u8>>(1)?).map_err(|e| doc_error(&id, e))?;
            let uuid =
                Uuid::parse_str(&id).map_err(|_| doc_error(&id, DocError::BadValue("id")))?;
            let mut heads = doc.get_heads();
            heads.sort();
            out.insert(uuid, heads);
        }
        Ok(out)
    }

    /// Those of `changes` the document `id` does not hold: an edit once
    /// saved here, or received, must never go missing (convergence checks).
    pub fn missing_changes(
        &self,
        id: Uuid,
        changes: &[ChangeHash],
    ) -> Result<Vec<ChangeHash>, CoreError> {
        let mut doc = load_doc(&self.conn, id)?;
        Ok(changes
            .iter()
            .filter(|h| doc.get_change_meta_by_hash(h).is_none())
            .copied()
            .collect())
    }
}

/// What the hub said of a pulled document: its id, and the kind and
/// commune it checked against the document.
struct Envelope<'a> {
    id: String,
    kind: &'a str,
    commune: &'a str,
}

impl<'a> Envelope<'a> {
    fn of_changes(dc: &'a DocChanges) -> Self {
        Self {
            id: dc.id.to_string(),
            kind: &dc.kind,
            commune: &dc.commune,
        }
    }

    fn of_snapshot(s: &'a DocSnapshot) -> Self {
        Self {
            id: s.id.to_string(),
            kind: &s.kind,
            commune: &s.commune,
        }
    }

    fn error(&self, e: impl std::fmt::Display) -> CoreError {
        doc_error(&self.id, DocError::Load(e.to_string()))
    }
}

/// A document as the tablet holds it before a pull touches it: its saved
/// bytes (None if it has none) and whether it has local edits unsent.
struct Stored {
    bytes: Option<Vec<u8>>,
    dirty: bool,
}

impl Stored {
    fn none() -> Self {
        Self {
            bytes: None,
            dirty: false,
        }
    }
}

fn stored(tx: &rusqlite::Transaction<'_>, id: Uuid) -> Result<Option<Stored>, CoreError> {
    Ok(tx
        .query_row(
            "SELECT bytes, dirty FROM documents WHERE id = ?1",
            [id.to_string()],
            |r| {
                Ok(Stored {
                    bytes: Some(r.get(0)?),
                    dirty: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// Merges pulled changes (each already read by `read_change`) into the
/// document as stored, bounded as a whole, and stores it if it changed.
fn merge_pulled(
    tx: &rusqlite::Transaction<'_>,
    envelope: &Envelope<'_>,
    existing: Stored,
    changes: Vec<CheckedChange>,
    rules: &pcmt_model::StatusRules,
) -> Result<bool, CoreError> {
    let mut doc = match &existing.bytes {
        Some(bytes) => record_doc::load(bytes).map_err(|e| doc_error(&envelope.id, e))?,
        None => AutoCommit::new(),
    };
    let mut size = RecordSize::of(existing.bytes.as_deref(), &doc);
    let mut fresh = Vec::with_capacity(changes.len());
    for checked in changes {
        if doc
            .get_change_meta_by_hash(&checked.change.hash())
            .is_none()
        {
            size.add(&checked).map_err(|e| envelope.error(e))?;
            fresh.push(checked.change);
        }
    }
    let before = doc.get_heads();
    apply_untrusted(&mut doc, fresh).map_err(|e| envelope.error(e))?;
    if doc.get_heads() == before {
        return Ok(false);
    }
    put_pulled(tx, envelope, &mut doc, existing.dirty, rules)?;
    Ok(true)
}

/// Stores a pulled document and writes its rows, or keeps it out of them.
fn put_pulled(
    tx: &rusqlite::Transaction<'_>,
    envelope: &Envelope<'_>,
    doc: &mut AutoCommit,
    was_dirty: bool,
    rules: &pcmt_model::StatusRules,
) -> Result<(), CoreError> {
    let heads = doc.get_heads();
    // A header this version cannot read (a newer schema) leaves the
    // envelope's kind and commune, which the hub checked against it.
    let (kind, commune) = match record_doc::read_header(doc) {
        Ok(header) => (header.kind.code().to_string(), header.commune),
        Err(_) => (envelope.kind.to_string(), envelope.commune.to_string()),
    };
    // A document with no local edits pending now holds exactly what the
    // hub holds; one with local edits keeps its older hub heads, so the
    // next push re-sends (and the hub ignores) what it has. A note that it
    // could not be read goes; `project_or_keep` writes it again if it
    // still cannot.
    let hub_heads = if was_dirty {
        None
    } else {
        Some(encode_heads(&heads))
    };
    tx.execute(
        "INSERT INTO documents (id, kind, commune, bytes, hub_heads, dirty)
         VALUES (?1, ?2, ?3, ?4, ?5, 0)
         ON CONFLICT(id) DO UPDATE SET bytes = excluded.bytes, commune = excluded.commune,
           hub_heads = coalesce(?6, documents.hub_heads), unreadable = NULL",
        params![
            envelope.id,
            kind,
            commune,
            record_doc::save(doc),
            encode_heads(&heads),
            hub_heads
        ],
    )?;
    project_or_keep(tx, &envelope.id, doc, rules)?;
    super::attachments::index(tx, &envelope.id, doc)?;
    super::moves::index_moves(tx, &envelope.id, doc)?;
    Ok(())
}

fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| ChangeHash::try_from(c).ok())
        .collect()
}

impl Store {
    /// The office's code from first start, while no sync has used it.
    pub fn enrol_code(&self) -> Result<Option<String>, CoreError> {
        self.local_value(ENROL_CODE)
    }

    /// Keeps a renewal code for the next sync, or withdraws a waiting one
    /// when `typed` is empty. Only an enrolled tablet renews: the first
    /// code goes in at first start.
    pub fn set_renewal_code(&mut self, typed: &str) -> Result<(), CoreError> {
        if self.enrolment()?.is_none() {
            return Err(CoreError::RenewalBeforeEnrolment);
        }
        let code = enrol_code(typed).map_err(|e| CoreError::Invalid(vec![e]))?;
        self.set_local_value(RENEWAL_CODE, code)
    }

    /// Whether a renewal code waits for the next sync.
    pub fn renewal_pending(&self) -> Result<bool, CoreError> {
        Ok(self.local_value(RENEWAL_CODE)?.is_some())
    }

    /// Whether the hub withdrew this tablet at its last sync, and how.
    pub fn withdrawn(&self) -> Result<Option<Withdrawal>, CoreError> {
        Ok(self
            .local_value(WITHDRAWN)?
            .and_then(|c| Withdrawal::from_code(&c)))
    }

    /// When the last sync finished (Unix seconds).
    pub fn last_sync(&self) -> Result<Option<i64>, CoreError> {
        Ok(self.local_value(LAST_SYNC)?.and_then(|t| t.parse().ok()))
    }

    /// The hub certificate the officer pinned, if any.
    pub fn hub_certificate(&self) -> Result<Option<Fingerprint>, CoreError> {
        Ok(self
            .local_value(HUB_CERTIFICATE)?
            .and_then(|hex| Fingerprint::parse(&hex)))
    }

    /// The certificate the hub presented at the last sync and the tablet
    /// refused, waiting for the officer to compare it.
    pub fn hub_certificate_seen(&self) -> Result<Option<Fingerprint>, CoreError> {
        Ok(self
            .local_value(HUB_CERTIFICATE_SEEN)?
            .and_then(|hex| Fingerprint::parse(&hex)))
    }

    /// The officer compared the certificate the hub presented with the
    /// office's print-out and confirms it: from now on the tablet trusts
    /// that certificate and no other. `fingerprint` is the one the screen
    /// showed, so nothing but what the officer read is pinned.
    pub fn trust_hub_certificate(&mut self, fingerprint: &str) -> Result<(), CoreError> {
        let seen = self.hub_certificate_seen()?;
        match (seen, Fingerprint::parse(fingerprint)) {
            (Some(seen), Some(shown)) if seen == shown => {
                // Pinned first: a cut between the two leaves it pinned and
                // still shown, never shown as confirmed and not pinned.
                self.set_local_value(HUB_CERTIFICATE, Some(&seen.to_hex()))?;
                self.set_local_value(HUB_CERTIFICATE_SEEN, None)
            }
            _ => Err(CoreError::CertificateNotSeen),
        }
    }
}
