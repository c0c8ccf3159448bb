//! What goes wrong on a dashboard page, in the words staff read (the page
//! that shows it is `super::pages`'s).

use crate::error::HubError;
use axum::http::StatusCode;
use pcmt_model::Lang;

/// What goes wrong on a page, in the words staff read.
#[derive(Debug, thiserror::Error)]
pub enum DashError {
    #[error("{0}")]
    BadQuery(String),
    #[error("{0}")]
    BadFilter(String),
    #[error("unit {0} is outside this account's unit")]
    OutsideScope(String),
    #[error("no such download: {0}")]
    NoSuchFormat(String),
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error("report: {0}")]
    Core(#[from] pcmt_core::CoreError),
    #[error("export: {0}")]
    Export(#[from] pcmt_export::ExportError),
    #[error("not an administrator")]
    NotAdmin,
    #[error("the form's token does not match the session")]
    Forged,
    #[error("{0}")]
    BadForm(String),
    #[error("no tablet {0} this account administers")]
    NoSuchTablet(String),
    #[error("the hub's report thread stopped")]
    Stopped,
    #[error("the hub's worker stopped: {0}")]
    Worker(#[from] tokio::task::JoinError),
}

impl DashError {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            DashError::BadQuery(_) | DashError::BadFilter(_) => StatusCode::BAD_REQUEST,
            DashError::OutsideScope(_) | DashError::NotAdmin | DashError::Forged => {
                StatusCode::FORBIDDEN
            }
            DashError::BadForm(_) => StatusCode::BAD_REQUEST,
            DashError::NoSuchTablet(_) => StatusCode::NOT_FOUND,
            DashError::NoSuchFormat(_) => StatusCode::NOT_FOUND,
            DashError::Core(pcmt_core::CoreError::UnknownOrgUnit(_)) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message shown on the page, Vietnamese first.
    pub(super) fn message(&self, lang: Lang) -> String {
        match self {
            DashError::BadQuery(what) => format!(
                "{}: {what}",
                lang.pick("Kỳ báo cáo không hợp lệ", "Invalid period")
            ),
            DashError::BadFilter(what) => format!(
                "{}: {what}",
                lang.pick("Bộ lọc không hợp lệ", "Invalid filter")
            ),
            DashError::OutsideScope(unit) => format!(
                "{} {unit}.",
                lang.pick(
                    "Tài khoản này không được xem số liệu của đơn vị",
                    "This account may not see the figures of unit"
                )
            ),
            DashError::NotAdmin => lang
                .pick(
                    "Chỉ quản trị viên của đơn vị mới được quản lý máy tính bảng và tài khoản. Tài khoản này chỉ xem báo cáo.",
                    "Only an administrator of the unit may manage tablets and accounts. This account reads reports only.",
                )
                .to_string(),
            DashError::Forged => lang
                .pick(
                    "Biểu mẫu đã hết hạn hoặc không gửi từ trang này. Hãy tải lại trang rồi làm lại.",
                    "The form has expired or was not sent from this page. Reload the page and try again.",
                )
                .to_string(),
            DashError::BadForm(what) => what.clone(),
            DashError::NoSuchTablet(id) => format!(
                "{} {id}.",
                lang.pick(
                    "Không có máy tính bảng do tài khoản này quản lý với mã",
                    "No tablet this account administers has id"
                )
            ),
            DashError::NoSuchFormat(f) => format!(
                "{} {f}.",
                lang.pick("Không có định dạng tải về", "No download format")
            ),
            DashError::Core(pcmt_core::CoreError::UnknownOrgUnit(u)) => {
                format!("{} {u}.", lang.pick("Không có đơn vị", "No such unit"))
            }
            // The detail (a database's words) is logged, never shown.
            _ => lang
                .pick(
                    "Máy chủ gặp lỗi khi lập báo cáo; hãy thử lại sau.",
                    "The hub failed to build the report; try again later.",
                )
                .to_string(),
        }
    }
}
