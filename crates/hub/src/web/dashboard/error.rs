//! What goes wrong on a dashboard page, in the words staff read (the page
//! that shows it is `super::pages`'s).

use crate::error::HubError;
use crate::rules::staff::{StaffError, StaffRefusal, MIN_PASSWORD_CHARS};
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
    #[error("not an administrator of the whole area the hub serves")]
    NotPlanner,
    #[error("the form's token does not match the session")]
    Forged,
    #[error("{0}")]
    BadForm(String),
    #[error("account: {0}")]
    Account(#[from] StaffError),
    #[error("no tablet {0} this account administers")]
    NoSuchTablet(String),
    /// A file the hub does not hold, of a deleted record, or of another
    /// unit: one answer for all.
    #[error("no such attachment for this account")]
    NoSuchAttachment,
    #[error("the hub's report thread stopped")]
    Stopped,
    #[error("the hub's worker stopped: {0}")]
    Worker(#[from] tokio::task::JoinError),
}

impl DashError {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            DashError::BadQuery(_) | DashError::BadFilter(_) => StatusCode::BAD_REQUEST,
            DashError::OutsideScope(_)
            | DashError::NotAdmin
            | DashError::NotPlanner
            | DashError::Forged => StatusCode::FORBIDDEN,
            DashError::BadForm(_) => StatusCode::BAD_REQUEST,
            DashError::NoSuchTablet(_) | DashError::NoSuchAttachment => StatusCode::NOT_FOUND,
            DashError::Account(e) => match e {
                StaffError::Refused(StaffRefusal::NoAccount(_)) => StatusCode::NOT_FOUND,
                StaffError::Refused(StaffRefusal::Exists(_)) => StatusCode::CONFLICT,
                StaffError::Refused(_) => StatusCode::FORBIDDEN,
                StaffError::Hash(_) | StaffError::Hub(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            },
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
            DashError::NotPlanner => lang
                .pick(
                    "Chỉ quản trị viên của đơn vị phụ trách toàn bộ các xã trên máy chủ này (văn phòng tỉnh hoặc huyện) mới được đặt hạn báo cáo và chỉ tiêu.",
                    "Only an administrator of the unit covering every commune this hub serves (the province or district office) may set deadlines and targets.",
                )
                .to_string(),
            DashError::Forged => lang
                .pick(
                    "Biểu mẫu đã hết hạn hoặc không gửi từ trang này. Hãy tải lại trang rồi làm lại.",
                    "The form has expired or was not sent from this page. Reload the page and try again.",
                )
                .to_string(),
            DashError::BadForm(what) => what.clone(),
            DashError::Account(e) => refusal_message(e, lang),
            DashError::NoSuchTablet(id) => format!(
                "{} {id}.",
                lang.pick(
                    "Không có máy tính bảng do tài khoản này quản lý với mã",
                    "No tablet this account administers has id"
                )
            ),
            DashError::NoSuchAttachment => lang
                .pick(
                    "Không có tệp này trong các hồ sơ của đơn vị bạn (tệp không có, hồ sơ đã xóa, hoặc thuộc đơn vị khác).",
                    "No such file in your unit's records (never held, its record deleted, or another unit's).",
                )
                .to_string(),
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

/// An account refusal in the staff member's words.
fn refusal_message(e: &StaffError, lang: Lang) -> String {
    match e {
        StaffError::WeakPassword => match lang {
            Lang::Vi => format!("Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự."),
            Lang::En => format!("The password needs at least {MIN_PASSWORD_CHARS} characters."),
        },
        StaffError::BadUsername => lang
            .pick(
                "Tên đăng nhập chỉ gồm 1–64 chữ cái không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới.",
                "A username is 1 to 64 letters without accents, digits, dots, dashes or underscores.",
            )
            .into(),
        StaffError::UnknownUnit(u) => format!("{} {u}.", lang.pick("Không có đơn vị", "No such unit")),
        StaffError::Refused(r) => match r {
            StaffRefusal::NotAdmin => lang
                .pick("Chỉ quản trị viên mới được quản lý tài khoản.", "Only an administrator manages accounts.")
                .into(),
            StaffRefusal::NotYours(a) => format!(
                "{} {a}.",
                lang.pick("Tài khoản này không thuộc đơn vị bạn quản lý:", "This account is outside your unit:")
            ),
            StaffRefusal::UnitNotYours(u) => format!(
                "{} {u}.",
                lang.pick(
                    "Chỉ được đặt tài khoản vào đơn vị của bạn hoặc đơn vị cấp dưới, không phải",
                    "An account may be placed only in your unit or one below it, not"
                )
            ),
            StaffRefusal::OwnAccount => lang
                .pick(
                    "Bạn không thể tự khóa, đổi đơn vị hay vai trò tài khoản của chính mình; hãy nhờ một quản trị viên khác.",
                    "You cannot disable your own account or change its unit or role; ask another administrator.",
                )
                .into(),
            StaffRefusal::NoAccount(a) => format!(
                "{} {a}.",
                lang.pick("Không có tài khoản", "No account")
            ),
            StaffRefusal::Exists(a) => format!(
                "{} {a}.",
                lang.pick("Đã có tài khoản tên", "There is already an account named")
            ),
        },
        StaffError::Hash(_) | StaffError::Hub(_) => lang
            .pick("Máy chủ gặp lỗi; hãy thử lại sau.", "The hub failed; try again later.")
            .into(),
    }
}
