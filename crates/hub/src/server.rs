//! The thin HTTP layer: decode, call the store on a blocking thread, encode.
//! Every failure is a 4xx/5xx with a plain-text reason; nothing is stored
//! unless the whole request was accepted.

use crate::store::{HubError, HubStore};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pcmt_core::http::{PULL_PATH, PUSH_PATH};
use pcmt_core::sync::wire::{self, PullRequest, PushRequest, MAX_MESSAGE_BYTES};
use pcmt_core::sync::SyncError;
use std::sync::{Arc, Mutex};

type Shared = Arc<Mutex<HubStore>>;

pub fn router(hub: HubStore) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { "Sổ tay PCMT — máy chủ huyện (district hub)\n" }),
        )
        .route("/health", get(|| async { "ok\n" }))
        .route(PUSH_PATH, post(push))
        .route(PULL_PATH, post(pull))
        .layer(DefaultBodyLimit::max(MAX_MESSAGE_BYTES))
        .with_state(Arc::new(Mutex::new(hub)))
}

/// Serves until the listener fails or the future is dropped.
pub async fn serve(listener: tokio::net::TcpListener, hub: HubStore) -> std::io::Result<()> {
    axum::serve(listener, router(hub)).await
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
            HubError::Db(_) | HubError::Open(_) => StatusCode::INTERNAL_SERVER_ERROR,
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

async fn blocking<T: Send + 'static>(
    hub: Shared,
    work: impl FnOnce(&mut HubStore) -> Result<T, HubError> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(move || {
        let mut store = hub.lock().unwrap_or_else(|p| p.into_inner());
        work(&mut store)
    })
    .await
    .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(Failure::from)
}

async fn push(State(hub): State<Shared>, body: Bytes) -> Result<Vec<u8>, Failure> {
    let req: PushRequest = wire::decode(&body)?;
    let ack = blocking(hub, move |s| s.push(&req)).await?;
    Ok(wire::encode(&ack)?)
}

async fn pull(State(hub): State<Shared>, body: Bytes) -> Result<Vec<u8>, Failure> {
    let req: PullRequest = wire::decode(&body)?;
    let batch = blocking(hub, move |s| s.pull(&req)).await?;
    Ok(wire::encode(&batch)?)
}
