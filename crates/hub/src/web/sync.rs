//! The sync routes: enrolment, push and pull. Every failure is a 4xx/5xx
//! with a plain-text reason (a 5xx's detail goes to the log only); nothing
//! is stored unless the whole request was accepted. Wrong enrolment codes
//! and unknown device tokens are counted per client address
//! ([`super::limiter`]); past the limit the address gets 429 with
//! `Retry-After` — but a token the hub knows is served whatever its
//! address sent before.

use super::blocking::{off_thread, Storage};
use super::limiter::{self, ClientAddress, Key, Limiter};
use crate::error::HubError;
use crate::rules::devices::Scope;
use crate::storage::HubStorage;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts, Path, Query, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pcmt_core::http::{ENROL_PATH, OFFER_PATH, PULL_PATH, PUSH_PATH};
use pcmt_core::sync::attach::{
    HoldsRequest, HoldsResponse, ATTACHMENTS_PATH, ATTACHMENT_PATH, SIZE_HEADER,
};
use pcmt_core::sync::wire::{
    self, EnrolRequest, OfferRequest, PullRequest, PushRequest, MAX_MESSAGE_BYTES,
};
use pcmt_core::sync::{
    SyncError, REFUSAL_HEADER, REFUSAL_LOST, REFUSAL_MOVED, REFUSAL_RATE_LIMITED, REFUSAL_REVOKED,
};
use pcmt_model::ContentHash;
use std::sync::Arc;

/// What the sync routes work with: the store and the counts of failures.
#[derive(Clone)]
struct SyncState {
    storage: Storage,
    limiter: Arc<Limiter>,
}

impl FromRef<SyncState> for Arc<Limiter> {
    fn from_ref(state: &SyncState) -> Self {
        state.limiter.clone()
    }
}

pub(super) fn routes(storage: Storage, limiter: Arc<Limiter>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route(ENROL_PATH, post(enrol))
        .route(PUSH_PATH, post(push))
        .route(PULL_PATH, post(pull))
        .route(OFFER_PATH, post(offer))
        .route(ATTACHMENTS_PATH, post(attachment_holds))
        .route(
            &format!("{ATTACHMENT_PATH}/{{hash}}"),
            get(attachment_chunk).put(attachment_put),
        )
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

    /// The hub's own fault: the detail (a database's words, table names)
    /// goes to the log, the tablet gets a sentence for the officer.
    fn internal(error: &dyn std::error::Error) -> Self {
        tracing::error!(error = %crate::error::error_chain(error), "sync request failed");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Máy chủ gặp lỗi nội bộ; hãy đồng bộ lại sau. / The hub had an internal error; sync again later.",
        )
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
            HubError::Revoked | HubError::Lost | HubError::Forbidden(_) | HubError::Moved(_) => {
                StatusCode::FORBIDDEN
            }
            HubError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            HubError::Db(_)
            | HubError::Pg(_)
            | HubError::Pool(_)
            | HubError::Open(_)
            | HubError::Random(_)
            | HubError::Backup(_)
            | HubError::Plan(_)
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
        if status.is_server_error() {
            return Failure::internal(&e);
        }
        if let HubError::Moved(moved) = &e {
            // The tablet reads where and when, and tells the officer in
            // their language.
            return Failure {
                refusal: Some(REFUSAL_MOVED),
                ..Failure::new(status, serde_json::to_string(moved).unwrap_or_default())
            };
        }
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
        .map_err(|e| Failure::internal(&e))?
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

/// The 429 of an address whose failures reached its limit.
fn too_many(wait: std::time::Duration) -> Failure {
    HubError::TooManyAttempts {
        retry_after_s: limiter::retry_after_secs(wait),
    }
    .into()
}

/// Whether `result` is one of those the limits are for (a wrong code or an
/// unknown token: 401).
fn is_wrong<T>(result: &Result<T, Failure>) -> bool {
    matches!(result, Err(f) if f.status == StatusCode::UNAUTHORIZED)
}

/// A blocked address is refused before its code is looked at; the code
/// takes a place under its address before it is looked up (of codes sent
/// at once, no more than the limit are), and a wrong one is answered after
/// the same delay as a wrong password. Malformed requests count nothing.
async fn enrol(
    State(state): State<SyncState>,
    ClientAddress(address): ClientAddress,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let key = address.map(Key::enrol);
    let req = EnrolRequest::decode(&body)?;
    crate::rules::protocol::check_protocol(req.protocol)?;
    let attempt = state
        .limiter
        .reserve(key.as_slice())
        .await
        .map_err(too_many)?;
    let enrolment = blocking(state.storage, move |s| {
        s.enrol(&req.code, req.device, req.previous_token.as_deref())
    })
    .await;
    if is_wrong(&enrolment) {
        attempt.failed();
        tokio::time::sleep(state.limiter.limits.failure_delay).await;
    } else {
        attempt.passed();
    }
    Ok(wire::encode(&enrolment?)?)
}

/// The device a sync request comes from, from its bearer token. An
/// extractor of the request's head, so axum runs it before the body is
/// read: a request without a token the hub knows is refused with its body
/// unread. A known token is served whatever its address sent before (a
/// commune's tablets share one); an unknown one is counted, and refused
/// with 429 once its address has reached the limit.
struct Device(Scope);

impl FromRequestParts<SyncState> for Device {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &SyncState) -> Result<Self, Failure> {
        let Ok(ClientAddress(address)) = ClientAddress::from_request_parts(parts, state).await;
        let scope = match token(&parts.headers) {
            Ok(token) => blocking(state.storage.clone(), move |s| s.authenticate(&token)).await,
            Err(missing) => Err(missing),
        };
        if is_wrong(&scope) {
            let key = address.map(Key::token);
            state
                .limiter
                .count_failure(key.as_slice())
                .map_err(too_many)?;
        }
        scope.map(Device)
    }
}

async fn push(
    State(state): State<SyncState>,
    Device(scope): Device,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let req = PushRequest::decode(&body)?;
    // Encoded on the same blocking thread as the push: one hand-off
    // between threads a request, not two.
    Ok(blocking(state.storage, move |s| {
        s.push(&scope, &req).map(|ack| ack.encode_for(&req))
    })
    .await??)
}

async fn pull(
    State(state): State<SyncState>,
    Device(scope): Device,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let req: PullRequest = wire::decode(&body)?;
    let protocol = req.protocol;
    Ok(blocking(state.storage, move |s| {
        s.pull(&scope, &req).map(|batch| batch.encode_for(protocol))
    })
    .await??)
}

/// A device offering its documents by their heads to a hub of a new epoch.
async fn offer(
    State(state): State<SyncState>,
    Device(scope): Device,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let req = OfferRequest::decode(&body)?;
    let answer = blocking(state.storage, move |s| s.offer(&scope, &req)).await?;
    Ok(wire::encode(&answer)?)
}

/// Which of a tablet's files the hub holds, and how much of each.
async fn attachment_holds(
    State(state): State<SyncState>,
    Device(scope): Device,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let req: HoldsRequest = wire::decode(&body)?;
    if req.hashes.len() > pcmt_core::sync::attach::HOLDS_BATCH {
        return Err(HubError::Malformed("too many files asked about at once".into()).into());
    }
    let holds = blocking(state.storage, move |s| {
        s.attachment_holds(&scope, &req.hashes)
    })
    .await?;
    Ok(wire::encode(&HoldsResponse { holds })?)
}

/// Where a chunk goes or comes from: `?pos=N`, and `&size=N` going up.
#[derive(serde::Deserialize)]
struct ChunkAt {
    pos: u64,
    size: Option<u64>,
}

fn content_hash(text: &str) -> Result<ContentHash, Failure> {
    ContentHash::parse(text)
        .ok_or_else(|| HubError::Malformed("not an attachment's hash".into()).into())
}

/// One raw chunk of a file from a tablet.
async fn attachment_put(
    State(state): State<SyncState>,
    Device(scope): Device,
    Path(hash): Path<String>,
    Query(at): Query<ChunkAt>,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let hash = content_hash(&hash)?;
    let size = at.size.ok_or_else(|| {
        Failure::from(HubError::Malformed(
            "a chunk without its file's size".into(),
        ))
    })?;
    let ack = blocking(state.storage, move |s| {
        s.put_attachment_chunk(&scope, hash, size, at.pos, &body)
    })
    .await?;
    Ok(wire::encode(&ack)?)
}

/// A chunk of a whole file, raw, its size in [`SIZE_HEADER`]; 404 for a
/// file the device may not have as for one the hub does not hold.
async fn attachment_chunk(
    State(state): State<SyncState>,
    Device(scope): Device,
    Path(hash): Path<String>,
    Query(at): Query<ChunkAt>,
) -> Result<Response, Failure> {
    let hash = content_hash(&hash)?;
    let found = blocking(state.storage, move |s| {
        s.attachment_chunk(&scope, hash, at.pos)
    })
    .await?;
    let Some((size, bytes)) = found else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "Máy chủ không có tệp này cho máy của bạn. / The hub has no such file for this device.",
        ));
    };
    let mut response = bytes.into_response();
    response
        .headers_mut()
        .insert(SIZE_HEADER, HeaderValue::from(size));
    Ok(response)
}
