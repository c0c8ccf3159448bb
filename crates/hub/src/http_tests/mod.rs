//! The hub through its HTTP routes (the router alone, no socket): what a
//! hostile or broken client can send, and that it changes nothing.
//!
//! - `bad_input`: every route with garbage, oversized, mistyped and forged
//!   requests; each gets a 4xx and the store is unchanged.
//! - `crafted`: a device hand-building requests about another commune, and
//!   the limits on wrong codes and tokens.

mod bad_input;
mod crafted;

use crate::contract_tests::{office, push_of, session_doc};
use crate::sqlite::HubStore;
use crate::sqlite::Shared;
use crate::staff as auth;
use crate::storage::HubStorage;
use crate::web::{router_with, Limits};
use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;
use uuid::Uuid;

pub(super) const PEK: &str = "62-610-23284";
pub(super) const CHOONG: &str = "62-610-23287";
pub(super) const PASSWORD: &str = "mật khẩu văn phòng";

/// What a prepared hub holds: records of two communes, a tablet of Đăk
/// Pék, a district staff member signed in, and an unused enrolment code.
pub(super) struct Seeded {
    /// The Đăk Pék tablet.
    pub device: Uuid,
    pub token: String,
    /// A live staff session, as the browser sends it back.
    pub cookie: String,
    /// A Đăk Choong record (id) the tablet must never read or change.
    pub choong_record: Uuid,
    pub code: String,
}

/// Prepares any store as [`Seeded`] says.
pub(super) fn seed(storage: &dyn HubStorage) -> Seeded {
    crate::demo::seed(storage).expect("the demo sessions");
    auth::add_staff(storage, "huyen", PASSWORD, "62-610").expect("a staff account");
    let staff = auth::Staff {
        username: "huyen".into(),
        unit: "62-610".into(),
    };
    let cookie = format!(
        "pcmt_staff={}",
        auth::open_session(storage, &staff, None).expect("a session")
    );
    let (choong_record, mut doc) = session_doc(CHOONG);
    storage
        .push(&office(), &push_of(choong_record, CHOONG, &mut doc))
        .expect("a Đăk Choong record");
    let (pek_record, mut doc) = session_doc(PEK);
    storage
        .push(&office(), &push_of(pek_record, PEK, &mut doc))
        .expect("a Đăk Pék record");
    let device = Uuid::now_v7();
    let pek = storage
        .issue_code(&[PEK.into()], "A Lưu", 3600)
        .expect("a code");
    let token = storage.enrol(&pek, device, None).expect("enrolled").token;
    let code = storage
        .issue_code(&[PEK.into()], "Y Hoa", 3600)
        .expect("a code");
    Seeded {
        device,
        token,
        cookie,
        choong_record,
        code,
    }
}

/// A seeded SQLite hub behind the router.
pub(super) struct Hub {
    pub app: Router,
    pub store: Shared,
    pub seeded: Seeded,
}

impl std::ops::Deref for Hub {
    type Target = Seeded;

    fn deref(&self) -> &Seeded {
        &self.seeded
    }
}

pub(super) fn hub_with(limits: Limits) -> Hub {
    let store: Shared = Arc::new(HubStore::open_in_memory().expect("an in-memory hub"));
    let seeded = seed(&*store);
    Hub {
        app: router_with(store.clone(), limits),
        store,
        seeded,
    }
}

pub(super) fn hub() -> Hub {
    hub_with(quick_limits())
}

/// The default limits without the one-second wait after a wrong answer.
pub(super) fn quick_limits() -> Limits {
    Limits {
        failure_delay: Duration::from_millis(1),
        ..Limits::default()
    }
}

pub(super) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

pub(super) async fn send(app: &Router, req: Request<Body>) -> Response {
    app.clone()
        .oneshot(req)
        .await
        .expect("the router always answers")
}

pub(super) async fn body_of(r: Response) -> Vec<u8> {
    axum::body::to_bytes(r.into_body(), 64 << 20)
        .await
        .expect("a body")
        .to_vec()
}

/// Failed sign-ins are logged on purpose (the audit log): the one row a
/// refused request may add.
pub(crate) fn except_logged_failures(table: &str) -> &'static str {
    if table == "audit_log" {
        "WHERE action <> 'sign_in_failed'"
    } else {
        ""
    }
}

/// The lines of two fingerprints that differ, shortened: what a failing
/// comparison shows.
pub(super) fn difference(before: &str, after: &str) -> String {
    let short = |l: &str| l.chars().take(300).collect::<String>();
    let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    b.iter()
        .filter(|l| !a.contains(l))
        .map(|l| format!("- {}", short(l)))
        .chain(
            a.iter()
                .filter(|l| !b.contains(l))
                .map(|l| format!("+ {}", short(l))),
        )
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every row of every table, in a fixed order (but for logged failed
/// sign-ins): equal before and after a request means the request changed
/// nothing stored.
pub(super) fn fingerprint(store: &Shared) -> String {
    use std::fmt::Write;
    let conn = store.conn();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(tables.len() > 8, "{tables:?}");
    let mut out = String::new();
    for table in tables {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT * FROM \"{table}\" {} ORDER BY 1",
                except_logged_failures(&table)
            ))
            .unwrap();
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..columns)
                    .map(|i| r.get::<_, rusqlite::types::Value>(i))
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>();
        writeln!(out, "{table}: {rows:?}").unwrap();
    }
    out
}

/// The same for PostgreSQL: every row of every table as text.
pub(super) fn pg_fingerprint(store: &crate::pg::PgHubStore) -> String {
    let mut client = store.client().expect("a connection");
    let tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' ORDER BY 1",
            &[],
        )
        .expect("the tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.len() >= 5, "{tables:?}");
    let mut out = String::new();
    for table in tables {
        let rows: Vec<String> = client
            .query(
                &format!(
                    "SELECT t::text FROM \"{table}\" t {} ORDER BY 1",
                    except_logged_failures(&table)
                ),
                &[],
            )
            .expect("the rows")
            .iter()
            .map(|r| r.get(0))
            .collect();
        out.push_str(&format!("{table}: {rows:?}\n"));
    }
    out
}
