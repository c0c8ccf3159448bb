//! Signing in and out, and the session every other page requires: the
//! cookie, its check against the store, the sign-in limit. The account
//! rules are `crate::staff`'s.

use super::error::DashError;
use super::html::lang_of;
use super::lane::Lane;
use super::pages;
use super::paths::{HOME, LOGIN};
use crate::rules::audit::Entry;
use crate::rules::staff::Staff;
use crate::staff as auth;
use crate::storage::HubStorage;
use crate::web::blocking::{off_thread, Storage};
use crate::web::limiter::{login_keys, ClientAddress, Key, Limiter};
use crate::web::serve::OverTls;
use axum::extract::{Form, FromRef, FromRequestParts, Query, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use pcmt_model::Lang;
use serde::Deserialize;
use std::sync::Arc;

const COOKIE_NAME: &str = "pcmt_staff";

/// What every dashboard route works with.
#[derive(Clone)]
pub struct DashState {
    pub(super) storage: Storage,
    pub(super) limiter: Arc<Limiter>,
    /// Where report pages and downloads are computed.
    pub(super) reports: Arc<Lane>,
}

impl FromRef<DashState> for Arc<Limiter> {
    fn from_ref(state: &DashState) -> Self {
        state.limiter.clone()
    }
}

/// Runs `work` on the storage on a blocking thread: database calls never
/// hold up the async workers (and the PostgreSQL client must not run on them).
pub(super) async fn on_storage<T: Send + 'static>(
    storage: &Storage,
    work: impl FnOnce(&dyn HubStorage) -> Result<T, DashError> + Send + 'static,
) -> Result<T, DashError> {
    off_thread(storage.clone(), work).await?
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

/// The staff member of the request's live session, and the session's
/// token (the administration forms' CSRF token is derived from it); no
/// live session sends the browser to the sign-in page.
pub(super) async fn signed_in(
    parts: &Parts,
    state: &DashState,
) -> Result<(Staff, String), Response> {
    let to_login = || Redirect::to(LOGIN).into_response();
    let Some(token) = cookie_token(&parts.headers) else {
        return Err(to_login());
    };
    let key = token.clone();
    let session = on_storage(&state.storage, move |s| {
        // A list loaded by another hub process (or `--load-units`) shows
        // from the next page on.
        s.refresh_units()?;
        Ok(auth::session_of(s, &key)?)
    });
    match session.await {
        Ok(Some(staff)) => Ok((staff, token)),
        Ok(None) => Err(to_login()),
        Err(e) => Err(e.page(Lang::Vi)),
    }
}

/// A signed-in staff member with the token their forms must carry
/// (`rules::staff::csrf_token`): the pages that write ask for this.
pub(super) struct Signed {
    pub(super) staff: Staff,
    pub(super) csrf: String,
    session: String,
}

impl Signed {
    /// Refuses a form whose token is not this session's.
    pub(super) fn check(&self, sent: &str) -> Result<(), DashError> {
        if auth::csrf_matches(&self.session, sent) {
            Ok(())
        } else {
            Err(DashError::Forged)
        }
    }
}

impl FromRequestParts<DashState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &DashState) -> Result<Self, Response> {
        let (staff, session) = signed_in(parts, state).await?;
        Ok(Signed {
            csrf: auth::csrf_token(&session),
            staff,
            session,
        })
    }
}

/// Every dashboard page but the sign-in asks for this.
impl FromRequestParts<DashState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &DashState) -> Result<Self, Response> {
        signed_in(parts, state).await.map(|(staff, _)| staff)
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct LangQuery {
    pub(super) lang: Option<String>,
}

/// The page language a request's query asks for (`?lang=en`), read as
/// every page reads it.
pub(super) fn lang_of_request(parts: &Parts) -> Lang {
    let asked = Query::<LangQuery>::try_from_uri(&parts.uri)
        .ok()
        .and_then(|q| q.0.lang);
    lang_of(asked.as_deref())
}

pub(super) async fn login_page(Query(q): Query<LangQuery>) -> Html<String> {
    Html(pages::login_page(None, "", lang_of(q.lang.as_deref())))
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    lang: Option<String>,
}

pub(super) async fn login(
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
    // A place is taken before the password is checked: of sign-ins sent
    // at once, no more than the limit reach Argon2.
    let keys = login_keys(&form.username, address);
    let attempt = match state.limiter.reserve(&keys).await {
        Ok(attempt) => attempt,
        Err(wait) => {
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
    };
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
            attempt.passed();
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
            attempt.failed();
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
        // The hub's fault, not a guess.
        Err(e) => {
            attempt.passed();
            e.page(lang)
        }
    }
}

fn home_link(lang: Lang) -> String {
    match lang {
        Lang::Vi => HOME.to_string(),
        Lang::En => format!("{HOME}?lang=en"),
    }
}

pub(super) async fn logout(
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
