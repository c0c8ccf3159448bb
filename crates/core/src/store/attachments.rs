//! Attachments on the tablet (device migration 0009): whole bodies in
//! `attachments` (inside the encrypted store), downloads in progress in
//! `attachment_parts`, chunk by chunk, and which documents refer to which
//! hashes in `attachment_refs`, written with each document.

use super::records::{change_doc, now};
use super::{Author, Store};
use crate::attach::{self, hash_of};
use crate::error::doc_error;
use crate::record_doc::{self, attachments::FIELD};
use crate::CoreError;
use automerge::AutoCommit;
use pcmt_model::{AttachmentKind, AttachmentRef, ContentHash, GeoPoint, Labelled};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

/// How much of a file travels in one request, each way. A cut transfer
/// resends at most this much.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// Where an attachment goes in a record: a survey's photo may show one of
/// its sites, with the position it was taken at.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AttachTo {
    pub site: Option<Uuid>,
    pub position: Option<GeoPoint>,
}

/// An attachment still to be sent: its hash and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing {
    pub hash: ContentHash,
    pub size: u64,
}

/// Writes which hashes `doc` refers to (its attachments and their
/// thumbnails) in place of what was noted before. Inside the transaction
/// that stores the document.
pub(crate) fn index(conn: &Connection, id: &str, doc: &AutoCommit) -> Result<(), CoreError> {
    conn.prepare_cached("DELETE FROM attachment_refs WHERE doc_id = ?1")?
        .execute([id])?;
    let refs = record_doc::attachments::attachments(doc).unwrap_or_default();
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO attachment_refs (doc_id, hash, thumbnail) VALUES (?1, ?2, ?3)",
    )?;
    for r in &refs {
        insert.execute(params![id, r.hash.hex(), false])?;
        if let Some(t) = r.thumbnail {
            insert.execute(params![id, t.hex(), true])?;
        }
    }
    Ok(())
}

/// Rows of (hash in hex, a count of bytes), read as hashes; a row whose
/// hash does not read is no file of ours and is left out.
fn hashes_with_counts(conn: &Connection, sql: &str) -> Result<Vec<(ContentHash, u64)>, CoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (hash, n) = row?;
        if let Some(hash) = ContentHash::parse(&hash) {
            out.push((hash, n.unsigned_abs()));
        }
    }
    Ok(out)
}

fn put_body(
    conn: &Connection,
    hash: ContentHash,
    kind: AttachmentKind,
    bytes: &[u8],
    at_hub: bool,
) -> Result<(), CoreError> {
    conn.execute(
        "INSERT INTO attachments (hash, kind, bytes, at_hub) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(hash) DO UPDATE SET at_hub = max(at_hub, excluded.at_hub)",
        params![hash.hex(), kind.code(), bytes, at_hub],
    )?;
    Ok(())
}

impl Store {
    /// Processes an officer's file ([`attach::process`]) and adds it to the
    /// record `id`, with its thumbnail, in one transaction: the bytes go
    /// into the encrypted store, the reference into the record's document
    /// (taken at now; a site's position as given).
    pub fn attach(
        &mut self,
        id: Uuid,
        file: &[u8],
        to: AttachTo,
        author: &Author,
    ) -> Result<AttachmentRef, CoreError> {
        let processed = attach::process(file)?;
        if self.is_purged(hash_of(&processed.bytes))? {
            return Err(attach::AttachError::Purged.into());
        }
        let thumb = processed.thumbnail.as_deref().map(|t| (hash_of(t), t));
        let reference = AttachmentRef {
            hash: hash_of(&processed.bytes),
            kind: processed.kind,
            size: processed.bytes.len() as u64,
            thumbnail: thumb.map(|(h, _)| h),
            taken_at: chrono::DateTime::from_timestamp(now(), 0).unwrap_or_default(),
            site: to.site,
            position: to.site.and(to.position),
        };
        let note = Self::note(author);
        let actor = self.actor();
        change_doc(&mut self.conn, &self.rules, actor, id, |tx, doc| {
            let header = record_doc::read_header(doc).map_err(|e| doc_error(&id.to_string(), e))?;
            if record_doc::list_layout(header.kind, FIELD).is_none() {
                return Err(CoreError::NotFound(id));
            }
            put_body(tx, reference.hash, processed.kind, &processed.bytes, false)?;
            if let Some((hash, bytes)) = thumb {
                put_body(tx, hash, AttachmentKind::Jpeg, bytes, false)?;
            }
            let added = record_doc::attachments::add(doc, &reference, &note, now())
                .map_err(|e| doc_error(&id.to_string(), e))?;
            index(tx, &id.to_string(), doc)?;
            Ok(added)
        })?;
        Ok(reference)
    }

    /// The attachments record `id` refers to; none once it is deleted (its
    /// attachments are hidden with it, and come back with a restore).
    pub fn attachments_of(&self, id: Uuid) -> Result<Vec<AttachmentRef>, CoreError> {
        let doc = super::load_doc(&self.conn, id)?;
        if record_doc::is_deleted(&doc) {
            return Ok(Vec::new());
        }
        record_doc::attachments::attachments(&doc).map_err(|e| doc_error(&id.to_string(), e))
    }

    /// Whether the office purged this file: a record's reference to it
    /// then shows [`pcmt_model::attachment::purged_note`], and its bytes
    /// are gone from the tablet.
    pub fn is_purged(&self, hash: ContentHash) -> Result<bool, CoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM attachment_purged WHERE hash = ?1",
                [hash.hex()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// An attachment's bytes, when the tablet holds them whole.
    pub fn attachment(&self, hash: ContentHash) -> Result<Option<Vec<u8>>, CoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT bytes FROM attachments WHERE hash = ?1",
                [hash.hex()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Whether the tablet holds `hash` whole.
    pub fn holds_attachment(&self, hash: ContentHash) -> Result<bool, CoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM attachments WHERE hash = ?1",
                [hash.hex()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// The officer opened an attachment the tablet does not hold whole
    /// (only its thumbnail came with the record): fetched at the next sync.
    pub fn want_attachment(&mut self, hash: ContentHash) -> Result<(), CoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO attachment_wanted (hash) VALUES (?1)",
            [hash.hex()],
        )?;
        Ok(())
    }

    /// The officer asked for a whole commune's files ("Tải tất cả ảnh của
    /// xã"): every file a live record of `commune` refers to that the
    /// tablet lacks is fetched at the next sync. Thumbnails come anyway.
    /// Returns how many files were not yet asked for.
    pub fn want_commune_attachments(&mut self, commune: &str) -> Result<usize, CoreError> {
        Ok(self.conn.execute(
            "INSERT OR IGNORE INTO attachment_wanted (hash)
             SELECT DISTINCT r.hash FROM attachment_refs r JOIN documents d ON d.id = r.doc_id
             WHERE r.thumbnail = 0 AND d.deleted = 0 AND d.commune = ?1
               AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.hash = r.hash)",
            [commune],
        )?)
    }

    /// Attachments made here that the hub does not hold yet, each once.
    pub fn outgoing_attachments(&self) -> Result<Vec<Outgoing>, CoreError> {
        Ok(hashes_with_counts(
            &self.conn,
            "SELECT hash, length(bytes) FROM attachments WHERE at_hub = 0 ORDER BY hash",
        )?
        .into_iter()
        .map(|(hash, size)| Outgoing { hash, size })
        .collect())
    }

    /// Up to [`CHUNK_BYTES`] of a held attachment from `offset`.
    pub fn attachment_chunk(
        &self,
        hash: ContentHash,
        offset: u64,
    ) -> Result<Option<Vec<u8>>, CoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT substr(bytes, ?2 + 1, ?3) FROM attachments WHERE hash = ?1",
                params![hash.hex(), offset as i64, CHUNK_BYTES as i64],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The hub holds `hash` whole now.
    pub fn mark_at_hub(&mut self, hash: ContentHash) -> Result<(), CoreError> {
        self.conn.execute(
            "UPDATE attachments SET at_hub = 1 WHERE hash = ?1",
            [hash.hex()],
        )?;
        Ok(())
    }

    /// What to fetch from the hub: the thumbnails of the live records'
    /// attachments, and the files the officer asked for, that the tablet
    /// lacks; each with the bytes already received of it.
    pub fn incoming_attachments(&self) -> Result<Vec<(ContentHash, u64)>, CoreError> {
        hashes_with_counts(
            &self.conn,
            "SELECT w.hash, coalesce((SELECT sum(length(p.bytes)) FROM attachment_parts p WHERE p.hash = w.hash), 0)
             FROM (SELECT r.hash FROM attachment_refs r JOIN documents d ON d.id = r.doc_id
                   WHERE r.thumbnail = 1 AND d.deleted = 0
                   UNION SELECT hash FROM attachment_wanted) w
             WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.hash = w.hash)
               AND NOT EXISTS (SELECT 1 FROM attachment_purged p WHERE p.hash = w.hash)
             ORDER BY w.hash",
        )
    }

    /// Keeps a downloaded chunk that starts at `offset`; once `size` bytes
    /// are there, checks the whole against its hash and kind and moves it
    /// into `attachments`, in one transaction. True when it is whole; a
    /// body that does not match is dropped (fetched again from the start).
    pub fn receive_chunk(
        &mut self,
        hash: ContentHash,
        offset: u64,
        size: u64,
        chunk: &[u8],
    ) -> Result<Received, CoreError> {
        let tx = self.conn.transaction()?;
        let have: i64 = tx.query_row(
            "SELECT coalesce(sum(length(bytes)), 0) FROM attachment_parts WHERE hash = ?1",
            [hash.hex()],
            |r| r.get(0),
        )?;
        if have.unsigned_abs() != offset {
            return Ok(Received::From(have.unsigned_abs()));
        }
        tx.execute(
            "INSERT INTO attachment_parts (hash, seq, bytes) VALUES (?1, ?2, ?3)",
            params![hash.hex(), offset as i64, chunk],
        )?;
        let have = offset + chunk.len() as u64;
        if have < size {
            tx.commit()?;
            return Ok(Received::From(have));
        }
        let whole = {
            let mut stmt =
                tx.prepare("SELECT bytes FROM attachment_parts WHERE hash = ?1 ORDER BY seq")?;
            let parts = stmt.query_map([hash.hex()], |r| r.get::<_, Vec<u8>>(0))?;
            let mut whole = Vec::with_capacity(size as usize);
            for p in parts {
                whole.extend_from_slice(&p?);
            }
            whole
        };
        tx.execute("DELETE FROM attachment_parts WHERE hash = ?1", [hash.hex()])?;
        let kind = AttachmentKind::sniff(&whole);
        let received = match kind {
            Some(kind) if whole.len() as u64 == size && hash_of(&whole) == hash => {
                put_body(&tx, hash, kind, &whole, true)?;
                tx.execute(
                    "DELETE FROM attachment_wanted WHERE hash = ?1",
                    [hash.hex()],
                )?;
                Received::Whole
            }
            _ => Received::Mismatch,
        };
        tx.commit()?;
        Ok(received)
    }
}

/// Drops the files the office purged (`OfficeData::purged`) inside the
/// transaction that keeps the office's data: whole bodies, downloads in
/// progress and requests, each hash noted so it is never fetched or
/// attached again. The caller has `secure_delete` on, so the freed pages
/// are overwritten, and checkpoints the WAL after the commit
/// ([`Store::apply_office`]).
pub(crate) fn purge(tx: &Connection, hashes: &[ContentHash]) -> Result<(), CoreError> {
    for hash in hashes {
        let hex = hash.hex();
        tx.execute(
            "INSERT OR IGNORE INTO attachment_purged (hash) VALUES (?1)",
            [&hex],
        )?;
        for table in ["attachments", "attachment_parts", "attachment_wanted"] {
            tx.execute(&format!("DELETE FROM {table} WHERE hash = ?1"), [&hex])?;
        }
    }
    Ok(())
}

/// What a received chunk came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// More is needed, from this offset.
    From(u64),
    /// Checked and stored whole.
    Whole,
    /// The whole did not match its hash (or is not a JPEG, PNG or PDF):
    /// dropped.
    Mismatch,
}
