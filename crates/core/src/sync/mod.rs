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
//! more. A cut at any point loses nothing: unacknowledged pushes stay dirty
//! and are sent again; the pull cursor moves in the same transaction as the
//! changes it covers.

pub mod run;
pub mod wire;

pub use run::{run_sync, run_sync_observed, SyncReport, SyncRun};
pub use wire::{Request, Response};

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
            SyncError::Refused { status: 403, .. } => lang
                .pick(
                    "Văn phòng đã thu hồi quyền đồng bộ của máy này, hoặc hồ sơ thuộc xã khác. Dữ liệu chưa gửi vẫn còn trên máy; hãy liên hệ văn phòng.",
                    "The office has withdrawn this device, or a record belongs to another commune. Unsent data is kept on this device; contact the office.",
                )
                .into(),
            SyncError::Refused { status, message } => match lang {
                Lang::Vi => format!("Máy chủ từ chối ({status}): {message}. Dữ liệu chưa gửi vẫn còn trên máy."),
                Lang::En => format!("The hub refused ({status}): {message}. Unsent data is kept on this device."),
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
