//! Attachments (ảnh, tệp đính kèm): photos of a session, a site before and
//! after it is destroyed, a scanned decision in a person's file.
//!
//! A record refers to its attachments by content hash ([`AttachmentRef`]);
//! the bytes live apart (the tablet's encrypted store, the hub's database)
//! and travel after the records, by hash, so the same photo is never sent
//! twice. What a file is comes from its bytes ([`AttachmentKind::sniff`]),
//! never from its name.

use crate::geometry::GeoPoint;
use crate::labelled_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

labelled_enum!(
    /// What an attachment is, by its bytes.
    AttachmentKind {
        Jpeg = ("jpeg", "Ảnh JPEG", "JPEG photo"),
        Png = ("png", "Ảnh PNG", "PNG image"),
        Pdf = ("pdf", "Tệp PDF", "PDF document"),
    }
);

impl AttachmentKind {
    /// The kind the bytes' magic number says, or None for anything else
    /// (a Word file renamed `.jpg` included).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
        }
    }
}

/// A SHA-256 of an attachment's bytes: its name everywhere. Written as 64
/// lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    pub fn hex(&self) -> String {
        self.to_string()
    }

    /// Reads 64 hex digits (either case); None for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let mut out = [0u8; 32];
        for (i, pair) in text.chunks(2).enumerate() {
            out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(Self(out))
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

impl Serialize for ContentHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom("not a SHA-256 in hex"))
    }
}

/// The largest file an officer may attach, after processing (a photo is
/// re-encoded to a few hundred KB; a PDF is kept as it is).
pub const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;

/// One attachment as its record holds it. Kept in the record's document
/// under `attachments`, one item per `hash`, so two officers adding
/// photos to one record at the same time both keep theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub hash: ContentHash,
    pub kind: AttachmentKind,
    /// Bytes of the attachment as stored (after processing).
    pub size: u64,
    /// The small image shown in the record (a JPEG), if one was made: PDFs
    /// have none.
    #[serde(default)]
    pub thumbnail: Option<ContentHash>,
    /// When the photo was taken or the file attached: the record's own
    /// time, since processing drops the photo's EXIF.
    pub taken_at: DateTime<Utc>,
    /// The site of a survey it shows (a survey's attachments name the
    /// site; a photo of the sweep itself names none).
    #[serde(default)]
    pub site: Option<Uuid>,
    /// Where it was taken: for a site only, shown to the officer.
    #[serde(default)]
    pub position: Option<GeoPoint>,
}

/// What a record shows in place of a file the office purged.
pub fn purged_note(lang: crate::Lang) -> &'static str {
    lang.pick("Tệp đã bị văn phòng xóa", "File removed by the office")
}

impl AttachmentRef {
    /// The hashes this reference needs at the hub: the file and its
    /// thumbnail.
    pub fn hashes(&self) -> impl Iterator<Item = ContentHash> {
        std::iter::once(self.hash).chain(self.thumbnail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_bytes_not_the_name() {
        assert_eq!(
            AttachmentKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(AttachmentKind::Jpeg)
        );
        assert_eq!(
            AttachmentKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(AttachmentKind::Png)
        );
        assert_eq!(
            AttachmentKind::sniff(b"%PDF-1.7\n"),
            Some(AttachmentKind::Pdf)
        );
        // A Word file, an executable, text, a truncated magic: refused.
        for other in [
            &b"PK\x03\x04word/document.xml"[..],
            b"MZ\x90\0",
            b"hello.jpg",
            &[0xFF, 0xD8],
            b"\x89PNG",
            b"",
        ] {
            assert_eq!(AttachmentKind::sniff(other), None, "{other:?}");
        }
    }

    #[test]
    fn attachment_kinds_are_well_labelled() {
        crate::lang::tests::assert_well_labelled::<AttachmentKind>();
    }

    #[test]
    fn a_hash_reads_back_from_its_hex_and_nothing_else_reads() {
        let h = ContentHash([0xAB; 32]);
        assert_eq!(ContentHash::parse(&h.hex()), Some(h));
        assert_eq!(ContentHash::parse(&h.hex().to_uppercase()), Some(h));
        assert_eq!(ContentHash::parse(&h.hex()[1..]), None);
        assert_eq!(ContentHash::parse(&format!("{}zz", &h.hex()[2..])), None);
        let r = AttachmentRef {
            hash: h,
            kind: AttachmentKind::Jpeg,
            size: 1,
            thumbnail: None,
            taken_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            site: None,
            position: None,
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["hash"], h.hex());
        assert_eq!(serde_json::from_value::<AttachmentRef>(json).unwrap(), r);
    }
}
