//! The sync routes: enrolment, push and pull. Every failure is a 4xx/5xx
//! with a plain-text reason; nothing is stored unless the whole request was
//! accepted. Wrong enrolment codes and unknown device tokens are counted
//! per client address ([`super::limiter`]); past the limit the address gets
//! 429 with `Retry-After`.

use super::blocking::{off_thread, Storage};
use super::limiter::{self, ClientAddress, Key, Limiter};
use crate::error::HubError;
use crate::rules::devices::Scope;
use crate::storage::HubStorage;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pcmt_core::http::{ENROL_PATH, PULL_PATH, PUSH_PATH};
use pcmt_core::sync::wire::{
    self, EnrolRequest, PullRequest, PushRequest, MAX_MESSAGE_BYTES, PROTOCOL_VERSION,
};
use pcmt_core::sync::{
    SyncError, REFUSAL_HEADER, REFUSAL_LOST, REFUSAL_RATE_LIMITED, REFUSAL_REVOKED,
};
use std::sync::Arc;

/// What the sync routes work with: the store and the counts of failures.
#[derive(Clone)]
struct SyncState {
    storage: Storage,
    limiter: Arc<Limiter>,
}

pub(super) fn routes(storage: Storage, limiter: Arc<Limiter>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route(ENROL_PATH, post(enrol))
        .route(PUSH_PATH, post(push))
        .route(PULL_PATH, post(pull))
        .layer(DefaultBodyLimit::max(MAX_MESSAGE_BYTES))
        .with_state(SyncState { storage, limiter })
}

/// A refused request: its status, the reason in words, and what the tablet
/// needs to tell the officer which refusal it was.
struct Failure {
    status: StatusCode,
    message: String,
    refusal: Option<&'static str>,
    retry_after: Option<u64>,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            refusal: None,
            retry_after: None,
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.message).into_response();
        let headers = response.headers_mut();
        if let Some(code) = self.refusal {
            headers.insert(REFUSAL_HEADER, HeaderValue::from_static(code));
        }
        if let Some(secs) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<HubError> for Failure {
    fn from(e: HubError) -> Self {
        let status = match &e {
            HubError::Malformed(_) | HubError::Protocol(_) => StatusCode::BAD_REQUEST,
            HubError::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            HubError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            HubError::Revoked | HubError::Lost | HubError::Forbidden(_) => StatusCode::FORBIDDEN,
            HubError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            HubError::Db(_)
            | HubError::Pg(_)
            | HubError::Pool(_)
            | HubError::Open(_)
            | HubError::Random(_)
            | HubError::File { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            HubError::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
            HubError::Upstream(_) => StatusCode::BAD_GATEWAY,
        };
        let refusal = match &e {
            HubError::Revoked => Some(REFUSAL_REVOKED),
            HubError::Lost => Some(REFUSAL_LOST),
            HubError::TooManyAttempts { .. } => Some(REFUSAL_RATE_LIMITED),
            _ => None,
        };
        let retry_after = match &e {
            HubError::TooManyAttempts { retry_after_s } => Some(*retry_after_s),
            _ => None,
        };
        Failure {
            refusal,
            retry_after,
            ..Failure::new(status, e.to_string())
        }
    }
}

impl From<SyncError> for Failure {
    fn from(e: SyncError) -> Self {
        let status = match e {
            SyncError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        Failure::new(status, e.to_string())
    }
}

/// Runs `work` on the storage off the async workers.
async fn blocking<T: Send + 'static>(
    storage: Storage,
    work: impl FnOnce(&dyn HubStorage) -> Result<T, HubError> + Send + 'static,
) -> Result<T, Failure> {
    off_thread(storage, work)
        .await
        .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(Failure::from)
}

/// The bearer token of a sync request; every sync route requires one.
fn token(headers: &HeaderMap) -> Result<String, Failure> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .ok_or_else(|| HubError::Unauthorized("missing device token".into()).into())
}

/// The 429 of an address that reached its limit, if it has.
fn check_limit(limiter: &Limiter, key: &Option<Key>) -> Result<(), Failure> {
    match key
        .as_ref()
        .and_then(|k| limiter.blocked_for(std::slice::from_ref(k)))
    {
        Some(wait) => Err(HubError::TooManyAttempts {
            retry_after_s: limiter::retry_after_secs(wait),
        }
        .into()),
        None => Ok(()),
    }
}

/// Counts a failure under `key` when `result` is one of those the limit is
/// for (a wrong code or token: 401).
fn count_failure<T>(limiter: &Limiter, key: &Option<Key>, result: &Result<T, Failure>) -> bool {
    let counted = matches!(result, Err(f) if f.status == StatusCode::UNAUTHORIZED);
    if let (true, Some(key)) = (counted, key) {
        limiter.record_failure(std::slice::from_ref(key));
    }
    counted
}

/// A blocked address is refused before its code is looked at; a wrong code
/// is counted and answered after the same delay as a wrong password.
async fn enrol(
    State(state): State<SyncState>,
    ClientAddress(address): ClientAddress,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let key = address.map(Key::enrol);
    check_limit(&state.limiter, &key)?;
    let req = EnrolRequest::decode(&body)?;
    if req.protocol != PROTOCOL_VERSION {
        return Err(HubError::Protocol(req.protocol).into());
    }
    let enrolment = blocking(state.storage, move |s| {
        s.enrol(&req.code, req.device, req.previous_token.as_deref())
    })
    .await;
    if count_failure(&state.limiter, &key, &enrolment) {
        tokio::time::sleep(state.limiter.limits.failure_delay).await;
    }
    Ok(wire::encode(&enrolment?)?)
}

/// Authenticates before reading the body: an unknown token learns nothing
/// about how its request would have been parsed. An address that sent too
/// many unknown tokens is refused before its token is looked up.
async fn scope(
    state: &SyncState,
    address: Option<std::net::IpAddr>,
    headers: &HeaderMap,
) -> Result<Scope, Failure> {
    let key = address.map(Key::token);
    check_limit(&state.limiter, &key)?;
    let scope = match token(headers) {
        Ok(token) => blocking(state.storage.clone(), move |s| s.authenticate(&token)).await,
        Err(missing) => Err(missing),
    };
    count_failure(&state.limiter, &key, &scope);
    scope
}

async fn push(
    State(state): State<SyncState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let scope = scope(&state, address, &headers).await?;
    let req: PushRequest = wire::decode(&body)?;
    let ack = blocking(state.storage, move |s| s.push(&scope, &req)).await?;
    Ok(wire::encode(&ack)?)
}

async fn pull(
    State(state): State<SyncState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let scope = scope(&state, address, &headers).await?;
    let req: PullRequest = wire::decode(&body)?;
    let batch = blocking(state.storage, move |s| s.pull(&scope, &req)).await?;
    Ok(wire::encode(&batch)?)
}
