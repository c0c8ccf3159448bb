//! The HTTP layer, thin: decode, call the storage traits off the async
//! workers, encode. The sync routes ([`sync`]) and the office dashboard
//! ([`dashboard`]) share one router, one count of failed attempts
//! ([`limiter`]) and one way onto a blocking thread ([`off_thread`]). Plain
//! HTTP, or HTTPS with rustls when the office gives the hub a certificate
//! ([`serve_tls`]). Nothing here names a database.

pub mod dashboard;
pub mod limiter;
mod sync;

pub use limiter::Limits;

use crate::storage::HubStorage;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use limiter::Limiter;
use std::path::Path;
use std::sync::Arc;

/// Any hub storage behind the routes: SQLite or PostgreSQL.
pub type Storage = Arc<dyn HubStorage>;

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

/// Runs `work` on the storage on a blocking thread: database calls never
/// hold up the async workers (and the PostgreSQL client must not run on
/// them). The storage is moved in, so a PostgreSQL pool dropped with it is
/// dropped there too.
pub async fn off_thread<T: Send + 'static, E: Send + 'static>(
    storage: Storage,
    work: impl FnOnce(&dyn HubStorage) -> Result<T, E> + Send + 'static,
) -> Result<Result<T, E>, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || work(&*storage)).await
}

/// Serves until the listener fails or the future is dropped. Client
/// addresses reach the handlers for the limits on failed attempts.
pub async fn serve(listener: tokio::net::TcpListener, storage: Storage) -> std::io::Result<()> {
    serve_router(listener, router(storage)).await
}

/// Serves `router` over plain HTTP.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}

/// The hub's certificate chain and private key, from PEM files as a
/// certificate authority (or `openssl req -x509`) hands them out.
pub async fn tls_config(cert: &Path, key: &Path) -> std::io::Result<RustlsConfig> {
    RustlsConfig::from_pem_file(cert, key).await
}

/// Serves `router` over HTTPS (rustls, TLS 1.2 and 1.3) until the listener
/// fails or the future is dropped. Plain HTTP on this port gets no answer
/// a client can use. Pages learn they came over TLS ([`OverTls`]).
pub async fn serve_tls(
    listener: std::net::TcpListener,
    config: RustlsConfig,
    router: Router,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    axum_server::from_tcp_rustls(listener, config)?
        .serve(
            router
                .layer(axum::Extension(Https))
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
}

pub use axum_server::tls_rustls::RustlsConfig;

/// Marks requests that came over TLS.
#[derive(Debug, Clone, Copy)]
struct Https;

/// Whether the request came over HTTPS: the dashboard's cookie is then `Secure`.
pub struct OverTls(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for OverTls {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(OverTls(parts.extensions.get::<Https>().is_some()))
    }
}
