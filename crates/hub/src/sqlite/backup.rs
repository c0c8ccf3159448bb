//! Backups of a SQLite hub, sealed with the office's key, and the restore
//! (`pcmt-hub --backup`, `--restore`, and the schedule of a serving hub).
//!
//! A backup is SQLite's online backup of the live database (see
//! [`HubStore::snapshot_to`]) sealed into the target ([`crate::rules::sealed`])
//! and then checked: opened again with the key, read by SQLite
//! (`quick_check`) and its documents counted, before it takes its name. The
//! plaintext copies this needs are made in a working directory beside the
//! hub's database (whose disk holds the plaintext database already), never
//! beside the backup, and removed.

use super::HubStore;
use crate::error::HubError;
use crate::rules::sealed::{self, BackupKey};
use crate::storage::HubStorage;
use pcmt_core::sync::wire::Epoch;
use rusqlite::{Connection, OpenFlags};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What a backup holds, as its check read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub documents: u64,
    /// The sealed file's size.
    pub bytes: u64,
}

fn file_error(path: &Path, source: std::io::Error) -> HubError {
    HubError::File {
        path: path.display().to_string(),
        source,
    }
}

/// A file in `dir` that is removed when dropped: the plaintext copies.
struct Scratch(PathBuf);

impl Scratch {
    fn new(dir: &Path, what: &str) -> Result<Self, HubError> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|e| HubError::Random(e.to_string()))?;
        Ok(Self(
            dir.join(format!(".pcmt-{what}-{}.tmp", hex::encode(random))),
        ))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for extra in ["", "-journal", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(extra);
            let _ = std::fs::remove_file(path);
        }
    }
}

impl HubStore {
    /// Backs the hub up into `out`, sealed with `key`, while it serves,
    /// and checks the backup; plaintext copies go in `work_dir` (the
    /// database's own directory). `out` appears only once checked.
    pub fn backup_sealed(
        &self,
        work_dir: &Path,
        out: &Path,
        key: &BackupKey,
    ) -> Result<Checked, HubError> {
        let copy = Scratch::new(work_dir, "backup")?;
        self.snapshot_to(&copy.0)?;
        let mut unnamed = out.as_os_str().to_owned();
        unnamed.push(".part");
        let unnamed = PathBuf::from(unnamed);
        let written = (|| {
            let mut input =
                BufReader::new(File::open(&copy.0).map_err(|e| file_error(&copy.0, e))?);
            let file = File::create(&unnamed).map_err(|e| file_error(&unnamed, e))?;
            let mut output = BufWriter::new(file);
            sealed::seal(&mut input, &mut output, key)?;
            let file = output
                .into_inner()
                .map_err(|e| file_error(&unnamed, e.into_error()))?;
            file.sync_all().map_err(|e| file_error(&unnamed, e))
        })();
        drop(copy);
        let checked = written.and_then(|()| check_sealed(&unnamed, work_dir, key));
        match checked {
            Ok(checked) => {
                std::fs::rename(&unnamed, out).map_err(|e| file_error(out, e))?;
                Ok(checked)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&unnamed);
                Err(e)
            }
        }
    }
}

/// Opens the sealed backup at `path` into `dest` (plaintext).
fn unseal_into(path: &Path, dest: &Path, key: &BackupKey) -> Result<(), HubError> {
    let mut input = BufReader::new(File::open(path).map_err(|e| file_error(path, e))?);
    let mut output = BufWriter::new(File::create(dest).map_err(|e| file_error(dest, e))?);
    sealed::open(&mut input, &mut output, key)?;
    output.flush().map_err(|e| file_error(dest, e))
}

/// Whether the plaintext database at `path` reads as a hub's: SQLite's
/// `quick_check`, and its documents counted.
fn check_database(path: &Path) -> Result<u64, HubError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(HubError::Backup(format!(
            "Bản sao lưu mở được nhưng cơ sở dữ liệu bên trong bị hỏng ({verdict}). / The backup opens but the database in it is damaged ({verdict})."
        )));
    }
    let documents: i64 = conn
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .map_err(|_| {
            HubError::Backup(
                "Bản sao lưu không chứa cơ sở dữ liệu của máy chủ PCMT. / The backup holds no PCMT hub database."
                    .into(),
            )
        })?;
    Ok(documents.unsigned_abs())
}

/// Checks a sealed backup: it opens with `key` and holds a sound hub
/// database. Plaintext is written in `work_dir` only, and removed.
pub fn check_sealed(path: &Path, work_dir: &Path, key: &BackupKey) -> Result<Checked, HubError> {
    let copy = Scratch::new(work_dir, "check")?;
    unseal_into(path, &copy.0, key)?;
    let documents = check_database(&copy.0)?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| file_error(path, e))?
        .len();
    Ok(Checked { documents, bytes })
}

/// Restores the hub's database at `db` from the sealed backup at `backup`,
/// with the hub stopped: the backup is opened and checked beside `db`
/// first, and only then does the current database move aside (to
/// `db.before-restore-SECONDS`, with its WAL: nothing is deleted) and
/// the backup take its place. The restored hub takes a new epoch, with an
/// audit entry naming the backup, so every tablet offers again what it
/// holds. Returns the new epoch and what the backup held.
pub fn restore_sealed(
    backup: &Path,
    db: &Path,
    key: &BackupKey,
    now: i64,
) -> Result<(Epoch, Checked), HubError> {
    let dir = match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let restored = Scratch::new(&dir, "restore")?;
    unseal_into(backup, &restored.0, key)?;
    let documents = check_database(&restored.0)?;
    if db.exists() {
        for extra in ["", "-wal", "-shm"] {
            let mut from = db.as_os_str().to_owned();
            from.push(extra);
            let mut to = db.as_os_str().to_owned();
            to.push(format!(".before-restore-{now}{extra}"));
            if Path::new(&from).exists() {
                std::fs::rename(&from, &to).map_err(|e| file_error(Path::new(&from), e))?;
            }
        }
    }
    std::fs::rename(&restored.0, db).map_err(|e| file_error(db, e))?;
    let store = HubStore::open(db)?;
    let name = backup
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let epoch = store.new_epoch(&name)?;
    let bytes = std::fs::metadata(backup)
        .map_err(|e| file_error(backup, e))?
        .len();
    Ok((epoch, Checked { documents, bytes }))
}

/// The names scheduled backups take: `pcmt-hub-YYYYMMDDTHHMMSSZ.pcmtbak`,
/// so that they sort by time.
pub const SCHEDULED_PREFIX: &str = "pcmt-hub-";
pub const SCHEDULED_SUFFIX: &str = ".pcmtbak";

/// One scheduled backup into `dir`, named for `stamp` (UTC,
/// `YYYYMMDDTHHMMSSZ`), then the oldest scheduled backups beyond `keep`
/// removed (only once this one is checked). Returns the new backup's path.
pub fn scheduled_backup(
    store: &HubStore,
    work_dir: &Path,
    dir: &Path,
    key: &BackupKey,
    keep: usize,
    stamp: &str,
) -> Result<(PathBuf, Checked), HubError> {
    let out = dir.join(format!("{SCHEDULED_PREFIX}{stamp}{SCHEDULED_SUFFIX}"));
    let checked = store.backup_sealed(work_dir, &out, key)?;
    let mut ours: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| file_error(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(SCHEDULED_PREFIX) && n.ends_with(SCHEDULED_SUFFIX))
        })
        .collect();
    ours.sort();
    let excess = ours.len().saturating_sub(keep.max(1));
    for old in &ours[..excess] {
        std::fs::remove_file(old).map_err(|e| file_error(old, e))?;
    }
    Ok((out, checked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract_tests::{office, push_of, session_doc};
    use crate::rules::audit::{Action, Query};

    /// A backup taken while the hub serves opens with its key only, holds
    /// the documents of that moment, and a restore brings them back with a
    /// new epoch and an audit entry; the database it replaced is kept.
    #[test]
    fn a_sealed_backup_restores_the_hub_as_it_was_with_a_new_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hub.db");
        let hub = HubStore::open(&db).unwrap();
        let (id, mut doc) = session_doc("62-610-23284");
        hub.push(&office(), &push_of(id, "62-610-23284", &mut doc))
            .unwrap();
        let before = hub.epoch().unwrap();
        let key = BackupKey::generate().unwrap();
        let out = dir.path().join("copy.pcmtbak");
        let checked = hub.backup_sealed(dir.path(), &out, &key).unwrap();
        assert_eq!(checked.documents, 1);
        let sealed = std::fs::read(&out).unwrap();
        assert!(sealed.starts_with(sealed::MAGIC));
        assert!(!sealed.windows(15).any(|w| w == b"SQLite format 3"));
        let other = BackupKey::generate().unwrap();
        assert!(check_sealed(&out, dir.path(), &other).is_err());

        let (later, mut later_doc) = session_doc("62-610-23284");
        hub.push(&office(), &push_of(later, "62-610-23284", &mut later_doc))
            .unwrap();
        drop(hub);
        assert!(matches!(
            restore_sealed(&out, &db, &other, 1),
            Err(HubError::Backup(_))
        ));
        let (epoch, restored) = restore_sealed(&out, &db, &key, 2).unwrap();
        assert_eq!(restored.documents, 1);
        assert_ne!(epoch, before);
        let hub = HubStore::open(&db).unwrap();
        assert_eq!(hub.document_count().unwrap(), 1);
        assert_eq!(hub.epoch().unwrap(), epoch);
        let log = hub
            .audit_log(&Query::visible_to(&pcmt_model::OrgTree::demo(), "62-610"))
            .unwrap();
        assert!(log
            .entries
            .iter()
            .any(|l| l.entry.action == Action::HubRestored
                && l.entry.detail.backup.as_deref() == Some("copy.pcmtbak")));
        let kept = HubStore::open(&dir.path().join("hub.db.before-restore-2")).unwrap();
        assert_eq!(kept.document_count().unwrap(), 2, "nothing deleted");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no plaintext copy left");
    }

    /// The schedule keeps the newest `keep` of its own backups and
    /// touches no other file.
    #[test]
    fn scheduled_backups_keep_the_newest_and_nothing_else_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let backups = dir.path().join("backups");
        std::fs::create_dir(&backups).unwrap();
        std::fs::write(backups.join("notes.txt"), "office").unwrap();
        let hub = HubStore::open(&dir.path().join("hub.db")).unwrap();
        let key = BackupKey::generate().unwrap();
        for day in 1..=4 {
            let stamp = format!("2026120{day}T020000Z");
            scheduled_backup(&hub, dir.path(), &backups, &key, 2, &stamp).unwrap();
        }
        let mut names: Vec<String> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "notes.txt",
                "pcmt-hub-20261203T020000Z.pcmtbak",
                "pcmt-hub-20261204T020000Z.pcmtbak"
            ]
        );
    }
}
