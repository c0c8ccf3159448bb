//! The hub on SQLite, the district office's default: one file, one writer,
//! and readers beside it.
//!
//! Writes (pushes, enrolments, sign-ins…) take turns on the one writer
//! connection, so feed positions commit in the order they are handed out
//! and a puller's cursor never passes a change still to come. Reads —
//! pulls, token checks, dashboard pages — run on their own connections:
//! in WAL mode a reader sees the last commit as of its first statement and
//! never waits for the writer, so a yearly report that takes a second
//! holds up no tablet's sync. An in-memory store (tests) has one
//! connection for both.

mod audit;
pub mod backup;
mod reads;
mod tx;

use crate::error::HubError;
use crate::storage::report_reads::on_report_thread;
use crate::storage::{Hub, OfficeStorage};
use pcmt_core::migrate;
use pcmt_core::projection::{self, SqliteRows};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The hub store on SQLite.
pub type HubStore = Hub<Sqlite>;

/// The SQLite hub store as the binary, tests and benchmarks hold it; it
/// serves as a `web::Storage` too.
pub type Shared = std::sync::Arc<HubStore>;

/// Reader connections a file-backed hub keeps: a few dashboard pages and
/// many pulls at once on a 2-core office machine.
const READERS: usize = 4;

/// A reader that finds the file busy (a checkpoint) waits this long.
const BUSY: Duration = Duration::from_secs(5);

/// The SQLite database behind a [`HubStore`].
pub struct Sqlite {
    writer: Mutex<Connection>,
    /// Empty in memory: reads then go through the writer.
    readers: Vec<Mutex<Connection>>,
    /// The report thread's own reader (None in memory), so that a pull
    /// never waits for a connection a page holds
    /// (`crate::storage::report_reads`).
    report_reader: Option<Mutex<Connection>>,
    next: AtomicUsize,
}

/// A panic elsewhere must not take the hub down with it: SQLite rolled the
/// half-done transaction back, so the connection is still consistent.
fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

impl Sqlite {
    /// Runs `work` on the writer connection.
    fn writer<T>(&self, work: impl FnOnce(&mut Connection) -> T) -> T {
        work(&mut lock(&self.writer))
    }

    /// Runs `work` on a reader connection: the report thread's own on
    /// that thread, else a free one if there is one, else the next in turn.
    fn read<T>(&self, work: impl FnOnce(&Connection) -> T) -> T {
        if let Some(reports) = self.report_reader.as_ref().filter(|_| on_report_thread()) {
            return work(&lock(reports));
        }
        if self.readers.is_empty() {
            return work(&lock(&self.writer));
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        for i in 0..n {
            if let Ok(conn) = self.readers[(start + i) % n].try_lock() {
                return work(&conn);
            }
        }
        work(&lock(&self.readers[start % n]))
    }
}

fn configure(conn: &Connection) -> Result<(), HubError> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(BUSY)?;
    Ok(())
}

impl Hub<Sqlite> {
    pub fn open(path: &Path) -> Result<Self, HubError> {
        let writer = Connection::open(path)?;
        let hub = Self::init(writer)?;
        let reader = || -> Result<Mutex<Connection>, HubError> {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            configure(&conn)?;
            Ok(Mutex::new(conn))
        };
        let readers = (0..READERS).map(|_| reader()).collect::<Result<_, _>>()?;
        Ok(Self {
            backend: Sqlite {
                readers,
                report_reader: Some(reader()?),
                ..hub.backend
            },
            ..hub
        })
    }

    /// A hub in memory as a real province's starts: no units until the
    /// office loads its list.
    pub fn open_in_memory_empty() -> Result<Self, HubError> {
        Self::init(Connection::open_in_memory()?)
    }

    /// The tests' hub: in memory, with the demo district's tree.
    pub fn open_in_memory() -> Result<Self, HubError> {
        let hub = Self::init(Connection::open_in_memory()?)?;
        hub.seed_demo_units()?;
        Ok(hub)
    }

    fn init(mut conn: Connection) -> Result<Self, HubError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        configure(&conn)?;
        migrate::apply(&mut conn, migrate::HUB)?;
        let wanted = projection::rebuild_wanted(&conn)?;
        let hub = Hub::new(Sqlite {
            writer: Mutex::new(conn),
            readers: Vec::new(),
            report_reader: None,
            next: AtomicUsize::new(0),
        });
        if wanted {
            hub.rebuild_projections()?;
        }
        hub.refresh_units()?;
        Ok(hub)
    }

    /// Rebuilds every projection row from the documents, in one transaction.
    /// Returns the ids of documents the hub cannot interpret (a newer
    /// schema, say): they stay stored and synced, but out of the reports.
    pub fn rebuild_projections(&self) -> Result<Vec<String>, HubError> {
        let unreadable = self.backend.writer(|conn| {
            let tx = conn.transaction()?;
            let unreadable = projection::rebuild(&mut SqliteRows(&tx), &self.rules)?;
            tx.commit()?;
            Ok::<_, HubError>(unreadable)
        })?;
        for u in &unreadable {
            tracing::warn!(id = %u.id, error = %u.error, "record left out of the hub's reports");
        }
        Ok(unreadable.into_iter().map(|u| u.id).collect())
    }

    /// A consistent copy of the database in a new file at `dest`, taken
    /// while the hub serves: SQLite's online backup in one step from a
    /// reader connection (in WAL mode its read transaction holds no writer
    /// up, and the copy is the database as of one commit), never a copy of
    /// the file, which could catch a write half done.
    pub fn snapshot_to(&self, dest: &Path) -> Result<(), HubError> {
        self.backend.read(|conn| {
            let mut copy = Connection::open(dest)?;
            let backup = rusqlite::backup::Backup::new(conn, &mut copy)?;
            // -1: every page in one step, under one read transaction.
            let step = backup.step(-1)?;
            drop(backup);
            if step != rusqlite::backup::StepResult::Done {
                return Err(HubError::Backup(format!(
                    "Không sao lưu được: cơ sở dữ liệu đang bận ({step:?}); hãy thử lại. / The backup could not read the database ({step:?}); try again."
                )));
            }
            // One file, whatever the source's journal mode was.
            copy.pragma_update(None, "journal_mode", "DELETE")?;
            Ok(())
        })
    }

    /// The writer connection, for tests that must go around the store (to
    /// try what the store never does, or read a table it does not expose).
    #[cfg(test)]
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        lock(&self.backend.writer)
    }
}

#[cfg(test)]
mod tests {
    //! What only the SQLite store does (migrations of older files, reads
    //! beside the writer); the sync protocol's tests run on both stores in
    //! `contract_tests`.
    use super::*;
    use crate::contract_tests::{office, push_of, session_doc};
    use crate::storage::{with_rows, HubStorage};
    use crate::testing::unreadable_session_doc;
    use rusqlite::params;

    fn session_rows(hub: &HubStore) -> Vec<(String, i64)> {
        let conn = hub.conn();
        let mut stmt = conn
            .prepare("SELECT id, attendees FROM session_rows ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// A body the hub cannot read stays out of the rows after a rebuild
    /// too, and the rebuild names it (rows after pushes, edits and
    /// deletions are in `contract_tests::office`, on both stores).
    #[test]
    fn a_rebuild_names_the_documents_it_leaves_out() {
        let hub = HubStore::open_in_memory().unwrap();
        let (id, mut doc) = session_doc("62-610-23284");
        hub.push(&office(), &push_of(id, "62-610-23284", &mut doc))
            .unwrap();
        let (odd, mut odd_doc) = unreadable_session_doc("62-610-23284");
        hub.push(&office(), &push_of(odd, "62-610-23284", &mut odd_doc))
            .unwrap();
        assert_eq!(hub.document_count().unwrap(), 2);
        assert_eq!(session_rows(&hub), [(id.to_string(), 200)]);
        assert_eq!(hub.rebuild_projections().unwrap(), [odd.to_string()]);
        assert_eq!(session_rows(&hub), [(id.to_string(), 200)]);
    }

    /// A hub that held documents before it kept rows gets them on opening.
    #[test]
    fn a_hub_from_before_the_rows_builds_them_when_it_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old-hub.db");
        let (id, mut doc) = session_doc("62-610-23290");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate::apply(&mut conn, &migrate::HUB[..4]).unwrap();
            conn.execute(
                "INSERT INTO documents (id, kind, commune, bytes) VALUES (?1, 'session', '62-610-23290', ?2)",
                params![id.to_string(), doc.save()],
            )
            .unwrap();
        }
        let hub = HubStore::open(&path).unwrap();
        assert_eq!(session_rows(&hub), [(id.to_string(), 200)]);
        assert!(!projection::rebuild_wanted(&hub.conn()).unwrap());
    }

    /// A report reads on its own connection: a writer holding its
    /// transaction open (a push under way) does not stop it, and it sees
    /// the last commit, not the push's half-written rows.
    #[test]
    fn a_report_reads_beside_a_writer_holding_its_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let hub = HubStore::open(&dir.path().join("hub.db")).unwrap();
        hub.seed_demo_units().unwrap();
        let (id, mut doc) = session_doc("62-610-23284");
        hub.push(&office(), &push_of(id, "62-610-23284", &mut doc))
            .unwrap();
        let count = |hub: &HubStore| {
            with_rows(hub, |rows| {
                let june = pcmt_model::report::Period::month(2026, 6).unwrap();
                pcmt_core::report::compute(
                    rows,
                    &hub.units(),
                    &hub.rules,
                    "62-610-23284",
                    &june,
                    june.until,
                )
                .unwrap()
                .indicator(pcmt_model::report::IndicatorCode::Attendees)
                .and_then(|i| i.value)
            })
            .unwrap()
        };
        let writer = hub.conn();
        writer
            .execute_batch("BEGIN IMMEDIATE; DELETE FROM session_rows;")
            .unwrap();
        // With one connection this would wait for the lock held above forever.
        assert_eq!(count(&hub), Some(200.0));
        writer.execute_batch("ROLLBACK").unwrap();
        drop(writer);
        assert_eq!(count(&hub), Some(200.0));
    }

    /// Every reader a sync may use stays free while the report thread
    /// holds a read open: on the code before, the report took one of the
    /// `READERS`, and with the others busy a pull waited for the page.
    #[test]
    fn syncs_read_on_every_reader_while_a_report_holds_its_own() {
        use std::sync::mpsc::channel;
        use std::time::Duration;
        let dir = tempfile::tempdir().unwrap();
        let hub = std::sync::Arc::new(HubStore::open(&dir.path().join("hub.db")).unwrap());
        let (entered, inside) = channel();
        let (release, released) = channel::<()>();
        let released = std::sync::Arc::new(Mutex::new(released));
        let reading = |hub: &std::sync::Arc<HubStore>, report: bool| {
            let (hub, entered, released) = (hub.clone(), entered.clone(), released.clone());
            std::thread::spawn(move || {
                if report {
                    crate::storage::report_reads::mark_report_thread();
                }
                hub.backend.read(|_| {
                    entered.send(report).unwrap();
                    // Held until the test lets go (or gives up).
                    let _ = released
                        .lock()
                        .unwrap()
                        .recv_timeout(Duration::from_secs(30));
                });
            })
        };
        let page = reading(&hub, true);
        assert!(inside.recv().unwrap(), "the page reads first");
        let syncs: Vec<_> = (0..READERS).map(|_| reading(&hub, false)).collect();
        for _ in 0..READERS {
            // Waiting is what failed: the last sync found no reader free.
            assert_eq!(
                inside.recv_timeout(Duration::from_secs(10)),
                Ok(false),
                "a sync's read waited for the page's connection"
            );
        }
        for _ in 0..=READERS {
            release.send(()).unwrap();
        }
        page.join().unwrap();
        syncs.into_iter().for_each(|s| s.join().unwrap());
    }

    #[test]
    fn only_the_hash_of_a_token_is_stored() {
        let hub = HubStore::open_in_memory().unwrap();
        let code = hub
            .issue_code(&["62-610-23284".into()], "A Lưu", 3600)
            .unwrap();
        let e = hub.enrol(&code, uuid::Uuid::now_v7(), None).unwrap();
        let stored: Vec<u8> = hub
            .conn()
            .query_row("SELECT token_hash FROM devices", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, e.token.as_bytes());
        assert_eq!(stored, crate::rules::devices::hash(&e.token));
    }
}
