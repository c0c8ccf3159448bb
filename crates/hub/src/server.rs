//! The thin HTTP layer: decode, call the store on a blocking thread, encode.
//! Every failure is a 4xx/5xx with a plain-text reason; nothing is stored
//! unless the whole request was accepted.

use crate::dashboard::auth::Limits;
use crate::devices::Scope;
use crate::storage::HubStorage;
use crate::store::{HubError, HubStore};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use pcmt_core::http::{ENROL_PATH, PULL_PATH, PUSH_PATH};
use pcmt_core::sync::wire::{
    self, EnrolRequest, PullRequest, PushRequest, MAX_MESSAGE_BYTES, PROTOCOL_VERSION,
};
use pcmt_core::sync::SyncError;
use std::sync::{Arc, Mutex};

/// The SQLite hub store as the binary, tests and benchmarks hold it; it
/// serves as a [`Storage`] too.
pub type Shared = Arc<Mutex<HubStore>>;

/// Any hub storage behind the routes: SQLite or PostgreSQL.
pub type Storage = Arc<dyn HubStorage>;

/// The sync routes and the office dashboard, with the dashboard's default
/// sign-in limits.
pub fn router(storage: Storage) -> Router {
    router_with(storage, Limits::default())
}

pub fn router_with(storage: Storage, limits: Limits) -> Router {
    sync_routes(storage.clone())
        .route("/", get(|| async { Redirect::to(crate::dashboard::HOME) }))
        .merge(crate::dashboard::router(storage, limits))
}

fn sync_routes(storage: Storage) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route(ENROL_PATH, post(enrol))
        .route(PUSH_PATH, post(push))
        .route(PULL_PATH, post(pull))
        .layer(DefaultBodyLimit::max(MAX_MESSAGE_BYTES))
        .with_state(storage)
}

/// Serves until the listener fails or the future is dropped. Client
/// addresses reach the handlers for the dashboard's sign-in limits.
pub async fn serve(listener: tokio::net::TcpListener, storage: Storage) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(storage).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}

struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

impl From<HubError> for Failure {
    fn from(e: HubError) -> Self {
        let status = match &e {
            HubError::Malformed(_) | HubError::Protocol(_) => StatusCode::BAD_REQUEST,
            HubError::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            HubError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            HubError::Revoked | HubError::Forbidden(_) => StatusCode::FORBIDDEN,
            HubError::Db(_)
            | HubError::Pg(_)
            | HubError::Pool(_)
            | HubError::Open(_)
            | HubError::Random(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HubError::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
            HubError::Upstream(_) => StatusCode::BAD_GATEWAY,
        };
        Failure(status, e.to_string())
    }
}

impl From<SyncError> for Failure {
    fn from(e: SyncError) -> Self {
        let status = match e {
            SyncError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        Failure(status, e.to_string())
    }
}

/// Runs `work` on the storage on a blocking thread: database calls never
/// hold up the async workers (and the PostgreSQL client must not run on them).
async fn blocking<T: Send + 'static>(
    storage: Storage,
    work: impl FnOnce(&dyn HubStorage) -> Result<T, HubError> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(move || work(&*storage))
        .await
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(Failure::from)
}

/// The bearer token of a sync request; every sync route requires one.
fn token(headers: &HeaderMap) -> Result<String, Failure> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .ok_or_else(|| Failure(StatusCode::UNAUTHORIZED, "missing device token".into()))
}

async fn enrol(State(hub): State<Storage>, body: Bytes) -> Result<Vec<u8>, Failure> {
    let req: EnrolRequest = wire::decode(&body)?;
    if req.protocol != PROTOCOL_VERSION {
        return Err(HubError::Protocol(req.protocol).into());
    }
    let enrolment = blocking(hub, move |s| s.enrol(&req.code, req.device)).await?;
    Ok(wire::encode(&enrolment)?)
}

/// Authenticates before reading the body: an unknown token learns nothing
/// about how its request would have been parsed.
async fn scope(hub: &Storage, headers: &HeaderMap) -> Result<Scope, Failure> {
    let token = token(headers)?;
    blocking(hub.clone(), move |s| s.authenticate(&token)).await
}

async fn push(
    State(hub): State<Storage>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let scope = scope(&hub, &headers).await?;
    let req: PushRequest = wire::decode(&body)?;
    let ack = blocking(hub, move |s| s.push(&scope, &req)).await?;
    Ok(wire::encode(&ack)?)
}

async fn pull(
    State(hub): State<Storage>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Vec<u8>, Failure> {
    let scope = scope(&hub, &headers).await?;
    let req: PullRequest = wire::decode(&body)?;
    let batch = blocking(hub, move |s| s.pull(&scope, &req)).await?;
    Ok(wire::encode(&batch)?)
}
