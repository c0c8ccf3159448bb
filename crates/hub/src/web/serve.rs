//! Serving the router: plain HTTP, or HTTPS with the office's certificate.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::Router;
use std::path::Path;

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
