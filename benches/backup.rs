//! Backup benchmark (issue 24): a file-backed SQLite hub of
//! `PCMT_BENCH_HUB_RECORDS` records (1,000,000 by default; sessions of the
//! three demo communes pushed through the hub's own push path, in batches)
//! is backed up with `backup_sealed` (online backup, sealed with a key,
//! checked) and restored with `restore_sealed`: their times and sizes.
//!
//! Then what a restore costs a tablet: a tablet of `PCMT_BENCH_RECORDS`
//! records (10,000) synced with its own hub, the hub backed up, the tablet
//! adds and edits a tenth of them and syncs (what the restore will lose),
//! the hub is restored, and the tablet syncs again: the bytes it sends
//! then (its encoded requests: offers and pushes), beside the bytes of the
//! sync the hub lost. Any record the restored hub does not hold at the
//! end, or holds behind the tablet, fails the run (after the figures are
//! written). Writes `$PCMT_BENCH_DIR/backup.json`; its databases and
//! backups live in that folder while it runs and are deleted at the end.

use automerge::ActorId;
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_core::sync::wire::{DocChanges, DocHeads, OfferRequest, PushRequest, PROTOCOL_VERSION};
use pcmt_core::sync::{run_sync, Request, Response, SyncError, Transport};
use pcmt_core::{Author, Store};
use pcmt_hub::rules::sealed::BackupKey;
use pcmt_hub::sqlite::backup::{restore_sealed, Checked};
use pcmt_hub::{HubStorage, HubStore, Scope};
use pcmt_model::fixtures::{self, day};
use pcmt_model::{OrgTree, RecordKind, SessionInput};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;
use uuid::Uuid;

const COMMUNES: [&str; 3] = ["62-610-23284", "62-610-23287", "62-610-23290"];
/// Documents per push while the big hub is filled.
const FILL_BATCH: usize = 1000;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The office's own tools, for every commune.
fn office() -> Scope {
    Scope {
        device: Uuid::nil(),
        communes: COMMUNES.iter().map(|c| c.to_string()).collect(),
        office: None,
    }
}

/// `n` sessions pushed into `hub` as a tablet would send them.
fn fill_hub(hub: &HubStore, n: usize) {
    let note = ChangeNote {
        officer: "Cán bộ thử".into(),
    };
    let mut done = 0;
    while done < n {
        let docs: Vec<DocChanges> = (done..n.min(done + FILL_BATCH))
            .map(|i| {
                let commune = COMMUNES[i % 3];
                let base = fixtures::session(&format!("Điểm sinh hoạt số {i}"));
                let input = SessionInput {
                    commune: commune.into(),
                    attendees: base.women + (i % 300) as u32,
                    ..base
                };
                let id = Uuid::now_v7();
                let mut doc =
                    record_doc::new_record(id, commune, &input, ActorId::random(), &note, 0)
                        .expect("a session serialises");
                DocChanges::since(id, RecordKind::Session, commune, &mut doc, &[])
            })
            .collect();
        done += docs.len();
        hub.push(
            &office(),
            &PushRequest {
                protocol: PROTOCOL_VERSION,
                device: Uuid::nil(),
                docs,
                pull: None,
                epoch: None,
                office: None,
            },
        )
        .expect("the hub stores the batch");
        if done % 100_000 == 0 {
            eprintln!("  {done} records in the hub");
        }
    }
}

/// Carries a tablet's requests to a hub in process, through the wire
/// encoding, counting the bytes the tablet sends.
struct Counting<'a> {
    hub: &'a HubStore,
    scope: Scope,
    sent: u64,
}

impl Transport for Counting<'_> {
    fn exchange(&mut self, request: &Request) -> Result<Response, SyncError> {
        self.sent += request.encode()?.len() as u64;
        pcmt_hub::testing::deliver(self.hub, &self.scope, request)
    }
}

/// Syncs `tablet` with `hub`; the bytes its requests took and the report.
fn sync(
    hub: &HubStore,
    tablet: &Mutex<Store>,
    scope: &Scope,
) -> (u64, pcmt_core::sync::SyncReport) {
    let mut link = Counting {
        hub,
        scope: scope.clone(),
        sent: 0,
    };
    let report = run_sync(tablet, &mut link, vec![COMMUNES[0].into()]).expect("the sync");
    (link.sent, report)
}

fn timed<T>(work: impl FnOnce() -> T) -> (f64, T) {
    let started = Instant::now();
    let out = work();
    (started.elapsed().as_secs_f64(), out)
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|extra| {
            let mut p = path.as_os_str().to_owned();
            p.push(extra);
            std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
        })
        .sum()
}

fn main() {
    let hub_records = env_or("PCMT_BENCH_HUB_RECORDS", 1_000_000);
    let tablet_records = env_or("PCMT_BENCH_RECORDS", 10_000);
    let out_dir = std::env::var_os("PCMT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench"));
    std::fs::create_dir_all(&out_dir).expect("bench folder");
    let mut problems = Vec::new();
    let key = BackupKey::generate().expect("a key");

    // 1. The big hub: backup and restore.
    let dir = tempfile::tempdir_in(&out_dir).expect("a directory");
    let db = dir.path().join("hub.db");
    let hub = HubStore::open(&db).expect("a hub on disk");
    let (fill_s, ()) = timed(|| fill_hub(&hub, hub_records));
    eprintln!("filled {hub_records} records in {fill_s:.1} s");
    let db_bytes = file_size(&db);
    let out = dir.path().join("hub.pcmtbak");
    let (backup_s, checked) = timed(|| hub.backup_sealed(dir.path(), &out, &key));
    let checked: Checked = checked.expect("a checked backup");
    if checked.documents != hub_records as u64 {
        problems.push(format!(
            "the backup holds {} records of {hub_records}",
            checked.documents
        ));
    }
    drop(hub);
    let (restore_s, restored) = timed(|| restore_sealed(&out, &db, &key, 1));
    let (_, restored) = restored.expect("the restore");
    let back = HubStore::open(&db).expect("the restored hub");
    if back.document_count().expect("a count") != hub_records as u64 {
        problems.push("the restored hub lost records".into());
    }
    drop(back);
    eprintln!("backup {backup_s:.1} s, restore {restore_s:.1} s");

    // 2. What a restore costs a tablet of `tablet_records`.
    let small_dir = tempfile::tempdir_in(&out_dir).expect("a directory");
    let small_db = small_dir.path().join("hub.db");
    let hub = HubStore::open(&small_db).expect("a hub");
    let code = hub
        .issue_code(&[COMMUNES[0].into()], "A Lưu", 3600)
        .expect("a code");
    let tablet_dir = tempfile::tempdir_in(&out_dir).expect("a directory");
    let tablet = Mutex::new(
        Store::open(&tablet_dir.path().join("tablet.db"), OrgTree::demo()).expect("a tablet"),
    );
    let device = tablet.lock().expect("the tablet").device_id();
    let enrolment = hub.enrol(&code, device, None).expect("enrolled");
    tablet
        .lock()
        .expect("the tablet")
        .set_enrolment(&enrolment)
        .expect("kept");
    let scope = hub.authenticate(&enrolment.token).expect("a scope");
    let author = Author {
        officer: "A Lưu".into(),
    };
    let create = |from: usize, to: usize| -> Vec<Uuid> {
        let mut s = tablet.lock().expect("the tablet");
        (from..to)
            .map(|i| {
                let base = fixtures::session(&format!("Thôn {i}, xã Đăk Pék"));
                let input = SessionInput {
                    attendees: base.women + (i % 200) as u32,
                    ..base
                };
                s.create_session(&input, &author, day(2026, 11, 24))
                    .expect("a session")
                    .id
            })
            .collect()
    };
    let first = create(0, tablet_records);
    let (first_sync_bytes, _) = sync(&hub, &tablet, &scope);
    let backup = small_dir.path().join("small.pcmtbak");
    hub.backup_sealed(small_dir.path(), &backup, &key)
        .expect("a backup");
    // What the restore will lose: a tenth new, a tenth of the old edited.
    let tenth = tablet_records / 10;
    create(tablet_records, tablet_records + tenth);
    {
        let mut s = tablet.lock().expect("the tablet");
        for (i, id) in first.iter().take(tenth).enumerate() {
            let base = fixtures::session(&format!("Thôn {i}, xã Đăk Pék"));
            let input = SessionInput {
                attendees: base.women + 999,
                ..base
            };
            s.update_session(*id, &input, &author, day(2026, 11, 25))
                .expect("an edit");
        }
    }
    let (lost_bytes, lost) = sync(&hub, &tablet, &scope);
    drop(hub);
    restore_sealed(&backup, &small_db, &key, 2).expect("restored");
    let hub = HubStore::open(&small_db).expect("the restored hub");
    let (resync_bytes, resync) = sync(&hub, &tablet, &scope);
    if !resync.resynced {
        problems.push("the tablet did not notice the restore".into());
    }
    // Every record at the tablet's heads: an offer of all finds nothing
    // lacking.
    let heads = tablet
        .lock()
        .expect("the tablet")
        .document_heads()
        .expect("heads");
    let held = heads.len();
    let mut lacking = 0;
    let all: Vec<DocHeads> = heads
        .into_iter()
        .map(|(id, h)| DocHeads {
            id,
            heads: h.iter().map(|c| c.0).collect(),
        })
        .collect();
    for chunk in all.chunks(2000) {
        let answer = hub
            .offer(
                &scope,
                &OfferRequest {
                    protocol: PROTOCOL_VERSION,
                    device,
                    docs: chunk.to_vec(),
                    ranges: Vec::new(),
                },
            )
            .expect("an offer");
        lacking += answer.lacking.len();
    }
    if lacking > 0 || held != tablet_records + tenth {
        problems.push(format!(
            "after the resync the hub lacks {lacking} of the tablet's {held} records"
        ));
    }

    let summary = serde_json::json!({
        "hub_records": hub_records,
        "hub_fill_s": fill_s,
        "hub_database_bytes": db_bytes,
        "backup_s": backup_s,
        "backup_bytes": checked.bytes,
        "restore_s": restore_s,
        "restored_records": restored.documents,
        "tablet_records": tablet_records,
        "tablet_first_sync_sent_bytes": first_sync_bytes,
        "lost_records": lost.sent_records,
        "lost_sync_sent_bytes": lost_bytes,
        "resync_sent_bytes": resync_bytes,
        "resync_offered_bytes": resync.offered_bytes,
        "resync_sent_records": resync.sent_records,
        "resync_extra_bytes": resync_bytes.saturating_sub(lost_bytes),
        "resync_received_bytes": resync.received_bytes,
        "resync_round_trips": resync.round_trips,
        "lost": problems.len(),
    });
    let path = out_dir.join("backup.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&summary).expect("json")).expect("write");
    // The bench's files go before the process ends, whatever it found.
    drop((hub, tablet));
    drop((dir, small_dir, tablet_dir));
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("LOST: {p}");
        }
        std::process::exit(1);
    }
}
