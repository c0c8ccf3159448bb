//! What a file becomes before a record holds it (issue 21): a photo is
//! decoded, turned upright, downscaled to [`LONG_SIDE`] pixels on its long
//! side and re-encoded as a JPEG within about [`PHOTO_BUDGET`] bytes, which
//! drops its EXIF (GPS, camera serial, the bystanders' metadata); a
//! [`THUMB_SIDE`]-pixel thumbnail is made beside it. A PDF is kept as it is
//! up to [`MAX_ATTACHMENT_BYTES`]. Anything else is refused by its bytes.
//! The record keeps its own time (and a site's position) in the
//! reference, not in the file.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use pcmt_model::{AttachmentKind, ContentHash, Lang, MAX_ATTACHMENT_BYTES};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// Pixels on a processed photo's long side: a signed sheet stays legible.
pub const LONG_SIDE: u32 = 1600;
/// Pixels on a thumbnail's long side.
pub const THUMB_SIDE: u32 = 256;
/// What a processed photo should weigh at most; the quality steps down
/// until it fits (a very busy photo may stay a little above at the last).
pub const PHOTO_BUDGET: usize = 300 * 1024;
/// The largest photo file taken in, before processing: a 50-megapixel
/// camera's JPEG is under this.
pub const MAX_INPUT_BYTES: usize = 40 * 1024 * 1024;
/// JPEG qualities tried in turn for the budget.
const QUALITIES: [u8; 4] = [82, 72, 60, 45];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachError {
    /// Not a JPEG, PNG or PDF by its bytes (whatever its name says).
    #[error("not a JPEG, PNG or PDF file")]
    NotAllowed,
    #[error("the file is too large: {size} bytes (limit {limit})")]
    TooLarge { size: u64, limit: u64 },
    /// A JPEG or PNG that does not decode (cut short, damaged), or one
    /// larger in pixels than the decoder's limits.
    #[error("the image cannot be read: {0}")]
    Unreadable(String),
    #[error("the image cannot be encoded: {0}")]
    Encode(String),
    /// The office purged this very file (a photo showing a bystander):
    /// the hub would refuse it, so the tablet does not keep it again.
    #[error("the office purged this file")]
    Purged,
}

impl AttachError {
    pub fn user_message(&self, lang: Lang) -> String {
        match self {
            Self::NotAllowed => lang
                .pick(
                    "Chỉ đính kèm được ảnh (JPEG, PNG) hoặc tệp PDF. Tệp này không phải ảnh hay PDF nên chưa được lưu.",
                    "Only photos (JPEG, PNG) or PDF files can be attached. This file is neither, so nothing was saved.",
                )
                .into(),
            Self::TooLarge { limit, .. } => {
                let mb = limit / (1024 * 1024);
                match lang {
                    Lang::Vi => format!("Tệp quá lớn (tối đa {mb} MB): chưa được lưu."),
                    Lang::En => format!("The file is too large (at most {mb} MB): nothing was saved."),
                }
            }
            Self::Purged => lang
                .pick(
                    "Văn phòng đã xóa hẳn tệp này, không đính kèm lại được.",
                    "The office purged this file: it cannot be attached again.",
                )
                .into(),
            Self::Unreadable(_) | Self::Encode(_) => lang
                .pick(
                    "Không đọc được ảnh này (tệp hỏng hoặc chưa chụp xong). Hãy chụp hoặc chọn lại.",
                    "This image cannot be read (damaged or incomplete). Take or pick it again.",
                )
                .into(),
        }
    }
}

/// A file ready to be stored: its bytes, and for a photo its thumbnail.
#[derive(Debug, Clone)]
pub struct Processed {
    pub kind: AttachmentKind,
    pub bytes: Vec<u8>,
    pub thumbnail: Option<Vec<u8>>,
}

pub fn hash_of(bytes: &[u8]) -> ContentHash {
    ContentHash(Sha256::digest(bytes).into())
}

/// Turns an officer's file into what is stored and sent.
pub fn process(file: &[u8]) -> Result<Processed, AttachError> {
    let kind = AttachmentKind::sniff(file).ok_or(AttachError::NotAllowed)?;
    let too_large = |limit: usize| AttachError::TooLarge {
        size: file.len() as u64,
        limit: limit as u64,
    };
    match kind {
        AttachmentKind::Pdf => {
            if file.len() as u64 > MAX_ATTACHMENT_BYTES {
                return Err(too_large(MAX_ATTACHMENT_BYTES as usize));
            }
            Ok(Processed {
                kind,
                bytes: file.to_vec(),
                thumbnail: None,
            })
        }
        AttachmentKind::Jpeg | AttachmentKind::Png => {
            if file.len() > MAX_INPUT_BYTES {
                return Err(too_large(MAX_INPUT_BYTES));
            }
            let image = decode(file)?;
            let photo = if image.width().max(image.height()) <= LONG_SIDE {
                image
            } else {
                image.resize(LONG_SIDE, LONG_SIDE, image::imageops::FilterType::Triangle)
            };
            let bytes = within_budget(&photo)?;
            let thumb = photo.thumbnail(THUMB_SIDE, THUMB_SIDE);
            Ok(Processed {
                kind: AttachmentKind::Jpeg,
                bytes,
                thumbnail: Some(jpeg(&thumb, 70)?),
            })
        }
    }
}

/// Decodes a JPEG or PNG, upright as its EXIF orientation says, within
/// limits a crafted header cannot talk past (a 100,000 × 100,000 PNG).
fn decode(file: &[u8]) -> Result<DynamicImage, AttachError> {
    let unreadable = |e: image::ImageError| AttachError::Unreadable(e.to_string());
    let mut reader = ImageReader::new(Cursor::new(file))
        .with_guessed_format()
        .map_err(|e| AttachError::Unreadable(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(768 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The photo as a JPEG at the first quality that fits the budget (the
/// lowest if none does).
fn within_budget(photo: &DynamicImage) -> Result<Vec<u8>, AttachError> {
    let mut last = Vec::new();
    for q in QUALITIES {
        last = jpeg(photo, q)?;
        if last.len() <= PHOTO_BUDGET {
            break;
        }
    }
    Ok(last)
}

/// A fresh JPEG of the pixels alone: no EXIF, no other metadata.
fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, AttachError> {
    let rgb = image.to_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|e| AttachError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(any(test, feature = "testing"))]
pub mod samples {
    //! Photos made in memory for the tests and the benchmark: a camera's
    //! output, noisy enough that JPEG cannot shrink it to nothing.

    use image::{ImageEncoder, Rgb, RgbImage};

    /// A `width` × `height` JPEG of a gradient with seeded noise, at
    /// quality 92, as a phone's camera writes, with an EXIF block naming a
    /// place (the bytes `GPS-SECRET-PLACE`) the processing must drop.
    pub fn camera_jpeg(width: u32, height: u32, seed: u64) -> Vec<u8> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        let img = RgbImage::from_fn(width, height, |x, y| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (state >> 59) as u8;
            Rgb([
                ((x * 255 / width.max(1)) as u8).wrapping_add(n),
                ((y * 255 / height.max(1)) as u8).wrapping_add(n),
                (((x + y) % 256) as u8) ^ n,
            ])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("an in-memory JPEG");
        with_exif(&jpeg, b"Exif\0\0GPS-SECRET-PLACE")
    }

    /// A JPEG with an APP1 segment holding `payload` after its SOI marker.
    fn with_exif(jpeg: &[u8], payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() + 2) as u16;
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    /// Stretches of a file's bytes to search a tablet's files for: a few
    /// from its middle and its end, long enough to be its own.
    pub fn needles_of(bytes: &[u8]) -> Vec<Vec<u8>> {
        let n = 48;
        [bytes.len() / 3, bytes.len() / 2, bytes.len() - n - 1]
            .iter()
            .map(|&at| bytes[at..at + n].to_vec())
            .collect()
    }

    /// How many of `needles` the files in `dir` (database, WAL, vault
    /// files, anything else) hold: the byte search of the encryption test.
    pub fn found_in(dir: &std::path::Path, needles: &[Vec<u8>]) -> usize {
        let contents: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read(e.path()).ok())
            .collect();
        needles
            .iter()
            .filter(|n| {
                contents
                    .iter()
                    .any(|c| c.windows(n.len()).any(|w| w == &n[..]))
            })
            .count()
    }

    /// A small PNG, for a screenshot attached as it is.
    pub fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, 128]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("an in-memory PNG");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_camera_photo_is_downscaled_within_budget_with_its_exif_gone() {
        let original = samples::camera_jpeg(4000, 3000, 7);
        assert!(original.windows(16).any(|w| w == b"GPS-SECRET-PLACE"));
        let p = process(&original).unwrap();
        assert_eq!(p.kind, AttachmentKind::Jpeg);
        assert!(p.bytes.len() <= PHOTO_BUDGET, "{} bytes", p.bytes.len());
        assert!(!p.bytes.windows(16).any(|w| w == b"GPS-SECRET-PLACE"));
        assert!(!p.bytes.windows(4).any(|w| w == b"Exif"));
        let photo = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((photo.width(), photo.height()), (1600, 1200));
        let thumb = image::load_from_memory(p.thumbnail.as_deref().unwrap()).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (256, 192));
    }

    #[test]
    fn a_small_png_keeps_its_size_and_becomes_a_jpeg() {
        let p = process(&samples::png(300, 200)).unwrap();
        assert_eq!(AttachmentKind::sniff(&p.bytes), Some(AttachmentKind::Jpeg));
        let photo = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((photo.width(), photo.height()), (300, 200));
    }

    #[test]
    fn a_pdf_is_kept_as_it_is_up_to_the_limit_and_anything_else_is_refused() {
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n".to_vec();
        let p = process(&pdf).unwrap();
        assert_eq!(
            (p.kind, p.bytes, p.thumbnail),
            (AttachmentKind::Pdf, pdf, None)
        );
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(MAX_ATTACHMENT_BYTES as usize + 1, b' ');
        assert!(matches!(process(&big), Err(AttachError::TooLarge { .. })));
        // A Word document named photo.jpg: its bytes say what it is.
        assert_eq!(
            process(b"PK\x03\x04word/document.xml").unwrap_err(),
            AttachError::NotAllowed
        );
        // A JPEG's magic on garbage: refused as unreadable, not stored.
        assert!(matches!(
            process(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]),
            Err(AttachError::Unreadable(_))
        ));
        assert!(!AttachError::NotAllowed.user_message(Lang::Vi).is_empty());
    }
}
