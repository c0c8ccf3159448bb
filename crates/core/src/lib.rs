//! The device engine of Sổ tay PCMT.
//!
//! A screen's command arrives here, is validated with the shared model, turns
//! into a change of the record's Automerge document, updates the projection
//! rows and commits in one SQLite transaction. Sync moves Automerge changes;
//! its logic is sans-IO state machines ([`sync::SyncRun`], and around it
//! [`sync::SyncSession`]) driven by a thin transport
//! ([`http::HttpTransport`]).

pub mod attach;
pub mod error;
pub mod export_log;
#[cfg(feature = "testing")]
pub mod fuzzing;
pub mod http;
pub mod migrate;
pub mod projection;
pub mod record_doc;
pub mod report;
pub mod shared;
pub mod store;
pub mod sync;
pub mod text;
pub mod tls;
pub mod vault;

pub use error::CoreError;
pub use store::{Author, Store};
pub use vault::{DbKey, IdleLock, Vault, VaultError};
