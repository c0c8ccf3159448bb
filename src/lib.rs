//! Support for the scenario tests in `tests/`: a hub on a free loopback port
//! and device stores in temporary directories, all in one process.

pub mod e2e;

use pcmt_core::{Author, Store};
use pcmt_hub::HubStore;
use pcmt_model::OrgTree;
use std::sync::Mutex;

/// A hub serving on 127.0.0.1 on a port of its own, for as long as this lives.
pub struct TestHub {
    pub url: String,
    /// Dropping the runtime stops the server task.
    _runtime: tokio::runtime::Runtime,
}

impl TestHub {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime for the test hub");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a free loopback port");
        let url = format!("http://{}", listener.local_addr().expect("bound address"));
        let hub = HubStore::open_in_memory().expect("an in-memory hub store");
        runtime.spawn(pcmt_hub::server::serve(listener, hub));
        Self {
            url,
            _runtime: runtime,
        }
    }
}

/// A device store in its own temporary directory.
pub struct TestDevice {
    pub store: Mutex<Store>,
    pub author: Author,
    _dir: tempfile::TempDir,
}

impl TestDevice {
    pub fn new(officer: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store =
            Store::open(&dir.path().join("device.db"), OrgTree::demo()).expect("a device store");
        Self {
            store: Mutex::new(store),
            author: Author {
                officer: officer.into(),
            },
            _dir: dir,
        }
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn sync(&self, hub: &TestHub) -> pcmt_core::sync::SyncReport {
        let mut transport = pcmt_core::http::HttpTransport::new(&hub.url).expect("an HTTP client");
        let communes = OrgTree::demo().communes().map(|c| c.code.clone()).collect();
        pcmt_core::sync::run_sync(&self.store, &mut transport, communes).expect("sync succeeds")
    }
}
