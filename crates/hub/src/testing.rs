//! Test support, compiled only for tests and for crates that ask for it
//! (the `testing` feature: the scenario tests, benchmarks and this crate's
//! own integration tests), never into the hub a district runs: a database
//! of its own per test on the PostgreSQL server `PCMT_TEST_PG` names.

use crate::error::HubError;
use crate::pg::{PgHubStore, DEFAULT_POOL_SIZE};
use crate::storage::OfficeStorage;
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit};
use chrono::NaiveDate;
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_model::{SessionForm, SessionInput, Topic, VenueKind};
use r2d2_postgres::postgres::{Client, NoTls};
use uuid::Uuid;

/// The variable tests and benchmarks read a PostgreSQL server's URL from
/// (`cargo xtask test` and `cargo xtask with-pg` set it).
pub const TEST_PG_ENV: &str = "PCMT_TEST_PG";

/// A database of its own for one test, on the server `PCMT_TEST_PG` names,
/// dropped when this is. Tests that get None skip, and say so.
pub struct TestDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl TestDatabase {
    /// None (with a message on standard error) when `PCMT_TEST_PG` is not
    /// set; an error when it is set but the server cannot be used.
    pub fn from_env(test: &str) -> Result<Option<Self>, HubError> {
        let Ok(admin) = std::env::var(TEST_PG_ENV) else {
            // Straight to the stream: the test harness captures eprintln!,
            // and a skip nobody sees looks like a pass.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED on PostgreSQL: {test} ({TEST_PG_ENV} is not set; `cargo xtask test` sets it)"
            );
            return Ok(None);
        };
        let name = format!("pcmt_t_{}", Uuid::now_v7().simple());
        let mut client = Client::connect(&admin, NoTls)?;
        client.batch_execute(&format!("CREATE DATABASE {name}"))?;
        Ok(Some(Self {
            url: with_database(&admin, &name),
            admin,
            name,
        }))
    }

    /// The tests' hub on this database, with the demo district's tree
    /// (loaded the first time).
    pub fn store(&self) -> Result<PgHubStore, HubError> {
        let store = self.empty_store()?;
        store.seed_demo_units()?;
        Ok(store)
    }

    /// The hub on this database as a real province's starts: no units
    /// until the office loads its list.
    pub fn empty_store(&self) -> Result<PgHubStore, HubError> {
        PgHubStore::connect(&self.url, DEFAULT_POOL_SIZE)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // FORCE: a store of this test may still hold pooled connections.
        if let Ok(mut client) = Client::connect(&self.admin, NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[host_start..].find('/') {
        Some(i) => &base[..host_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// A new session's document (a broadcast at the market, 200 attendees), as
/// a tablet of `commune` would push it.
pub fn session_doc(commune: &str) -> (Uuid, AutoCommit) {
    let id = Uuid::now_v7();
    let input = SessionInput {
        date: NaiveDate::from_ymd_opt(2026, 6, 26).unwrap_or_default(),
        commune: commune.into(),
        venue_kind: VenueKind::Market,
        venue_name: "Chợ Đăk Glei".into(),
        form: SessionForm::Broadcast,
        attendees: 200,
        women: 90,
        topics: vec![Topic::DisguisedDrugs],
        details: Default::default(),
    };
    let note = ChangeNote {
        officer: "t".into(),
    };
    let doc = record_doc::new_record(id, commune, &input, ActorId::random(), &note, 0)
        .expect("a session serialises");
    (id, doc)
}

/// A session whose attendees are words ("rất đông"), not a number: its
/// header is sound, so a hub stores and relays it, but its body does not
/// read as a session (a newer app's field, a bug, a crafted push).
pub fn unreadable_session_doc(commune: &str) -> (Uuid, AutoCommit) {
    let (id, mut doc) = session_doc(commune);
    doc.put(automerge::ROOT, "attendees", "rất đông")
        .expect("a root key of a live document");
    (id, doc)
}

/// Carries one request of a tablet's sync to `hub` in process, through the
/// wire encoding both ways as the routes do (a pull's answer, and an
/// acknowledgement that carries one, packed as the hub packs them): what a
/// scenario's network delivers when it delivers.
pub fn deliver(
    hub: &dyn crate::HubStorage,
    scope: &crate::Scope,
    request: &pcmt_core::sync::Request,
) -> Result<pcmt_core::sync::Response, pcmt_core::sync::SyncError> {
    use pcmt_core::sync::wire::{self, OfferRequest, PullRequest, PushRequest};
    use pcmt_core::sync::{Request, SyncError};
    let refused = |e: HubError| SyncError::Refused {
        status: 400,
        message: e.to_string(),
    };
    let sent = request.encode()?;
    let answer = match request {
        Request::Push(_) => {
            let p = PushRequest::decode(&sent)?;
            let ack = hub.push(scope, &p).map_err(refused)?;
            ack.encode_for(&p)?
        }
        Request::Pull(_) => {
            let p: PullRequest = wire::decode(&sent)?;
            let batch = hub.pull(scope, &p).map_err(refused)?;
            batch.encode_for(p.protocol)?
        }
        Request::Offer(_) => {
            let o = OfferRequest::decode(&sent)?;
            wire::encode(&hub.offer(scope, &o).map_err(refused)?)?
        }
    };
    request.read_answer(&answer)
}

/// Pushes as text, one line a document: its id, kind and changes in hex,
/// separated by spaces. How `tests/fuzz.rs` writes out the pushes of an
/// input that failed, and how a regression test replays them
/// ([`pushes_from_text`]).
pub fn pushes_to_text(docs: &[pcmt_core::sync::wire::DocChanges]) -> String {
    docs.iter()
        .map(|dc| {
            let changes: Vec<String> = dc.changes.iter().map(hex::encode).collect();
            format!("{} {} {}\n", dc.id, dc.kind, changes.join(" "))
        })
        .collect()
}

/// The documents [`pushes_to_text`] wrote, each of `commune`; None when a
/// line does not read.
pub fn pushes_from_text(
    text: &str,
    commune: &str,
) -> Option<Vec<pcmt_core::sync::wire::DocChanges>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let id = words.next()?.parse().ok()?;
            let kind = words.next()?.to_string();
            let changes = words.map(|w| hex::decode(w).ok()).collect::<Option<_>>()?;
            Some(pcmt_core::sync::wire::DocChanges {
                id,
                kind,
                commune: commune.to_string(),
                changes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_database_url_keeps_the_server_and_options() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5433/pcmt", "t1"),
            "postgres://u@127.0.0.1:5433/t1"
        );
        assert_eq!(
            with_database("postgres://u@h:1?sslmode=disable", "t1"),
            "postgres://u@h:1/t1?sslmode=disable"
        );
    }
}
