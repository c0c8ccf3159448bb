use crate::record_doc::{self, DocError};
use automerge::AutoCommit;
use pcmt_model::{FieldError, Lang};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("the record is not valid: {}", .0.iter().map(|e| e.message(Lang::En)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("database error: {0}")]
    Db(rusqlite::Error),
    /// A database other than SQLite behind a row source or writer (the
    /// hub's PostgreSQL); the hub takes its own error back out.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the device storage is full")]
    StorageFull,
    #[error("the database is read-only")]
    ReadOnly,
    #[error("record {0} not found")]
    NotFound(Uuid),
    #[error("record {id} has no conflict on field `{field}`")]
    NoConflict { id: Uuid, field: String },
    #[error("record {id} could not be read: {reason}")]
    CorruptRecord { id: String, reason: String },
    #[error("record {id} was written by a newer version of the app (schema {version})")]
    FutureSchema { id: Uuid, version: u64 },
    #[error("database migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("the database was written by a newer version of the app (version {found}, this app knows {known})")]
    DatabaseTooNew { found: i64, known: i64 },
    #[error("no org unit with code {0}")]
    UnknownOrgUnit(String),
    /// SQLCipher could not read the file with the key given: a wrong key, a
    /// plaintext database opened with a key, or the reverse.
    #[error("the database cannot be opened with this key (or is not a database)")]
    WrongKey,
    /// The app is locked (khóa): the store is closed until the PIN is given.
    #[error("the app is locked")]
    Locked,
    /// The SQLite linked in does not encrypt (not SQLCipher): `PRAGMA key`
    /// would be silently ignored and the data written in the clear.
    #[error("this build cannot encrypt the database (SQLCipher is missing)")]
    NoEncryption,
    #[error("{path}: {source}")]
    File {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("sync: {0}")]
    Sync(#[from] crate::sync::SyncError),
    /// A file the officer attached that cannot be taken (not a photo or
    /// PDF by its bytes, too large, unreadable): nothing was stored.
    #[error("attachment: {0}")]
    Attachment(#[from] crate::attach::AttachError),
    /// A renewal code given to a tablet that never enrolled: its first code
    /// belongs on the first-start screen.
    #[error("this tablet is not enrolled yet")]
    RenewalBeforeEnrolment,
    /// A certificate confirmed that is not the one the hub last presented.
    #[error("that is not the certificate the hub presented")]
    CertificateNotSeen,
}

impl CoreError {
    /// Whether the storage failed (as opposed to a record that cannot be
    /// read): the transaction must not go on.
    pub fn is_storage(&self) -> bool {
        matches!(
            self,
            CoreError::Db(_) | CoreError::Backend(_) | CoreError::StorageFull | CoreError::ReadOnly
        )
    }

    /// A sentence an officer can act on, in their language.
    pub fn user_message(&self, lang: Lang) -> String {
        match self {
            CoreError::Invalid(errs) => errs
                .iter()
                .map(|e| e.message(lang))
                .collect::<Vec<_>>()
                .join("\n"),
            CoreError::Sync(e) => e.user_message(lang),
            CoreError::Attachment(e) => e.user_message(lang),
            CoreError::FutureSchema { .. } | CoreError::DatabaseTooNew { .. } => lang
                .pick(
                    "Dữ liệu do phiên bản mới hơn của ứng dụng tạo ra. Hãy cập nhật ứng dụng.",
                    "This data was written by a newer version of the app. Please update the app.",
                )
                .into(),
            CoreError::StorageFull => lang
                .pick(
                    "Bộ nhớ máy đã đầy: chưa lưu được. Dữ liệu đã lưu trước đó vẫn nguyên vẹn. Hãy đồng bộ rồi giải phóng bộ nhớ.",
                    "The device storage is full: not saved. Data saved earlier is intact. Sync, then free some space.",
                )
                .into(),
            CoreError::ReadOnly => lang
                .pick(
                    "Không ghi được vào cơ sở dữ liệu (chỉ đọc). Dữ liệu đã lưu vẫn nguyên vẹn; hãy khởi động lại ứng dụng.",
                    "The database cannot be written (read-only). Saved data is intact; restart the app.",
                )
                .into(),
            CoreError::Locked => lang
                .pick(
                    "Ứng dụng đang khóa: nhập mã PIN để mở. Dữ liệu trên máy vẫn an toàn.",
                    "The app is locked: enter the PIN to open it. The data on this tablet is safe.",
                )
                .into(),
            CoreError::WrongKey => lang
                .pick(
                    "Không mở được dữ liệu với khóa này (sai khóa hoặc tệp không phải dữ liệu của ứng dụng). Dữ liệu không bị thay đổi.",
                    "The data cannot be opened with this key (wrong key, or not this app's data file). Nothing was changed.",
                )
                .into(),
            CoreError::RenewalBeforeEnrolment => lang
                .pick(
                    "Máy chưa đăng ký: mã đăng ký được nhập ở màn hình bắt đầu.",
                    "This tablet is not enrolled yet: the code goes in on the first-start screen.",
                )
                .into(),
            CoreError::CertificateNotSeen => lang
                .pick(
                    "Đây không phải chứng chỉ máy chủ vừa gửi. Hãy đồng bộ lại để xem chứng chỉ hiện tại rồi so lại.",
                    "That is not the certificate the hub presented. Sync again to see the current one, then compare again.",
                )
                .into(),
            other => match lang {
                Lang::Vi => format!(
                    "Lỗi lưu trữ trên máy: {other}. Dữ liệu đã lưu trước đó không bị ảnh hưởng."
                ),
                Lang::En => format!(
                    "Storage error on this device: {other}. Data saved earlier is not affected."
                ),
            },
        }
    }
}

/// A record whose document could not be interpreted during a rebuild.
#[derive(Debug)]
pub struct Unreadable {
    pub id: String,
    pub error: CoreError,
}

/// A document that cannot be read, reported by the id it was stored under:
/// one from a newer app's schema is told apart, so the officer is asked to
/// update rather than told the record is damaged.
pub(crate) fn doc_error(id: &str, e: DocError) -> CoreError {
    match (e, Uuid::parse_str(id)) {
        (DocError::FutureSchema(version), Ok(id)) => CoreError::FutureSchema { id, version },
        (e, _) => CoreError::CorruptRecord {
            id: id.to_string(),
            reason: e.to_string(),
        },
    }
}

/// The id a document claims, for error messages about a document whose
/// header could not be read.
pub(crate) fn doc_id_hint(doc: &AutoCommit) -> String {
    use automerge::ReadDoc;
    match doc.get(automerge::ROOT, record_doc::ID_KEY) {
        Ok(Some((automerge::Value::Scalar(s), _))) => s.as_str().unwrap_or("?").to_string(),
        _ => "?".into(),
    }
}

/// Full disk, read-only storage and a wrong key get their own variants: the officer must
/// be told what happened in words, not as a database error code.
impl From<rusqlite::Error> for CoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => CoreError::StorageFull,
            Some(rusqlite::ErrorCode::ReadOnly) => CoreError::ReadOnly,
            Some(rusqlite::ErrorCode::NotADatabase) => CoreError::WrongKey,
            _ => CoreError::Db(e),
        }
    }
}

/// How a core error crosses to the screens.
impl From<CoreError> for pcmt_model::api::CommandError {
    fn from(e: CoreError) -> Self {
        Self {
            fields: match &e {
                CoreError::Invalid(f) => f.clone(),
                _ => Vec::new(),
            },
            message_vi: e.user_message(Lang::Vi),
            message_en: e.user_message(Lang::En),
            locked: matches!(e, CoreError::Locked),
        }
    }
}
