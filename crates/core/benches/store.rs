//! Store benchmark, on a realistic mix of sessions, person files, check-ins
//! and surveys: save latency with many records already stored, first
//! list page, full projection rebuild, and bytes per record — next to a
//! baseline measured in the same run (a plain SQLite row insert with the same
//! durability settings), so the cost of documents is visible. The same
//! workload runs again on an encrypted store (`encrypted_*` keys), and the
//! unlock is timed with the vault's real Argon2 parameters.
//!
//! Writes `$PCMT_BENCH_DIR/store.json` (default target/bench).

use chrono::NaiveDate;
use pcmt_core::vault::KdfParams;
use pcmt_core::{Author, Store, Vault};
use pcmt_model::api::ListFilter;
use pcmt_model::fixtures::{self, day};
use pcmt_model::{OrgTree, SessionInput, VenueKind};
use std::path::{Path, PathBuf};
use std::time::Instant;
use uuid::Uuid;

const MEASURED: usize = 300;
const PIN: &str = "240719";
const TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 24) {
    Some(d) => d,
    None => panic!("a date"),
};

fn session(i: usize) -> SessionInput {
    let communes = ["62-610-23284", "62-610-23287", "62-610-23290"];
    let kinds = [VenueKind::School, VenueKind::VillageHall, VenueKind::Market];
    SessionInput {
        date: day(2026, 1, 1) + chrono::Days::new((i % 300) as u64),
        commune: communes[i % 3].into(),
        venue_kind: kinds[i % 3],
        venue_name: format!("Nhà văn hóa thôn Đăk Ung số {i} — tuyên truyền lưu động"),
        attendees: 40 + (i % 200) as u32,
        women: 20 + (i % 20) as u32,
        ..fixtures::session("")
    }
}

/// One save of the realistic mix a commune produces: sessions, person
/// files, check-ins on those people, surveys with and without findings.
fn save_one(
    store: &mut Store,
    i: usize,
    people: &mut Vec<Uuid>,
    author: &Author,
    today: NaiveDate,
) {
    match i % 20 {
        0..=7 => {
            store
                .create_session(&session(i), author, today)
                .expect("save session");
        }
        8..=10 => {
            let p = fixtures::person(&format!("Nguyễn Văn Thử {i}"));
            people.push(
                store
                    .create_person(&p, author, today)
                    .expect("save person")
                    .id,
            );
        }
        11..=17 if !people.is_empty() => {
            let person = people[i % people.len()];
            let date = day(2026, 1, 1) + chrono::Days::new((i % 320) as u64);
            store
                .create_checkin(&fixtures::checkin(person, date), author, today)
                .expect("save check-in");
        }
        18 => {
            store
                .create_survey(&fixtures::survey_with_site(), author, today)
                .expect("save survey");
        }
        _ => {
            store
                .create_survey(&fixtures::survey_without_findings(), author, today)
                .expect("save survey");
        }
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn baseline_insert_p50(dir: &Path) -> f64 {
    let conn = rusqlite::Connection::open(dir.join("baseline.db")).expect("baseline db");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("full");
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)", [])
        .expect("table");
    let mut times: Vec<f64> = (0..MEASURED)
        .map(|i| {
            let t = Instant::now();
            conn.execute(
                "INSERT INTO t (payload) VALUES (?1)",
                [session(i).venue_name],
            )
            .expect("insert");
            ms(t.elapsed())
        })
        .collect();
    times.sort_by(f64::total_cmp);
    percentile(&times, 0.5)
}

/// What one run of the workload measured, on one store.
struct Figures {
    save_p50_ms: f64,
    save_p99_ms: f64,
    list_ms: f64,
    search_ms: f64,
    due_list_ms: f64,
    rebuild_s: f64,
    bytes_per_record: u64,
    fill_s: f64,
}

impl Figures {
    /// Into the summary, each key prefixed (`""` for the plaintext store).
    fn write_to(&self, summary: &mut serde_json::Map<String, serde_json::Value>, prefix: &str) {
        let pairs = [
            ("save_p50_ms", self.save_p50_ms.into()),
            ("save_p99_ms", self.save_p99_ms.into()),
            ("list_ms", self.list_ms.into()),
            ("search_ms", self.search_ms.into()),
            ("due_list_ms", self.due_list_ms.into()),
            ("rebuild_s", self.rebuild_s.into()),
            ("bytes_per_record", self.bytes_per_record.into()),
            ("fill_s", self.fill_s.into()),
        ];
        for (k, v) in pairs {
            summary.insert(format!("{prefix}{k}"), v);
        }
    }
}

/// One store under the workload: the plaintext one or the encrypted one.
struct Subject {
    db: PathBuf,
    store: Store,
    people: Vec<Uuid>,
    saves: Vec<f64>,
    fill_s: f64,
}

impl Subject {
    /// The store filled with the first `fill` records of the workload.
    fn filled(db: PathBuf, mut store: Store, fill: usize, author: &Author) -> Self {
        let mut people = Vec::new();
        let t = Instant::now();
        for i in 0..fill {
            save_one(&mut store, i, &mut people, author, TODAY);
        }
        Self {
            db,
            store,
            people,
            saves: Vec::new(),
            fill_s: t.elapsed().as_secs_f64(),
        }
    }

    fn timed_save(&mut self, i: usize, author: &Author) {
        let t = Instant::now();
        save_one(&mut self.store, i, &mut self.people, author, TODAY);
        self.saves.push(ms(t.elapsed()));
    }

    /// The reads and the rebuild on the full store, and its size once closed.
    fn finish(mut self, records: usize) -> Figures {
        self.saves.sort_by(f64::total_cmp);
        let store = &mut self.store;
        let mut lists: Vec<f64> = (0..20)
            .map(|_| {
                let t = Instant::now();
                let page = store
                    .list_sessions(&ListFilter::default(), 50, 0)
                    .expect("list");
                assert_eq!(page.len(), 50);
                ms(t.elapsed())
            })
            .collect();
        lists.sort_by(f64::total_cmp);
        let t = Instant::now();
        let found = store
            .search_people("nguyen van thu 1", 50, 0)
            .expect("search");
        let search_ms = ms(t.elapsed());
        assert!(!found.is_empty());
        let t = Instant::now();
        store.due_visits(TODAY, 200).expect("due list");
        let due_list_ms = ms(t.elapsed());

        let t = Instant::now();
        let unreadable = store.rebuild_projections().expect("rebuild");
        let rebuild_s = t.elapsed().as_secs_f64();
        assert!(unreadable.is_empty());
        drop(self.store);
        let mut wal = self.db.as_os_str().to_owned();
        wal.push("-wal");
        let bytes = file_size(&self.db) + file_size(Path::new(&wal));
        Figures {
            save_p50_ms: percentile(&self.saves, 0.5),
            save_p99_ms: percentile(&self.saves, 0.99),
            list_ms: percentile(&lists, 0.5),
            search_ms,
            due_list_ms,
            rebuild_s,
            bytes_per_record: bytes / records.max(1) as u64,
            fill_s: self.fill_s,
        }
    }
}

/// Median of `n` timed runs, in ms.
fn median_ms(n: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            ms(t.elapsed())
        })
        .collect();
    times.sort_by(f64::total_cmp);
    percentile(&times, 0.5)
}

fn main() {
    let records: usize = std::env::var("PCMT_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let out_dir = std::env::var_os("PCMT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench"));
    std::fs::create_dir_all(&out_dir).expect("bench output folder");
    let mut summary = serde_json::Map::new();
    summary.insert("records".into(), records.into());

    let author = Author {
        officer: "Cán bộ đo hiệu năng".into(),
    };
    let fill = records.saturating_sub(MEASURED);
    let plain_dir = tempfile::tempdir().expect("temp dir");
    let plain_db = plain_dir.path().join("device.db");
    let plain_store = Store::open(&plain_db, OrgTree::demo()).expect("store");
    let plain = Subject::filled(plain_db, plain_store, fill, &author);

    // The encrypted store with the vault's real Argon2 parameters, so the
    // unlock time is the one an officer waits for.
    let enc_dir = tempfile::tempdir().expect("temp dir");
    let db = enc_dir.path().join("device.db");
    let vault = Vault::new(enc_dir.path());
    let t = Instant::now();
    let key = vault.create(PIN).expect("create vault");
    summary.insert("vault_create_ms".into(), ms(t.elapsed()).into());
    let enc_store = Store::open_encrypted(&db, &key, OrgTree::demo()).expect("encrypted store");
    let encrypted = Subject::filled(db.clone(), enc_store, fill, &author);

    // Measured saves alternate between the two stores, so whatever else
    // the machine is doing weighs on both alike.
    let mut subjects = [plain, encrypted];
    for i in fill..records {
        for s in subjects.iter_mut() {
            s.timed_save(i, &author);
        }
    }
    let [plain, encrypted] = subjects;
    plain.finish(records).write_to(&mut summary, "");
    encrypted
        .finish(records)
        .write_to(&mut summary, "encrypted_");
    summary.insert(
        "baseline_sqlite_insert_p50_ms".into(),
        baseline_insert_p50(plain_dir.path()).into(),
    );

    let now = chrono::Utc::now().timestamp();
    summary.insert(
        "unlock_kdf_ms".into(),
        median_ms(3, || {
            vault.unlock(PIN, now).expect("unlock");
        })
        .into(),
    );
    // What the officer waits for after typing the PIN: the key, then the
    // store opened with it.
    summary.insert(
        "unlock_ms".into(),
        median_ms(3, || {
            let key = vault.unlock(PIN, now).expect("unlock");
            Store::open_encrypted(&db, &key, OrgTree::demo()).expect("open");
        })
        .into(),
    );
    let p = KdfParams::DEFAULT;
    summary.insert(
        "unlock_kdf".into(),
        format!("argon2id m={}KiB t={} p={}", p.m_kib, p.t_cost, p.p_cost).into(),
    );

    let summary = serde_json::Value::Object(summary);
    let path = out_dir.join("store.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&summary).expect("json"))
        .expect("write summary");
    println!("{}", serde_json::to_string_pretty(&summary).expect("json"));
    println!("wrote {}", path.display());
}
