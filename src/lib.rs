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
use pcmt_hub::rules::sealed::BackupKey;
use pcmt_hub::testing::TestDatabase;
use pcmt_hub::web::Storage;
use pcmt_hub::{HubStore, OfficeStorage, Shared};
use pcmt_model::OrgTree;
use std::path::{Path, PathBuf};
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
    /// The SQLite store of a hub on disk, for its backups.
    sqlite: Option<Shared>,
    /// Dropped last: the database of a PostgreSQL hub, or the directory
    /// of one on SQLite.
    _pg: Option<TestDatabase>,
    dir: Option<tempfile::TempDir>,
}

/// A copy of a hub's database as the office keeps one: `pcmt-hub
/// --backup` (SQLite's online backup, sealed with the office's key), or
/// PostgreSQL's `pg_dump`.
pub struct HubBackup {
    pub path: PathBuf,
    key: BackupKey,
    _dir: tempfile::TempDir,
}

/// Each scenario as two tests: `sqlite::name` and `postgres::name`, the
/// second skipped (with a line saying so) when `PCMT_TEST_PG` is not set.
/// The scenario is a function taking the [`TestHub`].
#[macro_export]
macro_rules! on_both_hubs {
    ($($name:ident),* $(,)?) => {
        $crate::on_both_hubs!(start; $($name),*);
    };
    // The SQLite hub from `TestHub::$start` (`start_on_disk` for a hub
    // that is backed up and restored).
    ($start:ident; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::TestHub::$start());
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
        Self::serving(store.clone(), None, None, None)
    }

    /// Serves `storage` on a free loopback port.
    fn serving(
        storage: Storage,
        sqlite: Option<Shared>,
        pg: Option<TestDatabase>,
        dir: Option<tempfile::TempDir>,
    ) -> Self {
        let (runtime, listener, url) = listen();
        runtime.spawn(pcmt_hub::web::serve(listener, storage.clone()));
        Self {
            url,
            _runtime: runtime,
            storage,
            sqlite,
            _pg: pg,
            dir,
        }
    }

    /// The hub on a SQLite file in a directory of its own, as a district
    /// runs it: one that can be backed up and restored.
    pub fn start_on_disk() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        Self::on_file(dir)
    }

    fn on_file(dir: tempfile::TempDir) -> Self {
        let store: Shared =
            Arc::new(HubStore::open(&dir.path().join(HUB_FILE)).expect("a hub store on disk"));
        store.seed_demo_units().expect("the demo district's units");
        Self::serving(store.clone(), Some(store), None, Some(dir))
    }

    /// A new hub of the same kind as this one (SQLite in memory or on
    /// disk, or PostgreSQL), with a database of its own.
    pub fn another(&self) -> Self {
        match (&self._pg, &self.dir) {
            (Some(_), _) => Self::start_pg("another").expect("PCMT_TEST_PG is set"),
            (None, Some(_)) => Self::start_on_disk(),
            (None, None) => Self::start(),
        }
    }

    /// A backup of the hub's database taken while it serves.
    pub fn backup(&self) -> HubBackup {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("backup");
        let key = BackupKey::generate().expect("a backup key");
        match (&self.sqlite, &self._pg) {
            (Some(store), _) => {
                let work = self.dir.as_ref().expect("a hub on disk").path();
                store
                    .backup_sealed(work, &path, &key)
                    .expect("an online backup, checked");
            }
            (None, Some(db)) => pg_tool(
                "pg_dump",
                &["--format=custom", "--no-owner", "--file"],
                &path,
                &db.url,
            ),
            (None, None) => panic!("an in-memory hub has no backup: start it on disk"),
        }
        HubBackup {
            path,
            key,
            _dir: dir,
        }
    }

    /// Stops this hub and starts it again on the database brought back
    /// from `backup`, as the office restores one: `pcmt-hub --restore` on
    /// SQLite; `pg_restore` into a new database then `--new-epoch` on
    /// PostgreSQL. Either way a new epoch, audited.
    pub fn restore(self, backup: &HubBackup) -> Self {
        self.restored(backup, true)
    }

    /// As [`TestHub::restore`], but the way an office could get it wrong:
    /// the backup unsealed (`pcmt-hub --unseal`) and put in place of the
    /// database file, or `pg_restore` without `--new-epoch`. The hub keeps
    /// the epoch it had, with the end of its feed lost.
    pub fn restore_keeping_epoch(self, backup: &HubBackup) -> Self {
        self.restored(backup, false)
    }

    fn restored(mut self, backup: &HubBackup, new_epoch: bool) -> Self {
        let (dir, pg) = (self.dir.take(), self._pg.take());
        let test = pg.as_ref().map(|db| db.url.clone());
        drop(self);
        match (dir, test) {
            (Some(dir), _) if !new_epoch => {
                let file = dir.path().join(HUB_FILE);
                for extra in ["-wal", "-shm"] {
                    let mut side = file.as_os_str().to_owned();
                    side.push(extra);
                    let _ = std::fs::remove_file(side);
                }
                let mut input = std::fs::File::open(&backup.path).expect("the backup");
                let mut output = std::fs::File::create(&file).expect("the hub's file");
                pcmt_hub::rules::sealed::open(&mut input, &mut output, &backup.key)
                    .expect("the backup unsealed");
                drop(output);
                Self::on_file(dir)
            }
            (Some(dir), _) => {
                let file = dir.path().join(HUB_FILE);
                pcmt_hub::sqlite::backup::restore_sealed(&backup.path, &file, &backup.key, 0)
                    .expect("the hub restored from its backup");
                Self::on_file(dir)
            }
            (None, Some(_)) => {
                let db = TestDatabase::from_env("restored")
                    .expect("the PostgreSQL server of PCMT_TEST_PG")
                    .expect("PCMT_TEST_PG is set");
                pg_tool(
                    "pg_restore",
                    &["--no-owner", "--dbname", &db.url],
                    &backup.path,
                    "",
                );
                let storage: Storage = Arc::new(db.store().expect("a PostgreSQL hub store"));
                if new_epoch {
                    storage
                        .new_epoch("pg_restore of a test dump")
                        .expect("the restored hub takes a new epoch");
                }
                Self::serving(storage, None, Some(db), None)
            }
            (None, None) => panic!("an in-memory hub has no backup"),
        }
    }

    /// The hub on a PostgreSQL database of its own, with its dashboard, or
    /// None when `PCMT_TEST_PG` is not set.
    pub fn start_pg(test: &str) -> Option<Self> {
        let db = TestDatabase::from_env(test).expect("the PostgreSQL server of PCMT_TEST_PG")?;
        let storage: Storage = Arc::new(db.store().expect("a PostgreSQL hub store"));
        Some(Self::serving(storage, None, Some(db), None))
    }
}

/// The hub's file in a hub's directory on disk.
const HUB_FILE: &str = "hub.db";

/// Runs PostgreSQL's `pg_dump` or `pg_restore` on `file`, with `args`
/// before it and the database `url` after it (when not empty).
fn pg_tool(tool: &str, args: &[&str], file: &Path, url: &str) {
    let mut command = std::process::Command::new(tool);
    command.args(args).arg(file);
    if !url.is_empty() {
        command.arg(url);
    }
    let out = command.output().unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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

    /// The folder of the tablet's files (its store and WAL), for the byte
    /// searches.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
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
            epoch: None,
            office: None,
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
