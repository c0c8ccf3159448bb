//! The hub's rules for attachments (issue 21), pure: which device may send
//! or fetch a file, the limits, what a chunk must be, and the words a
//! refusal reaches the officer in (Vietnamese first).
//!
//! A file is named by its SHA-256. A device may send one only if a record
//! of its communes refers to it (the records travel first), and is served
//! one only then: knowing a hash is not enough (a device of another
//! commune asking by hash is answered as if the file did not exist).

use crate::rules::devices::Scope;
use pcmt_core::sync::attach::UploadAck;
use pcmt_model::{AttachmentKind, ContentHash, MAX_ATTACHMENT_BYTES};
use sha2::{Digest, Sha256};

/// The largest file the hub takes (the tablet's own limit: a PDF as it is;
/// photos are far smaller after processing).
pub const MAX_FILE_BYTES: u64 = MAX_ATTACHMENT_BYTES;
/// What one device may send in a day, files begun included: a tablet gone
/// wrong (or its stolen token) cannot fill the hub's disk.
pub const MAX_DEVICE_DAY_BYTES: u64 = 200 * 1024 * 1024;
/// The largest chunk taken in one request.
pub const MAX_CHUNK_BYTES: usize = pcmt_core::store::CHUNK_BYTES;
pub const DAY_SECS: i64 = 24 * 3600;
/// A file begun this long ago and never finished is abandoned: swept at
/// the next file begun, it no longer counts against its device's day.
pub const ABANDONED_SECS: i64 = DAY_SECS;

/// What a chunk came to: an answer for the tablet, or a refusal whose
/// words reach the officer (what was held of the file is dropped, and the
/// transaction that dropped it commits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkOutcome {
    Ack(UploadAck),
    Refused(String),
}

pub fn not_allowed() -> String {
    "Tệp không phải ảnh JPEG, PNG hay tệp PDF (xét theo nội dung tệp): máy chủ không nhận và không lưu gì. / The file is not a JPEG, PNG or PDF by its bytes: the hub took none of it and stored nothing.".into()
}

pub fn too_large(size: u64) -> String {
    let mb = MAX_FILE_BYTES / (1024 * 1024);
    format!("Tệp quá lớn ({size} byte; tối đa {mb} MB): máy chủ không nhận. / The file is too large ({size} bytes; at most {mb} MB): the hub did not take it.")
}

pub fn over_daily_limit() -> String {
    let mb = MAX_DEVICE_DAY_BYTES / (1024 * 1024);
    format!("Máy này đã gửi quá {mb} MB ảnh, tệp trong 24 giờ qua: hãy gửi tiếp vào ngày mai. / This tablet sent more than {mb} MB of attachments in the last 24 hours: send the rest tomorrow.")
}

pub fn mismatch() -> String {
    "Tệp nhận được không khớp với mã của nó (bị hỏng trên đường truyền): máy chủ đã bỏ và sẽ nhận lại từ đầu. / The file received does not match its hash (damaged on the way): the hub dropped it and takes it again from the start.".into()
}

pub fn purged() -> String {
    "Văn phòng đã xóa hẳn tệp này: máy chủ không nhận lại. / The office purged this file: the hub does not take it again.".into()
}

/// The longest reason an administrator may give for a purge.
pub const MAX_REASON_CHARS: usize = 300;

/// A purge's reason as typed: trimmed, required, at most
/// [`MAX_REASON_CHARS`]; the refusal in Vietnamese first.
pub fn purge_reason(typed: &str) -> Result<String, String> {
    let reason = typed.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!("Hãy ghi lý do xóa tệp (tối đa {MAX_REASON_CHARS} ký tự). / Give the reason for purging the file (at most {MAX_REASON_CHARS} characters)."));
    }
    Ok(reason.to_string())
}

/// Whether a device of `scope` may see a file the records of `communes`
/// refer to.
pub fn in_scope(scope: &Scope, communes: &[String]) -> bool {
    communes.iter().any(|c| scope.communes.contains(c))
}

/// The first chunk's check: what the file is comes from its first bytes,
/// so anything else is refused before a byte of it is kept.
pub fn first_chunk(size: u64, bytes: &[u8]) -> Result<(), String> {
    if size > MAX_FILE_BYTES {
        return Err(too_large(size));
    }
    AttachmentKind::sniff(bytes)
        .map(|_| ())
        .ok_or_else(not_allowed)
}

/// The whole file's check when its last chunk is in: its hash, and its
/// kind by its bytes.
pub fn whole(hash: ContentHash, bytes: &[u8]) -> Result<AttachmentKind, String> {
    let kind = AttachmentKind::sniff(bytes).ok_or_else(not_allowed)?;
    if Sha256::digest(bytes).as_slice() != hash.0 {
        return Err(mismatch());
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bytes_and_the_whole_decide_and_the_words_are_vietnamese_first() {
        assert!(first_chunk(10, b"%PDF-1.4").is_ok());
        assert_eq!(first_chunk(10, b"PK\x03\x04"), Err(not_allowed()));
        assert_eq!(
            first_chunk(MAX_FILE_BYTES + 1, b"%PDF-1.4"),
            Err(too_large(MAX_FILE_BYTES + 1))
        );
        let pdf = b"%PDF-1.4 whole".to_vec();
        let hash = ContentHash(Sha256::digest(&pdf).into());
        assert_eq!(whole(hash, &pdf), Ok(AttachmentKind::Pdf));
        assert_eq!(whole(ContentHash([0; 32]), &pdf), Err(mismatch()));
        assert!(not_allowed().starts_with("Tệp không phải ảnh"));
        let scope = Scope {
            device: uuid::Uuid::nil(),
            communes: vec!["A".into()],
            office: None,
        };
        assert!(in_scope(&scope, &["B".into(), "A".into()]));
        assert!(!in_scope(&scope, &["B".into()]));
    }
}
