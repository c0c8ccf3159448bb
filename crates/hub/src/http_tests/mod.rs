//! The hub through its HTTP routes (the router alone, no socket): what a
//! hostile or broken client can send, and that it changes nothing.
//!
//! - `bad_input`: every route with garbage, oversized, mistyped and forged
//!   requests; each gets a 4xx and the store is unchanged.
//! - `crafted`: a device hand-building requests about another commune, and
//!   the limits on wrong codes and tokens.
//! - `damaged`: a push Automerge panics on inside the hub is refused,
//!   and the hub serves on.
//! - `limits`: what an attacker could do with the limits (bursts past
//!   them, blocking honest clients behind one address) and what a refusal
//!   tells: on both stores.

/// Each test, given an [`AnyHub`], as two: on SQLite and on PostgreSQL.
macro_rules! on_both_hubs {
    ($($name:ident),* $(,)?) => {
        on_both!(
            sqlite: crate::http_tests::AnyHub::sqlite(),
            postgres: |db| crate::http_tests::AnyHub::postgres(db);
            $($name),*
        );
    };
}

mod bad_input;
mod crafted;
mod damaged;
mod limits;

use crate::contract_tests::{office, push_of, session_doc};
use crate::pg::PgHubStore;
use crate::rules::staff::Role;
use crate::sqlite::HubStore;
use crate::sqlite::Shared;
use crate::staff as auth;
use crate::storage::HubStorage;
use crate::testing::TestDatabase;
use crate::web::{router_with, Limits, Storage};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request};
use axum::response::Response;
use axum::Router;
use pcmt_core::http::PULL_PATH;
use pcmt_core::sync::wire::{self, EnrolRequest, PullRequest, PROTOCOL_VERSION};
use std::net::SocketAddr;
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
    auth::add_staff(storage, "huyen", PASSWORD, "62-610", Role::Staff).expect("a staff account");
    let staff = auth::Staff {
        username: "huyen".into(),
        unit: "62-610".into(),
        role: Role::Staff,
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

/// A seeded hub on SQLite or on PostgreSQL, for the tests run on both;
/// each test makes its router with the limits it needs.
pub(super) struct AnyHub {
    pub storage: Storage,
    pub seeded: Seeded,
    // Last: the store is dropped before its database.
    db: Db,
}

enum Db {
    Sqlite(Shared),
    /// The store, then its database (dropped in this order).
    Pg {
        store: Arc<PgHubStore>,
        _database: TestDatabase,
    },
}

impl std::ops::Deref for AnyHub {
    type Target = Seeded;

    fn deref(&self) -> &Seeded {
        &self.seeded
    }
}

impl AnyHub {
    pub fn sqlite() -> Self {
        let store: Shared = Arc::new(HubStore::open_in_memory().expect("an in-memory hub"));
        Self {
            storage: store.clone(),
            seeded: seed(&*store),
            db: Db::Sqlite(store),
        }
    }

    pub fn postgres(db: TestDatabase) -> Self {
        let store = Arc::new(db.store().expect("a PostgreSQL hub store"));
        Self {
            storage: store.clone(),
            seeded: seed(&*store),
            db: Db::Pg {
                store,
                _database: db,
            },
        }
    }

    pub fn app(&self, limits: Limits) -> Router {
        router_with(self.storage.clone(), limits)
    }

    /// Every row and sequence of the store: see [`fingerprint`].
    pub fn fingerprint(&self, logged: Logged) -> String {
        match &self.db {
            Db::Sqlite(store) => fingerprint_of(store, logged),
            Db::Pg { store, .. } => pg_fingerprint(store, logged),
        }
    }

    /// Runs SQL around the store: to break it on purpose.
    pub fn execute(&self, sql: &str) {
        match &self.db {
            Db::Sqlite(store) => {
                store.conn().execute_batch(sql).expect("the statement");
            }
            Db::Pg { store, .. } => {
                store
                    .client()
                    .expect("a connection")
                    .batch_execute(sql)
                    .expect("the statement");
            }
        }
    }
}

/// The seeded tablet's pull of Đăk Pék from the start.
pub(super) fn pek_pull(hub: &Seeded) -> Request<Body> {
    sync_request(
        PULL_PATH,
        Some(&hub.token),
        pull_body(&[PEK], 0, hub.device),
        None,
    )
}

/// A sync request from `from` (a client address), with `token` if any.
pub(super) fn sync_request(
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
    from: Option<[u8; 4]>,
) -> Request<Body> {
    let mut builder = Request::post(path);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    from_address(builder.body(Body::from(body)).unwrap(), from)
}

/// `req` as if it came from `from` (the router alone sees no address).
pub(super) fn from_address<B>(mut req: Request<B>, from: Option<[u8; 4]>) -> Request<B> {
    if let Some(ip) = from {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
    }
    req
}

pub(super) fn pull_body(communes: &[&str], cursor: u64, device: Uuid) -> Vec<u8> {
    wire::encode(&PullRequest {
        protocol: PROTOCOL_VERSION,
        device,
        communes: communes.iter().map(|c| c.to_string()).collect(),
        cursor,
        max_bytes: 1 << 20,
    })
    .unwrap()
}

pub(super) fn enrol_body(code: &str) -> Vec<u8> {
    wire::encode(&EnrolRequest {
        protocol: PROTOCOL_VERSION,
        code: code.into(),
        device: Uuid::now_v7(),
        previous_token: None,
    })
    .unwrap()
}

pub(super) fn header_of(r: &Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
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

/// Whether a fingerprint leaves out what a refused sign-in writes on
/// purpose: its audit entry, and the audit log's sequence it takes. Only
/// sign-in requests may; every other refused request must leave every row
/// and sequence as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Logged {
    Everything,
    ButFailedSignIns,
}

impl Logged {
    /// The filter on `table`'s rows (SQLite's sequences are the rows of
    /// `sqlite_sequence`).
    fn rows_of(self, table: &str) -> &'static str {
        match (self, table) {
            (Logged::ButFailedSignIns, "audit_log") => "WHERE action <> 'sign_in_failed'",
            (Logged::ButFailedSignIns, "sqlite_sequence") => "WHERE name <> 'audit_log'",
            _ => "",
        }
    }

    /// The filter on PostgreSQL's sequences (`pg_sequences`).
    fn pg_sequences(self) -> &'static str {
        match self {
            Logged::ButFailedSignIns => r"AND sequencename NOT LIKE 'audit\_log\_%'",
            Logged::Everything => "",
        }
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

/// Every row of every table, in a fixed order: equal before and after a
/// request means the request changed nothing stored.
pub(super) fn fingerprint(store: &Shared) -> String {
    fingerprint_of(store, Logged::Everything)
}

/// Every row of every table and every sequence (SQLite keeps them in
/// `sqlite_sequence`), but for what `logged` leaves out.
fn fingerprint_of(store: &Shared, logged: Logged) -> String {
    use std::fmt::Write;
    let conn = store.conn();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND (name NOT LIKE 'sqlite_%' OR name = 'sqlite_sequence')
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
                logged.rows_of(&table)
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

/// The same for PostgreSQL: every row of every table as text, and every
/// sequence's last value (taken even by a transaction that rolls back).
fn pg_fingerprint(store: &PgHubStore, logged: Logged) -> String {
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
                    logged.rows_of(&table)
                ),
                &[],
            )
            .expect("the rows")
            .iter()
            .map(|r| r.get(0))
            .collect();
        out.push_str(&format!("{table}: {rows:?}\n"));
    }
    let sequences = client
        .query(
            &format!(
                "SELECT sequencename::text, last_value FROM pg_sequences
                 WHERE schemaname = 'public' {} ORDER BY 1",
                logged.pg_sequences()
            ),
            &[],
        )
        .expect("the sequences");
    assert!(!sequences.is_empty(), "at least the feed's");
    for row in sequences {
        let (name, last): (String, Option<i64>) = (row.get(0), row.get(1));
        out.push_str(&format!("sequence {name}: {last:?}\n"));
    }
    out
}
