//! The hub's backups, encrypted: the hub's database is plaintext on the
//! server's disk, its copies must not be (they travel to a USB disk, a
//! share, another office). A backup is sealed with a 256-bit key the office
//! keeps apart from the server (`pcmt-hub --new-backup-key`), never in the
//! hub's database, with XChaCha20-Poly1305 in the STREAM construction
//! (chunks of 1 MiB, each authenticated, the last one marked as last): a
//! byte changed, chunks swapped or dropped, a file cut short or the wrong
//! key are all refused when it is opened, before anything is restored.
//!
//! Format: `PCMTBAK1`, the 19-byte random nonce, then the chunks, each its
//! ciphertext and 16-byte tag; the magic is every chunk's associated data.
//! Streams in and out, so a database of any size is sealed in bounded
//! memory.

use crate::error::HubError;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{KeyInit, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use std::io::{Read, Write};

/// The first bytes of a sealed backup.
pub const MAGIC: &[u8; 8] = b"PCMTBAK1";
/// Plaintext bytes per chunk.
const CHUNK: usize = 1 << 20;
/// XChaCha20's 24-byte nonce less STREAM's 5-byte counter and flag.
const NONCE: usize = 19;
const TAG: usize = 16;

/// The office's backup key. Never printed (its `Debug` says so), never
/// stored by the hub.
pub struct BackupKey([u8; 32]);

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackupKey(..)")
    }
}

impl BackupKey {
    /// A new random key.
    pub fn generate() -> Result<Self, HubError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| HubError::Random(e.to_string()))?;
        Ok(Self(key))
    }

    /// A key as the office keeps it: 64 hexadecimal digits (spaces and a
    /// trailing newline allowed).
    pub fn parse(text: &str) -> Result<Self, HubError> {
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut key = [0u8; 32];
        hex::decode_to_slice(&digits, &mut key).map_err(|_| {
            HubError::Backup(
                "Khóa sao lưu phải là 64 chữ số thập lục phân. / A backup key is 64 hexadecimal digits."
                    .into(),
            )
        })?;
        Ok(Self(key))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }
}

fn refused() -> HubError {
    HubError::Backup(
        "Không mở được bản sao lưu: sai khóa, tệp bị hỏng, bị sửa hoặc bị cắt ngắn. / The backup cannot be opened: wrong key, or the file is damaged, altered or cut short."
            .into(),
    )
}

fn io(what: &str, e: std::io::Error) -> HubError {
    HubError::File {
        path: what.into(),
        source: e,
    }
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
fn fill(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Hands `input` to `each` in chunks of `size` bytes, saying which is the
/// last (an empty input is one empty last chunk): STREAM marks the last
/// chunk, so a file cut at a chunk's end does not open.
fn chunked(
    input: &mut impl Read,
    size: usize,
    what: &str,
    mut each: impl FnMut(&[u8], bool) -> Result<(), HubError>,
) -> Result<(), HubError> {
    let (mut current, mut next) = (vec![0u8; size], vec![0u8; size]);
    let mut len = fill(input, &mut current).map_err(|e| io(what, e))?;
    loop {
        let next_len = fill(input, &mut next).map_err(|e| io(what, e))?;
        let last = next_len == 0;
        each(&current[..len], last)?;
        if last {
            return Ok(());
        }
        std::mem::swap(&mut current, &mut next);
        len = next_len;
    }
}

/// Seals everything `input` holds into `output`; the plaintext bytes.
pub fn seal(
    input: &mut impl Read,
    output: &mut impl Write,
    key: &BackupKey,
) -> Result<u64, HubError> {
    let mut nonce = [0u8; NONCE];
    getrandom::fill(&mut nonce).map_err(|e| HubError::Random(e.to_string()))?;
    let mut stream = Some(EncryptorBE32::from_aead(key.cipher(), (&nonce).into()));
    output
        .write_all(MAGIC)
        .and_then(|()| output.write_all(&nonce))
        .map_err(|e| io("backup", e))?;
    let mut total = 0u64;
    chunked(input, CHUNK, "database copy", |chunk, last| {
        let msg = Payload {
            msg: chunk,
            aad: MAGIC,
        };
        let sealed = match (stream.as_mut(), last) {
            (Some(s), false) => s.encrypt_next(msg),
            (Some(_), true) => stream.take().ok_or_else(refused)?.encrypt_last(msg),
            (None, _) => return Err(refused()),
        }
        .map_err(|_| refused())?;
        total += chunk.len() as u64;
        output.write_all(&sealed).map_err(|e| io("backup", e))
    })?;
    Ok(total)
}

/// Opens a sealed backup from `input` into `output`; the plaintext bytes.
/// Any chunk that does not authenticate (wrong key, damage, a file cut
/// short at a chunk's end) is an error; what was written before it must
/// then be thrown away.
pub fn open(
    input: &mut impl Read,
    output: &mut impl Write,
    key: &BackupKey,
) -> Result<u64, HubError> {
    let mut head = [0u8; MAGIC.len() + NONCE];
    let n = fill(input, &mut head).map_err(|e| io("backup", e))?;
    if n < head.len() || &head[..MAGIC.len()] != MAGIC {
        return Err(HubError::Backup(
            "Tệp này không phải bản sao lưu của máy chủ PCMT. / This file is not a PCMT hub backup."
                .into(),
        ));
    }
    let nonce: [u8; NONCE] = head[MAGIC.len()..].try_into().map_err(|_| refused())?;
    let mut stream = Some(DecryptorBE32::from_aead(key.cipher(), (&nonce).into()));
    let mut total = 0u64;
    chunked(input, CHUNK + TAG, "backup", |chunk, last| {
        let msg = Payload {
            msg: chunk,
            aad: MAGIC,
        };
        let plain = match (stream.as_mut(), last) {
            (Some(s), false) => s.decrypt_next(msg),
            (Some(_), true) => stream.take().ok_or_else(refused)?.decrypt_last(msg),
            (None, _) => return Err(refused()),
        }
        .map_err(|_| refused())?;
        total += plain.len() as u64;
        output.write_all(&plain).map_err(|e| io("database copy", e))
    })?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(plain: &[u8], key: &BackupKey) -> Vec<u8> {
        let mut out = Vec::new();
        seal(&mut &plain[..], &mut out, key).unwrap();
        out
    }

    fn opened(sealed: &[u8], key: &BackupKey) -> Result<Vec<u8>, HubError> {
        let mut out = Vec::new();
        open(&mut &sealed[..], &mut out, key).map(|_| out)
    }

    /// Empty, one chunk, several and a chunk's exact multiple come back
    /// byte for byte; nothing of the plaintext shows in the sealed bytes.
    #[test]
    fn a_sealed_backup_opens_to_the_same_bytes_with_its_key_only() {
        let key = BackupKey::generate().unwrap();
        for size in [0, 10, CHUNK, 2 * CHUNK + 5] {
            let plain: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let s = sealed(&plain, &key);
            assert_eq!(opened(&s, &key).unwrap(), plain, "size {size}");
        }
        let plain = b"Nguyen Van A, CCCD 062090001234".repeat(1000);
        let s = sealed(&plain, &key);
        assert!(!s.windows(12).any(|w| w == b"Nguyen Van A"));
        let other = BackupKey::generate().unwrap();
        assert!(matches!(opened(&s, &other), Err(HubError::Backup(_))));
    }

    /// A byte changed, the file cut at a chunk's end or anywhere else, or
    /// a chunk dropped: refused.
    #[test]
    fn an_altered_or_shortened_backup_is_refused() {
        let key = BackupKey::generate().unwrap();
        let plain = vec![7u8; 2 * CHUNK + 100];
        let s = sealed(&plain, &key);
        let head = MAGIC.len() + NONCE;
        let mut flipped = s.clone();
        flipped[head + 10] ^= 1;
        assert!(opened(&flipped, &key).is_err());
        assert!(
            opened(&s[..head + CHUNK + TAG], &key).is_err(),
            "cut at a chunk"
        );
        assert!(opened(&s[..s.len() - 1], &key).is_err());
        let mut dropped = s[..head].to_vec();
        dropped.extend_from_slice(&s[head + CHUNK + TAG..]);
        assert!(opened(&dropped, &key).is_err());
        assert!(opened(b"SQLite format 3\0", &key).is_err());
    }

    #[test]
    fn a_key_reads_back_from_its_hex_and_is_never_printed() {
        let key = BackupKey::generate().unwrap();
        let again = BackupKey::parse(&format!("{}\n", key.to_hex())).unwrap();
        assert_eq!(again.0, key.0);
        assert!(BackupKey::parse("abc").is_err());
        assert!(!format!("{key:?}").contains(&key.to_hex()[..8]));
    }
}
