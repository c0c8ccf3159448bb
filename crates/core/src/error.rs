use pcmt_model::{FieldError, Lang};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("the record is not valid: {}", .0.iter().map(|e| e.message(Lang::En)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
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
    #[error("sync: {0}")]
    Sync(#[from] crate::sync::SyncError),
}

impl CoreError {
    /// A sentence an officer can act on, in their language.
    pub fn user_message(&self, lang: Lang) -> String {
        match self {
            CoreError::Invalid(errs) => errs
                .iter()
                .map(|e| e.message(lang))
                .collect::<Vec<_>>()
                .join("\n"),
            CoreError::Sync(e) => e.user_message(lang),
            CoreError::FutureSchema { .. } | CoreError::DatabaseTooNew { .. } => lang
                .pick(
                    "Dữ liệu do phiên bản mới hơn của ứng dụng tạo ra. Hãy cập nhật ứng dụng.",
                    "This data was written by a newer version of the app. Please update the app.",
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
        }
    }
}
