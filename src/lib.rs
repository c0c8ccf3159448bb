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
    pub store: pcmt_hub::server::Shared,
    /// Dropping the runtime stops the server task.
    _runtime: tokio::runtime::Runtime,
}

impl TestHub {
    /// A one-time enrolment code for `communes`, as the office would issue.
    pub fn code_for(&self, communes: &[&str]) -> String {
        let communes: Vec<String> = communes.iter().map(|c| c.to_string()).collect();
        self.store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .issue_code(&communes, "Cán bộ thử", 3600)
            .expect("an enrolment code")
    }

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
        let store = std::sync::Arc::new(Mutex::new(
            HubStore::open_in_memory().expect("an in-memory hub store"),
        ));
        runtime.spawn(pcmt_hub::server::serve(listener, store.clone()));
        Self {
            url,
            store,
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

    /// Enrols for just these communes.
    pub fn enrol(&self, hub: &TestHub, communes: &[&str]) {
        let code = hub.code_for(communes);
        pcmt_core::http::sync_with_hub(&self.store, &hub.url, Some(&code))
            .expect("enrols and syncs");
    }
}
