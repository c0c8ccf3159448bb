//! The HTTP layer, thin: decode, call the storage traits off the async
//! workers, encode. The sync routes ([`sync`]) and the office dashboard
//! ([`dashboard`]) share one router, one count of failed attempts
//! ([`limiter`]) and one way onto a blocking thread ([`off_thread`]). Plain
//! HTTP, or HTTPS with rustls when the office gives the hub a certificate
//! ([`serve_tls`]). Nothing here names a database.

mod blocking;
pub mod dashboard;
pub mod limiter;
mod serve;
mod sync;

pub use blocking::{off_thread, Storage};
pub use limiter::Limits;
pub use serve::{serve_router, serve_tls, tls_config, OverTls, RustlsConfig};

use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use limiter::Limiter;
use std::sync::Arc;

/// The sync routes and the office dashboard, with the dashboard's default
/// sign-in limits.
pub fn router(storage: Storage) -> Router {
    router_with(storage, Limits::default())
}

/// As [`router`], with these limits on failed sign-ins, codes and tokens
/// (one count shared by the dashboard and the sync routes).
pub fn router_with(storage: Storage, limits: Limits) -> Router {
    let limiter = Arc::new(Limiter::new(limits));
    sync::routes(storage.clone(), limiter.clone())
        .route("/", get(|| async { Redirect::to(dashboard::HOME) }))
        .merge(dashboard::router(storage, limiter))
}

/// Serves until the listener fails or the future is dropped. Client
/// addresses reach the handlers for the limits on failed attempts.
pub async fn serve(listener: tokio::net::TcpListener, storage: Storage) -> std::io::Result<()> {
    serve_router(listener, router(storage)).await
}
