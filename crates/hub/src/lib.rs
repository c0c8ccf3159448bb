//! The district hub of Sổ tay PCMT: it keeps every document devices send it
//! and serves a change feed each device pulls from, scoped to its communes.
//!
//! Layers, each using only those before it (ARCHITECTURE.md has the map):
//! [`error`] ← [`rules`] (the protocol, enrolment, audit and staff rules,
//! pure) ← [`storage`] (the traits every caller uses, and the transaction
//! scripts written once) ← the two backends, [`sqlite`] and [`pg`] ← the
//! HTTP layer [`web`] (sync routes and the office dashboard) and the office
//! tools ([`staff`], [`uplink`], [`demo`]), which name no database.

pub mod demo;
pub mod error;
pub mod pg;
pub mod rules;
pub mod sqlite;
pub mod staff;
pub mod storage;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod uplink;
pub mod web;

#[cfg(test)]
#[macro_use]
mod contract_tests;
#[cfg(test)]
mod http_tests;

pub use error::HubError;
pub use pg::PgHubStore;
pub use rules::devices::Scope;
pub use sqlite::{HubStore, Shared};
pub use storage::{HubStorage, OfficeStorage};
