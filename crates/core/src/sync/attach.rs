//! Attachments between tablet and hub (issue 21), after the records:
//! content-addressed (by SHA-256, so a file the hub holds is never sent
//! again, whoever attached it) and in chunks of [`CHUNK_BYTES`] raw bytes,
//! so a cut transfer resumes at the chunk where it stopped.
//!
//! Up: the tablet asks which of its files the hub lacks and from which
//! position ([`HubHolds`]), then sends each from there; the hub answers
//! every chunk with where it stands ([`UploadAck`]), and checks the
//! whole (its hash, and that it is a JPEG, PNG or PDF by its bytes) when
//! the last chunk arrives. Down: the thumbnails of the records' new
//! attachments, and the files the officer opened, fetched by hash from the
//! position the tablet holds. The decisions are [`Upload`]'s and
//! [`Download`]'s (sans-IO); [`run_attachments`] drives them over an
//! [`AttachmentLink`].

use super::SyncError;
use crate::shared::SharedStore;
use crate::store::{Received, CHUNK_BYTES};
use crate::CoreError;
use pcmt_model::ContentHash;
use serde::{Deserialize, Serialize};

/// Where a tablet asks which files the hub holds (POST, postcard).
pub const ATTACHMENTS_PATH: &str = "/sync/v1/attachments";
/// Where a file's chunks go up (PUT) and come down (GET):
/// `{ATTACHMENT_PATH}/{hash}?pos=N` (and `&size=N` going up).
pub const ATTACHMENT_PATH: &str = "/sync/v1/attachment";
/// The header a download's answer gives the file's whole size in.
pub const SIZE_HEADER: &str = "x-pcmt-size";
/// Hashes asked about in one request.
pub const HOLDS_BATCH: usize = 500;

/// What the hub holds of a file a tablet offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HubHolds {
    /// Whole: nothing to send.
    Whole,
    /// The first N bytes: send from there (0 for a file it never saw).
    From(u64),
    /// No record of the device's communes refers to it (yet): not taken.
    Unknown,
}

/// The hub's answer to one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadAck {
    /// It holds the first N bytes: the next chunk starts there.
    Next(u64),
    /// It holds the file whole, checked.
    Whole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldsRequest {
    pub hashes: Vec<ContentHash>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldsResponse {
    pub holds: Vec<HubHolds>,
}

/// What carries attachment requests to the hub (HTTP in
/// [`crate::http`]); it decides nothing.
pub trait AttachmentLink {
    fn holds(&mut self, token: &str, hashes: &[ContentHash]) -> Result<Vec<HubHolds>, SyncError>;
    fn put_chunk(
        &mut self,
        token: &str,
        hash: ContentHash,
        size: u64,
        pos: u64,
        bytes: &[u8],
    ) -> Result<UploadAck, SyncError>;
    /// Up to a chunk of the file from `pos`, with the file's whole size;
    /// None when the hub does not serve it to this device (not whole yet,
    /// or no record of its communes refers to it: the same answer).
    fn get_chunk(
        &mut self,
        token: &str,
        hash: ContentHash,
        pos: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, SyncError>;
}

/// One file going up, from where the hub stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub hash: ContentHash,
    pub size: u64,
    /// The hub holds the bytes before this.
    pub pos: u64,
    /// Bytes sent that the hub already held (after a cut).
    pub resent: u64,
    /// Bytes sent in all.
    pub sent: u64,
}

impl Upload {
    pub fn new(hash: ContentHash, size: u64, holds: u64) -> Self {
        Self {
            hash,
            size,
            pos: holds.min(size),
            resent: 0,
            sent: 0,
        }
    }

    /// The next chunk to send (its position and length), if any.
    pub fn next(&self) -> Option<(u64, usize)> {
        (self.pos < self.size).then(|| {
            (
                self.pos,
                (self.size - self.pos).min(CHUNK_BYTES as u64) as usize,
            )
        })
    }

    /// The hub's answer to the chunk sent at `pos` of `len` bytes: true
    /// when the file is whole there. An answer naming a place past the
    /// file, or behind where the hub said it stood, is a wrong answer.
    pub fn answered(&mut self, pos: u64, len: usize, ack: UploadAck) -> Result<bool, SyncError> {
        self.sent += len as u64;
        match ack {
            UploadAck::Whole => {
                self.pos = self.size;
                Ok(true)
            }
            UploadAck::Next(n) if n > self.size => Err(SyncError::Malformed(format!(
                "the hub holds {n} bytes of a file of {}",
                self.size
            ))),
            UploadAck::Next(n) => {
                // It held more than we thought (another tablet's upload of
                // the same file): what we sent of it was resent.
                if n != pos + len as u64 {
                    self.resent += len as u64;
                }
                if n == self.size {
                    // All its bytes, yet not whole: it refused the last
                    // (the hub says why in a refusal, not an ack).
                    return Err(SyncError::Malformed(
                        "the hub holds every byte of a file but not the file".into(),
                    ));
                }
                self.pos = n;
                Ok(false)
            }
        }
    }
}

/// What moved in one run, for the progress line and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttachmentReport {
    pub uploaded: u32,
    pub downloaded: u32,
    /// Files the hub already held whole (sent by another tablet).
    pub already_held: u32,
    pub bytes_sent: u64,
    pub bytes_resent: u64,
    pub bytes_received: u64,
    /// Files left for the next sync (the hub not holding a record that
    /// refers to them yet, or not serving them yet).
    pub waiting: u32,
}

/// Sends the tablet's new files, then fetches the thumbnails of the
/// records' attachments and the files the officer asked for. The store
/// is taken for each step and given back between requests, as a sync run
/// does, so saves go on meanwhile.
pub fn run_attachments(
    store: &dyn SharedStore,
    link: &mut dyn AttachmentLink,
    token: &str,
    progress: &mut dyn FnMut(&AttachmentReport),
) -> Result<AttachmentReport, CoreError> {
    let mut report = AttachmentReport::default();
    let outgoing = store.access()?.outgoing_attachments()?;
    for batch in outgoing.chunks(HOLDS_BATCH) {
        let hashes: Vec<ContentHash> = batch.iter().map(|o| o.hash).collect();
        let holds = link.holds(token, &hashes)?;
        if holds.len() != batch.len() {
            return Err(SyncError::Malformed("an answer for other files".into()).into());
        }
        for (file, held) in batch.iter().zip(holds) {
            let from = match held {
                HubHolds::Whole => {
                    store.access()?.mark_at_hub(file.hash)?;
                    report.already_held += 1;
                    continue;
                }
                HubHolds::Unknown => {
                    report.waiting += 1;
                    continue;
                }
                HubHolds::From(n) => n,
            };
            let mut up = Upload::new(file.hash, file.size, from);
            while let Some((pos, _)) = up.next() {
                let chunk =
                    store
                        .access()?
                        .attachment_chunk(file.hash, pos)?
                        .ok_or(CoreError::Sync(SyncError::Malformed(
                            "a file to send is gone".into(),
                        )))?;
                let ack = link.put_chunk(token, file.hash, file.size, pos, &chunk)?;
                if up.answered(pos, chunk.len(), ack)? {
                    store.access()?.mark_at_hub(file.hash)?;
                    report.uploaded += 1;
                }
                progress(&report);
            }
            report.bytes_sent += up.sent;
            report.bytes_resent += up.resent;
        }
    }
    let incoming = store.access()?.incoming_attachments()?;
    for (hash, have) in incoming {
        let mut pos = have;
        loop {
            let Some((size, chunk)) = link.get_chunk(token, hash, pos)? else {
                report.waiting += 1;
                break;
            };
            report.bytes_received += chunk.len() as u64;
            if chunk.is_empty() && pos < size {
                return Err(SyncError::Malformed("an empty chunk".into()).into());
            }
            match store.access()?.receive_chunk(hash, pos, size, &chunk)? {
                Received::From(n) => pos = n,
                Received::Whole => {
                    report.downloaded += 1;
                    break;
                }
                // Dropped; asked again from the start at the next sync.
                Received::Mismatch => {
                    report.waiting += 1;
                    break;
                }
            }
            progress(&report);
        }
    }
    progress(&report);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: ContentHash = ContentHash([7; 32]);

    #[test]
    fn an_upload_goes_chunk_by_chunk_from_where_the_hub_stands() {
        let size = CHUNK_BYTES as u64 * 2 + 10;
        let mut up = Upload::new(H, size, 0);
        assert_eq!(up.next(), Some((0, CHUNK_BYTES)));
        assert!(!up
            .answered(0, CHUNK_BYTES, UploadAck::Next(CHUNK_BYTES as u64))
            .unwrap());
        assert_eq!(up.next(), Some((CHUNK_BYTES as u64, CHUNK_BYTES)));
        // Cut here: the next run starts where the hub says it stands.
        let mut again = Upload::new(H, size, CHUNK_BYTES as u64);
        assert_eq!(again.next(), Some((CHUNK_BYTES as u64, CHUNK_BYTES)));
        let end = 2 * CHUNK_BYTES as u64;
        assert!(!again
            .answered(CHUNK_BYTES as u64, CHUNK_BYTES, UploadAck::Next(end))
            .unwrap());
        assert_eq!(again.next(), Some((end, 10)));
        assert!(again.answered(end, 10, UploadAck::Whole).unwrap());
        assert_eq!(again.next(), None);
        assert_eq!((again.sent, again.resent), (CHUNK_BYTES as u64 + 10, 0));
    }

    #[test]
    fn a_chunk_the_hub_already_held_counts_as_resent_and_wrong_answers_stop_the_run() {
        let size = CHUNK_BYTES as u64 * 3;
        let mut up = Upload::new(H, size, 0);
        // Another tablet's upload got further meanwhile.
        let far = 2 * CHUNK_BYTES as u64;
        assert!(!up.answered(0, CHUNK_BYTES, UploadAck::Next(far)).unwrap());
        assert_eq!(up.resent, CHUNK_BYTES as u64);
        assert_eq!(up.next(), Some((far, CHUNK_BYTES)));
        assert!(up
            .answered(far, CHUNK_BYTES, UploadAck::Next(size + 1))
            .is_err());
        assert!(Upload::new(H, 10, 0)
            .answered(0, 10, UploadAck::Next(10))
            .is_err());
        // A hub claiming more than the file is held to the file.
        assert_eq!(Upload::new(H, 10, 99).next(), None);
    }
}
