//! The office dashboard (trang tổng hợp của văn phòng): server-rendered
//! pages for office staff, behind a sign-in. It shows the report
//! (`pcmt_core::report::compute` over the hub's projection rows) for a
//! period and an org unit within the staff member's own, trends by month,
//! the communes' coverage, a plot of the sites found, and the exports of
//! `pcmt-export` as downloads.
//!
//! - staff accounts (Argon2id) and sessions are `crate::staff`'s; failed
//!   sign-ins are counted by `super::limiter`.
//! - `query`: what the period and unit choosers send, read into a `Period`.
//! - `figures`: everything a page shows, from rows read as of one moment.
//! - `pages`, `charts`: HTML and inline SVG, Vietnamese first.
//! - `downloads`: the export files with their content types and names.
//! - `audit`: the audit log's page (`crate::audit`); downloads and sign-ins
//!   are logged here, in their handlers.

mod audit;
mod charts;
mod downloads;
mod figures;
mod pages;
mod query;

use super::limiter::{login_keys, ClientAddress, Key, Limiter};
use super::{off_thread, OverTls, Storage};
use crate::error::HubError;
use crate::rules::audit::Entry;
use crate::rules::staff::Staff;
use crate::staff as auth;
use crate::storage::{with_rows, HubStorage};
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use pcmt_model::Lang;
use query::ReportQuery;
use serde::Deserialize;
use std::sync::Arc;

pub const HOME: &str = "/dashboard";
pub const LOGIN: &str = "/dashboard/login";
const LOGOUT: &str = "/dashboard/logout";
const COOKIE_NAME: &str = "pcmt_staff";

#[derive(Clone)]
pub struct DashState {
    storage: Storage,
    limiter: Arc<Limiter>,
}

/// Runs `work` on the storage on a blocking thread: database calls never
/// hold up the async workers (and the PostgreSQL client must not run on them).
async fn on_storage<T: Send + 'static>(
    storage: &Storage,
    work: impl FnOnce(&dyn HubStorage) -> Result<T, DashError> + Send + 'static,
) -> Result<T, DashError> {
    off_thread(storage.clone(), work).await?
}

/// The dashboard's routes; `limiter` counts failed sign-ins (shared with
/// the sync routes' counts of codes and tokens).
pub fn router(storage: Storage, limiter: Arc<Limiter>) -> Router {
    Router::new()
        .route(HOME, get(report_page))
        .route(LOGIN, get(login_page).post(login))
        .route(LOGOUT, axum::routing::post(logout))
        .route("/dashboard/export/{format}", get(download))
        .route(audit::AUDIT, get(audit::audit_page))
        .with_state(DashState { storage, limiter })
}

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
    #[error("the hub's worker stopped: {0}")]
    Worker(#[from] tokio::task::JoinError),
}

impl DashError {
    fn status(&self) -> StatusCode {
        match self {
            DashError::BadQuery(_) | DashError::BadFilter(_) => StatusCode::BAD_REQUEST,
            DashError::OutsideScope(_) => StatusCode::FORBIDDEN,
            DashError::NoSuchFormat(_) => StatusCode::NOT_FOUND,
            DashError::Core(pcmt_core::CoreError::UnknownOrgUnit(_)) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message shown on the page, Vietnamese first.
    fn message(&self, lang: Lang) -> String {
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
            DashError::NoSuchFormat(f) => format!(
                "{} {f}.",
                lang.pick("Không có định dạng tải về", "No download format")
            ),
            DashError::Core(pcmt_core::CoreError::UnknownOrgUnit(u)) => {
                format!("{} {u}.", lang.pick("Không có đơn vị", "No such unit"))
            }
            other => format!(
                "{} ({other})",
                lang.pick(
                    "Máy chủ gặp lỗi khi lập báo cáo",
                    "The hub failed to build the report"
                )
            ),
        }
    }

    fn page(&self, lang: Lang) -> Response {
        if self.status().is_server_error() {
            tracing::error!(error = %self, "dashboard");
        }
        (
            self.status(),
            Html(pages::error_page(&self.message(lang), lang)),
        )
            .into_response()
    }
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) use pcmt_model::text::number;

/// Percent-encodes everything but RFC 3986's unreserved characters: for
/// query strings and RFC 5987 file names alike.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(&format!("{COOKIE_NAME}="))
                .map(str::to_string)
        })
        .filter(|t| !t.is_empty())
}

/// The session cookie; `Secure` when the hub serves HTTPS (a hub on plain
/// HTTP in the office network could not set it back otherwise).
fn session_cookie(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("pcmt_staff=; Path=/dashboard; Max-Age=0"))
}

/// Every dashboard page but the sign-in asks for this: no live session
/// sends the browser to the sign-in page.
impl FromRequestParts<DashState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &DashState) -> Result<Self, Response> {
        let to_login = || Redirect::to(LOGIN).into_response();
        let Some(token) = cookie_token(&parts.headers) else {
            return Err(to_login());
        };
        match on_storage(&state.storage, move |s| Ok(auth::session_of(s, &token)?)).await {
            Ok(Some(staff)) => Ok(staff),
            Ok(None) => Err(to_login()),
            Err(e) => Err(e.page(Lang::Vi)),
        }
    }
}

#[derive(Debug, Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

fn lang_of(code: Option<&str>) -> Lang {
    match code {
        Some("en") => Lang::En,
        _ => Lang::Vi,
    }
}

async fn login_page(Query(q): Query<LangQuery>) -> Html<String> {
    Html(pages::login_page(None, "", lang_of(q.lang.as_deref())))
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    lang: Option<String>,
}

async fn login(
    State(state): State<DashState>,
    ClientAddress(address): ClientAddress,
    OverTls(secure): OverTls,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(form.lang.as_deref());
    let refuse = |status: StatusCode, message: String| {
        (
            status,
            Html(pages::login_page(Some(&message), &form.username, lang)),
        )
            .into_response()
    };
    let keys = login_keys(&form.username, address);
    if let Some(wait) = state.limiter.blocked_for(&keys) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            match lang {
                Lang::Vi => {
                    format!("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút.")
                }
                Lang::En => format!("Too many failed sign-ins. Try again in {minutes} min."),
            },
        );
    }
    let result = async {
        let username = form.username.clone();
        let found = on_storage(&state.storage, move |s| {
            Ok(auth::staff_credentials(s, &username)?)
        })
        .await?;
        let password = form.password.clone();
        let (phc, staff) = match found {
            Some((phc, staff)) => (phc, Some(staff)),
            None => (auth::decoy_hash().to_string(), None),
        };
        let ok =
            tokio::task::spawn_blocking(move || auth::verify_password(&phc, &password)).await?;
        match staff {
            Some(staff) if ok => Ok(Ok(on_storage(&state.storage, move |s| {
                Ok(auth::open_session(s, &staff, address)?)
            })
            .await?)),
            account => Ok::<_, DashError>(Err(account)),
        }
    }
    .await;
    match result {
        Ok(Ok(token)) => {
            state
                .limiter
                .forget(&Key::Username(auth::normalize_username(&form.username)));
            let mut response = Redirect::to(&home_link(lang)).into_response();
            response.headers_mut().insert(
                SET_COOKIE,
                session_cookie(&token, auth::SESSION_SECS, secure),
            );
            response
        }
        Ok(Err(account)) => {
            state.limiter.record_failure(&keys);
            // Only failures the limiter lets through are checked and
            // logged, so it bounds the log's growth too.
            let entry = Entry::sign_in_failed(
                account
                    .as_ref()
                    .map(|a| (a.username.as_str(), a.unit.as_str())),
                address,
            );
            if let Err(e) = on_storage(&state.storage, move |s| Ok(s.append_audit(&entry)?)).await {
                return e.page(lang);
            }
            tokio::time::sleep(state.limiter.limits.failure_delay).await;
            refuse(
                StatusCode::UNAUTHORIZED,
                lang.pick(
                    "Tên đăng nhập hoặc mật khẩu không đúng.",
                    "Wrong username or password.",
                )
                .to_string(),
            )
        }
        Err(e) => e.page(lang),
    }
}

fn home_link(lang: Lang) -> String {
    match lang {
        Lang::Vi => HOME.to_string(),
        Lang::En => format!("{HOME}?lang=en"),
    }
}

async fn logout(
    State(state): State<DashState>,
    OverTls(secure): OverTls,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = cookie_token(&headers) {
        if let Err(e) =
            on_storage(&state.storage, move |s| Ok(auth::close_session(s, &token)?)).await
        {
            tracing::warn!(error = %e, "could not end a staff session");
        }
    }
    let mut response = Redirect::to(LOGIN).into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, session_cookie("", 0, secure));
    response
}

/// The unit asked for, which must lie within the staff member's own.
fn unit_in_scope(
    state_units: &pcmt_model::OrgTree,
    staff: &Staff,
    q: &ReportQuery,
) -> Result<String, DashError> {
    let unit = q.unit().unwrap_or(&staff.unit).to_string();
    if state_units.get(&unit).is_none() {
        return Err(pcmt_core::CoreError::UnknownOrgUnit(unit).into());
    }
    if !state_units.is_within(&unit, &staff.unit) {
        return Err(DashError::OutsideScope(unit));
    }
    Ok(unit)
}

async fn report_page(
    State(state): State<DashState>,
    staff: Staff,
    Query(q): Query<ReportQuery>,
) -> Response {
    let lang = q.lang();
    let result = async {
        let today = chrono::Local::now().date_naive();
        let period = q.period(today)?;
        on_storage(&state.storage, move |s| {
            let (units, rules) = (s.units(), s.rules());
            let unit = unit_in_scope(&units, &staff, &q)?;
            let figures = with_rows(s, |rows| {
                figures::Figures::compute(rows, &units, &rules, &unit, &period)
            })??;
            Ok(pages::report_page(
                &staff, &q, &figures, &units, today, lang,
            ))
        })
        .await
    }
    .await;
    match result {
        Ok(html) => Html(html).into_response(),
        Err(e) => e.page(lang),
    }
}

async fn download(
    State(state): State<DashState>,
    staff: Staff,
    Path(format): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let lang = q.lang();
    let result = async {
        let format = downloads::format_named(&format)?;
        let period = q.period(chrono::Local::now().date_naive())?;
        on_storage(&state.storage, move |s| {
            let (units, rules) = (s.units(), s.rules());
            let unit = unit_in_scope(&units, &staff, &q)?;
            let file = with_rows(s, |rows| {
                downloads::file(rows, &units, &rules, format, &unit, &period, lang)
            })??;
            // Logged before it leaves; a download that cannot be logged is not served.
            s.append_audit(&Entry::export(&staff.username, &unit, format, &period))?;
            Ok(file)
        })
        .await
    }
    .await;
    match result {
        Ok(response) => response,
        Err(e) => e.page(lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_queries_are_percent_encoded_as_utf8() {
        assert_eq!(percent_encode("Đăk Pék"), "%C4%90%C4%83k%20P%C3%A9k");
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
