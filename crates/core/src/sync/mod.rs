//! Sync between a device and a hub.
//!
//! The logic is sans-IO: [`SyncRun`] decides what to send next and what to do
//! with each answer; it never touches the network. A [`Transport`] carries one
//! request to the hub and brings back its answer (HTTP in [`crate::http`], an
//! in-process call or a simulated lossy network in tests).
//!
//! A run pushes first (documents with local changes, in batches, each
//! acknowledged by the hub before it is marked as held there), then pulls the
//! hub's change feed from the device's cursor until the hub says there is no
//! more (the last push asks for the first pull, answered with its
//! acknowledgement, so a small sync is one round trip; a record the device
//! has never been sent may come whole, as a snapshot). A cut at any point
//! loses nothing: unacknowledged pushes stay dirty
//! and are sent again; the pull cursor moves in the same transaction as the
//! changes it covers.
//!
//! Around the run, [`SyncSession`] makes the tablet's other decisions: a
//! renewal code is traded first, a tablet with no enrolment enrols with the
//! office's code, and a refusal that withdraws the tablet is kept for the
//! screens. [`run_session`] drives it over a [`HubLink`].
//!
//! When the tablet syncs by itself is [`AutoSync`]'s decision (sans-IO too:
//! the shell's timer drives it).

pub mod attach;
pub mod compact;
pub mod limits;
pub mod resync;
pub mod run;
pub mod schedule;
pub mod session;
pub mod wire;

pub use run::{run_sync, run_sync_observed, SyncReport, SyncRun};
pub use schedule::AutoSync;
pub use session::{run_session, HubLink, SyncSession};
pub use wire::{Request, Response};

use crate::tls::Fingerprint;
use pcmt_model::Lang;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("cannot reach the hub: {0}")]
    Unreachable(String),
    #[error("the hub refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("malformed sync message: {0}")]
    Malformed(String),
    #[error("sync message too large: {size} bytes (limit {limit})")]
    TooLarge { size: usize, limit: usize },
    #[error("this device is not enrolled with the office yet")]
    NotEnrolled,
    /// The office withdrew this device's token; a new code enrols it again.
    #[error("the office has revoked this device's token")]
    Revoked,
    /// The office marked this device lost: the hub refuses it for good.
    #[error("the office has marked this device as lost")]
    Lost,
    /// Too many failed attempts from this network; wait before trying again.
    #[error("too many failed attempts; retry in {retry_after_s} s")]
    TooManyAttempts { retry_after_s: u64 },
    /// An `http://` address of another machine: refused before anything
    /// is sent (`pcmt_model::check_hub_address`).
    #[error("a hub on another machine needs an https:// address")]
    PlainHttp,
    /// The hub presented a certificate no public authority vouches for,
    /// and none is pinned: nothing was sent. The officer compares its
    /// fingerprint with the one the office printed and confirms it.
    #[error("the hub's certificate is not trusted yet (SHA-256 {fingerprint})")]
    UnknownCertificate { fingerprint: Fingerprint },
    /// The hub presented another certificate than the one pinned: nothing
    /// was sent.
    #[error("the hub's certificate is not the one confirmed (SHA-256 {fingerprint})")]
    CertificateChanged { fingerprint: Fingerprint },
    /// A change to a person file that moved out of this tablet's commune:
    /// refused, and the file becomes a read-only note on the tablet.
    #[error("person {} moved to {} on {}", .0.id, .0.to, .0.on)]
    Moved(MovedAway),
}

/// How the hub names a refusal the tablet must tell apart (sent in the
/// [`REFUSAL_HEADER`] of a 403 or 429), so the officer is told which.
pub const REFUSAL_HEADER: &str = "x-pcmt-refusal";
pub const REFUSAL_REVOKED: &str = "revoked";
pub const REFUSAL_LOST: &str = "lost";
pub const REFUSAL_RATE_LIMITED: &str = "rate-limited";
/// A push touching a person file that moved out of the device's commune
/// (issue 20): a 403 whose body is a [`MovedAway`] as JSON.
pub const REFUSAL_MOVED: &str = "moved";

/// What the hub tells a tablet of the commune a person moved out of, when
/// it refuses that tablet's change to the file: what the tablet's
/// read-only note says (where and from when), nothing else of the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MovedAway {
    /// The person file.
    pub id: uuid::Uuid,
    /// The commune it moved to, and its name.
    pub to: String,
    pub to_name: String,
    pub on: chrono::NaiveDate,
}

impl SyncError {
    pub fn user_message(&self, lang: Lang) -> String {
        match self {
            SyncError::Unreachable(_) => lang
                .pick(
                    "Không kết nối được máy chủ huyện. Dữ liệu vẫn an toàn trên máy; lần đồng bộ sau sẽ tiếp tục.",
                    "Cannot reach the district hub. Your data is safe on this device; the next sync will continue.",
                )
                .into(),
            SyncError::NotEnrolled | SyncError::Refused { status: 401, .. } => lang
                .pick(
                    "Máy chưa được văn phòng đăng ký (hoặc mã đăng ký không đúng, đã dùng, hết hạn). Xin mã mới ở văn phòng huyện. Dữ liệu trên máy vẫn giữ nguyên.",
                    "This device is not enrolled (or the code is wrong, used or expired). Ask the district office for a new code. Data on this device is kept.",
                )
                .into(),
            SyncError::Revoked => lang
                .pick(
                    "Văn phòng đã thu hồi quyền đồng bộ của máy này: máy ngừng đồng bộ. Dữ liệu chưa gửi vẫn còn trên máy; hãy xin văn phòng huyện mã đăng ký mới rồi nhập ở Cài đặt › Đăng ký lại.",
                    "The office has revoked this device's access: it no longer syncs. Unsent data is kept on this device; ask the district office for a new enrolment code and enter it in Settings › Enrol again.",
                )
                .into(),
            SyncError::Lost => lang
                .pick(
                    "Văn phòng đã báo máy này bị mất: máy chủ huyện từ chối máy này vĩnh viễn và không thể đăng ký lại. Hãy liên hệ ngay văn phòng huyện.",
                    "The office has marked this device as lost: the district hub refuses it for good and it cannot enrol again. Contact the district office now.",
                )
                .into(),
            SyncError::TooManyAttempts { retry_after_s } => {
                let minutes = retry_after_s.div_ceil(60).max(1);
                match lang {
                    Lang::Vi => format!("Quá nhiều lần thử sai từ mạng này. Vui lòng thử lại sau {minutes} phút. Dữ liệu trên máy vẫn giữ nguyên."),
                    Lang::En => format!("Too many failed attempts from this network. Try again in {minutes} min. Data on this device is kept."),
                }
            }
            SyncError::Moved(m) => pcmt_model::residence::moved_text(lang, &m.to_name, m.on),
            SyncError::Refused { status: 403, .. } => lang
                .pick(
                    "Máy chủ từ chối: có hồ sơ thuộc xã ngoài phạm vi của máy này. Dữ liệu chưa gửi vẫn còn trên máy; hãy liên hệ văn phòng.",
                    "The hub refused: a record belongs to a commune outside this device's. Unsent data is kept on this device; contact the office.",
                )
                .into(),
            SyncError::Refused { status, message } => match lang {
                Lang::Vi => format!("Máy chủ từ chối ({status}): {message}. Dữ liệu chưa gửi vẫn còn trên máy."),
                Lang::En => format!("The hub refused ({status}): {message}. Unsent data is kept on this device."),
            },
            SyncError::PlainHttp => pcmt_model::FieldError::new(
                pcmt_model::Field::HubUrl,
                pcmt_model::Problem::PlainHttp,
            )
            .message(lang),
            SyncError::UnknownCertificate { fingerprint } => match lang {
                Lang::Vi => format!("Máy chủ dùng chứng chỉ riêng của văn phòng, máy này chưa xác nhận tin cậy nó; chưa gửi gì. Dấu vân tay: {fingerprint}. Hãy so từng nhóm với dấu vân tay văn phòng in kèm mã đăng ký, rồi xác nhận ở khung «Xác nhận chứng chỉ máy chủ» trên màn hình."),
                Lang::En => format!("The hub uses the office's own certificate, which this tablet has not confirmed yet; nothing was sent. Fingerprint: {fingerprint}. Compare each group with the fingerprint the office printed with the enrolment code, then confirm it in the “Confirm the hub's certificate” box on the screen."),
            },
            SyncError::CertificateChanged { fingerprint } => match lang {
                Lang::Vi => format!("Chứng chỉ máy chủ KHÁC chứng chỉ đã xác nhận: có thể có người giả làm máy chủ; chưa gửi gì. Dấu vân tay mới: {fingerprint}. Hãy hỏi văn phòng huyện; chỉ xác nhận chứng chỉ mới (khung trên màn hình) khi văn phòng cho biết đã đổi và dấu vân tay khớp."),
                Lang::En => format!("The hub's certificate is NOT the one confirmed: someone may be posing as the hub; nothing was sent. New fingerprint: {fingerprint}. Ask the district office; confirm the new certificate (the box on the screen) only if the office says it changed and the fingerprint matches."),
            },
            SyncError::Malformed(_) | SyncError::TooLarge { .. } => lang
                .pick(
                    "Máy chủ trả lời không hợp lệ. Dữ liệu trên máy không bị ảnh hưởng; hãy báo cán bộ kỹ thuật.",
                    "The hub sent an invalid answer. Data on this device is not affected; tell the technical officer.",
                )
                .into(),
        }
    }
}

/// Carries one request to the hub and returns its answer.
pub trait Transport {
    fn exchange(&mut self, request: &Request) -> Result<Response, SyncError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Revoked, lost and rate-limited are each told in their own words, in
    /// Vietnamese first, and none says the officer's data is gone.
    #[test]
    fn a_withdrawn_or_limited_device_is_told_which_in_vietnamese() {
        let revoked = SyncError::Revoked.user_message(Lang::Vi);
        let lost = SyncError::Lost.user_message(Lang::Vi);
        let limited = SyncError::TooManyAttempts { retry_after_s: 61 }.user_message(Lang::Vi);
        assert!(revoked.contains("thu hồi") && revoked.contains("mã đăng ký mới"));
        assert!(lost.contains("bị mất") && lost.contains("không thể đăng ký lại"));
        assert!(limited.contains("2 phút"), "{limited}");
        assert!(revoked.contains("vẫn còn trên máy") && limited.contains("giữ nguyên"));
        let other = SyncError::Refused {
            status: 403,
            message: String::new(),
        }
        .user_message(Lang::Vi);
        for m in [&lost, &limited, &other] {
            assert_ne!(&revoked, m);
        }
        assert!(SyncError::Lost.user_message(Lang::En).contains("lost"));
    }
}
