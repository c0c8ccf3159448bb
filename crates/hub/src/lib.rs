//! The district hub of Sổ tay PCMT: it keeps every document devices send it
//! and serves a change feed each device pulls from, scoped to its communes.
//!
//! [`store::HubStore`] holds the logic and the SQLite database; [`server`] is
//! the thin axum layer in front of it; [`dashboard`] is the office's web
//! pages (reports, charts, downloads) behind a staff sign-in.

pub mod audit;
pub mod dashboard;
pub mod demo;
pub mod devices;
pub mod limiter;
pub mod pg;
mod pg_dashboard;
pub mod server;
pub mod storage;
pub mod store;
pub mod uplink;

#[cfg(test)]
mod contract_tests;
#[cfg(test)]
mod http_tests;

pub use devices::Scope;
pub use pg::PgHubStore;
pub use storage::HubStorage;
pub use store::{HubError, HubStore};
