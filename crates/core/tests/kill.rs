//! A child process saves sessions in a loop and reports each save it got an
//! answer for; the parent kills it with SIGKILL at a random moment, many
//! times over. Every acknowledged save must be there, intact, on reopening,
//! and the file must pass SQLite's integrity check.
//!
//! The child is this same test binary, started with `PCMT_SAVE_LOOP_DB` set.

use chrono::NaiveDate;
use pcmt_core::{Author, Store};
use pcmt_model::{OrgTree, SessionForm, SessionInput, Topic, VenueKind};
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use uuid::Uuid;

const ROUNDS: u32 = 25;
const CHILD_ENV: &str = "PCMT_SAVE_LOOP_DB";

fn input(n: u64) -> SessionInput {
    SessionInput {
        date: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        commune: "62-610-23284".into(),
        venue_kind: VenueKind::VillageHall,
        venue_name: format!("Lần lưu số {n}"),
        form: SessionForm::Talk,
        attendees: (n % 500) as u32,
        women: (n % 500 / 2) as u32,
        topics: vec![Topic::Rehab],
        details: Default::default(),
    }
}

fn save_forever(db: &Path) -> ! {
    let mut store = Store::open(db, OrgTree::demo()).expect("child opens the store");
    let author = Author {
        officer: "tiến trình con".into(),
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let mut n: u64 = std::env::var("PCMT_SAVE_LOOP_START")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    loop {
        let row = store
            .create_session(&input(n), &author, today)
            .expect("child saves");
        // Printed only after the save returned: this line is the acknowledgement.
        println!("ack {} {n}", row.id);
        n += 1;
    }
}

/// A small deterministic generator: the seed is printed so a failure can be replayed.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn every_acknowledged_save_survives_sigkill() {
    if let Some(db) = std::env::var_os(CHILD_ENV) {
        save_forever(Path::new(&db));
    }
    let mut seed: u64 = std::env::var("PCMT_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1);
            nanos | 1 // xorshift needs a non-zero state
        });
    println!("PCMT_KILL_SEED={seed}");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("device.db");
    let mut acked: Vec<(Uuid, u64)> = Vec::new();
    let mut next_n = 0u64;
    let mut rounds_with_saves = 0u32;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "every_acknowledged_save_survives_sigkill",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &db)
            .env("PCMT_SAVE_LOOP_START", next_n.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let wait = Duration::from_millis(30 + next(&mut seed) % 300);
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("ack ") {
                    let mut parts = rest.split(' ');
                    let id = Uuid::parse_str(parts.next().unwrap()).unwrap();
                    let n: u64 = parts.next().unwrap().parse().unwrap();
                    lines.push((id, n));
                }
            }
            lines
        });
        std::thread::sleep(wait);
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        // Died of the kill, not of a panic or an exit of its own (which
        // would mean the loop stopped saving before the kill came).
        assert_eq!(status.signal(), Some(9), "round {round}: {status:?}");
        let got = reader.join().unwrap();
        if !got.is_empty() {
            rounds_with_saves += 1;
        }
        if let Some((_, n)) = got.last() {
            next_n = n + 1;
        }
        // A save may have committed after its ack line was cut: keep numbers unique.
        next_n += 1;
        acked.extend(got);

        let store = Store::open(&db, OrgTree::demo()).expect("reopens after a kill");
        assert_eq!(store.integrity_check().unwrap(), "ok", "round {round}");
        for (id, n) in &acked {
            let row = store.session(*id).unwrap_or_else(|e| {
                panic!("round {round}: acknowledged save {n} ({id}) lost: {e}")
            });
            let want = input(*n);
            assert_eq!(row.venue_name, want.venue_name, "round {round}");
            assert_eq!((row.attendees, row.women), (want.attendees, want.women));
        }
    }
    // A kill that lands before the first save proves nothing; most rounds
    // must have been killed mid-stream of acknowledged saves.
    assert!(
        rounds_with_saves > ROUNDS / 2,
        "only {rounds_with_saves} of {ROUNDS} rounds acknowledged a save before the kill"
    );
    println!(
        "{} acknowledged saves over {ROUNDS} kills ({rounds_with_saves} rounds with saves), none lost",
        acked.len()
    );
}
