//! The hub's one error type, at the bottom of the layers: every other
//! module returns it, and it imports none of them. It names both databases'
//! errors because the storage traits above are shared by both stores.

use pcmt_core::sync::wire::{OLDEST_PROTOCOL, PROTOCOL_VERSION};
use pcmt_core::CoreError;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("protocol version {0} is not supported (this hub speaks {OLDEST_PROTOCOL} to {PROTOCOL_VERSION})")]
    Protocol(u16),
    #[error("record {id} refused: {reason}")]
    Rejected { id: String, reason: String },
    #[error("hub database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("hub database error (PostgreSQL): {0}")]
    Pg(#[from] postgres::Error),
    #[error("no connection to the hub's PostgreSQL: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("{0}")]
    Unsupported(String),
    #[error("hub start-up: {0}")]
    Open(#[from] CoreError),
    #[error("not authorized: {0}")]
    Unauthorized(String),
    // These three reach officers' tablets and the office as they are:
    // Vietnamese first.
    #[error("Văn phòng đã thu hồi quyền đồng bộ của máy này. / This device has been revoked by the office.")]
    Revoked,
    #[error("Văn phòng đã báo máy này bị mất: không thể đăng ký lại. / This device has been marked lost by the office and may not enrol again.")]
    Lost,
    #[error("Quá nhiều lần thử sai từ địa chỉ này; thử lại sau {retry_after_s} giây. / Too many failed attempts from this address; retry in {retry_after_s} s.")]
    TooManyAttempts { retry_after_s: u64 },
    #[error("outside this device's communes: {0}")]
    Forbidden(String),
    /// A change from a device of the commune a person file moved out of.
    #[error("record {} moved to {} on {}", .0.id, .0.to, .0.on)]
    Moved(pcmt_core::sync::MovedAway),
    #[error("no randomness available: {0}")]
    Random(String),
    /// A backup that cannot be made, read or restored: the office's words,
    /// Vietnamese first.
    #[error("{0}")]
    Backup(String),
    /// The province plan as stored does not read (written by a newer hub).
    #[error("the stored province plan does not read: {0}")]
    Plan(String),
    #[error("the higher hub: {0}")]
    Upstream(String),
    /// A file the hub keeps outside its database (the uplink's token).
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// An error and its sources in one line, for the log: the detail is often
/// in a source (PostgreSQL's client says only "db error" itself). Answers
/// to clients never carry it.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let more = e.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = e.source();
    }
    text
}
