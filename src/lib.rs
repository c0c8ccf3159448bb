//! Support for the scenario tests in `tests/`: a hub on a free loopback port
//! and device stores in temporary directories, all in one process.

pub mod e2e;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ScalarValue};
use pcmt_core::http::HttpTransport;
use pcmt_core::record_doc;
use pcmt_core::sync::wire::{DocChanges, PushRequest, PROTOCOL_VERSION};
use pcmt_core::sync::{HubLink, Request, Response};
use pcmt_core::{Author, Store};
use pcmt_hub::testing::TestDatabase;
use pcmt_hub::web::Storage;
use pcmt_hub::{HubStore, Shared};
use pcmt_model::OrgTree;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// A hub serving on 127.0.0.1 on a port of its own, for as long as this lives.
pub struct TestHub {
    pub url: String,
    /// Declared before `storage`: the server task's copies of the storage
    /// go first, so the last copy (and a PostgreSQL pool, whose connections
    /// each own a small runtime) is dropped here, outside any runtime.
    _runtime: tokio::runtime::Runtime,
    /// What the hub stores in, SQLite or PostgreSQL.
    pub storage: Storage,
    /// Dropped last: the database of a PostgreSQL hub.
    _pg: Option<TestDatabase>,
}

/// Each scenario as two tests: `sqlite::name` and `postgres::name`, the
/// second skipped (with a line saying so) when `PCMT_TEST_PG` is not set.
/// The scenario is a function taking the [`TestHub`].
#[macro_export]
macro_rules! on_both_hubs {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::TestHub::start());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(hub) = $crate::TestHub::start_pg(stringify!($name)) {
                        super::$name(hub);
                    }
                }
            )*
        }
    };
}

impl TestHub {
    /// A one-time enrolment code for `communes`, as the office would issue.
    pub fn code_for(&self, communes: &[&str]) -> String {
        let communes: Vec<String> = communes.iter().map(|c| c.to_string()).collect();
        self.storage
            .issue_code(&communes, "Cán bộ thử", 3600)
            .expect("an enrolment code")
    }

    /// The hub on an in-memory SQLite store, with its dashboard.
    pub fn start() -> Self {
        let store: Shared = Arc::new(HubStore::open_in_memory().expect("an in-memory hub store"));
        let (runtime, listener, url) = listen();
        runtime.spawn(pcmt_hub::web::serve(listener, store.clone()));
        Self {
            url,
            _runtime: runtime,
            storage: store,
            _pg: None,
        }
    }

    /// The hub on a PostgreSQL database of its own, with its dashboard, or
    /// None when `PCMT_TEST_PG` is not set.
    pub fn start_pg(test: &str) -> Option<Self> {
        let db = TestDatabase::from_env(test).expect("the PostgreSQL server of PCMT_TEST_PG")?;
        let storage: Storage = Arc::new(db.store().expect("a PostgreSQL hub store"));
        let (runtime, listener, url) = listen();
        runtime.spawn(pcmt_hub::web::serve(listener, storage.clone()));
        Some(Self {
            url,
            _runtime: runtime,
            storage,
            _pg: Some(db),
        })
    }
}

fn listen() -> (tokio::runtime::Runtime, tokio::net::TcpListener, String) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime for the test hub");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a free loopback port");
    let url = format!("http://{}", listener.local_addr().expect("bound address"));
    (runtime, listener, url)
}

/// A device store in its own temporary directory.
pub struct TestDevice {
    pub store: Mutex<Store>,
    pub author: Author,
    dir: tempfile::TempDir,
}

impl TestDevice {
    pub fn new(officer: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Self::open(&dir);
        Self {
            store: Mutex::new(store),
            author: Author {
                officer: officer.into(),
            },
            dir,
        }
    }

    fn open(dir: &tempfile::TempDir) -> Store {
        Store::open(&dir.path().join("device.db"), OrgTree::demo()).expect("a device store")
    }

    /// Closes the store and opens it again, as the app does when it starts
    /// (after an update, say).
    pub fn reopen(&self) {
        *self.store() = Self::open(&self.dir);
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Syncs, enrolling first for the whole demo district if needed.
    pub fn sync(&self, hub: &TestHub) -> pcmt_core::sync::SyncReport {
        self.try_sync(hub).expect("sync succeeds")
    }

    pub fn try_sync(
        &self,
        hub: &TestHub,
    ) -> Result<pcmt_core::sync::SyncReport, pcmt_core::CoreError> {
        let enrolled = self.store().enrolment()?.is_some();
        let code = (!enrolled).then(|| {
            let all: Vec<String> = OrgTree::demo().communes().map(|c| c.code.clone()).collect();
            hub.code_for(&all.iter().map(String::as_str).collect::<Vec<_>>())
        });
        pcmt_core::http::sync_with_hub(&self.store, &hub.url, code.as_deref())
    }

    /// Pushes `doc`'s changes after `heads` with this tablet's token, as they
    /// are: what a newer app, a bug or a crafted request sends. The hub
    /// stores them.
    pub fn push_doc(&self, hub_url: &str, id: Uuid, doc: &mut AutoCommit, heads: &[ChangeHash]) {
        let (token, device) = {
            let s = self.store();
            let token = s
                .enrolment()
                .expect("the store reads")
                .expect("enrolled")
                .token;
            (token, s.device_id())
        };
        let header = record_doc::read_header(doc).expect("a record's header");
        let request = Request::Push(PushRequest {
            protocol: PROTOCOL_VERSION,
            device,
            docs: vec![DocChanges::since(
                id,
                header.kind,
                &header.commune,
                doc,
                heads,
            )],
            pull: None,
        });
        let mut link = HttpTransport::new(hub_url).expect("an HTTP client");
        match link
            .carry(&token, &request)
            .expect("the hub takes the push")
        {
            Response::Push(ack) => assert_eq!(ack.stored, [id]),
            other => panic!("a push answered {other:?}"),
        }
    }

    /// Sets one field of `doc` and pushes that change as it is.
    pub fn push_field(
        &self,
        hub_url: &str,
        id: Uuid,
        doc: &mut AutoCommit,
        field: &str,
        value: ScalarValue,
    ) {
        let heads = doc.get_heads();
        doc.put(automerge::ROOT, field, value)
            .expect("a root key of a live document");
        doc.commit();
        self.push_doc(hub_url, id, doc, &heads);
    }

    /// Enrols for just these communes.
    pub fn enrol(&self, hub: &TestHub, communes: &[&str]) {
        let code = hub.code_for(communes);
        pcmt_core::http::sync_with_hub(&self.store, &hub.url, Some(&code))
            .expect("enrols and syncs");
    }
}
