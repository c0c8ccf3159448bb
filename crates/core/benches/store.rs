//! Store benchmark: save latency with many records already stored, first
//! list page, full projection rebuild, and bytes per record — next to a
//! baseline measured in the same run (a plain SQLite row insert with the same
//! durability settings), so the cost of documents is visible.
//!
//! Writes `$PCMT_BENCH_DIR/store.json` (default target/bench).

use chrono::NaiveDate;
use pcmt_core::{Author, Store};
use pcmt_model::{OrgTree, SessionForm, SessionInput, Topic, VenueKind};
use std::path::{Path, PathBuf};
use std::time::Instant;

const MEASURED: usize = 300;

fn input(i: usize) -> SessionInput {
    let communes = ["62-610-23284", "62-610-23287", "62-610-23290"];
    let kinds = [VenueKind::School, VenueKind::VillageHall, VenueKind::Market];
    SessionInput {
        date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
            + chrono::Days::new((i % 300) as u64),
        commune: communes[i % 3].into(),
        venue_kind: kinds[i % 3],
        venue_name: format!("Nhà văn hóa thôn Đăk Ung số {i} — tuyên truyền lưu động"),
        form: SessionForm::Talk,
        attendees: 40 + (i % 200) as u32,
        women: 20 + (i % 20) as u32,
        topic: Topic::SyntheticDrugs,
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
            conn.execute("INSERT INTO t (payload) VALUES (?1)", [input(i).venue_name])
                .expect("insert");
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
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("device.db");
    let mut store = Store::open(&db, OrgTree::demo()).expect("store");
    let author = Author {
        officer: "Cán bộ đo hiệu năng".into(),
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();

    let fill = records.saturating_sub(MEASURED);
    let t = Instant::now();
    for i in 0..fill {
        store
            .create_session(&input(i), &author, today)
            .expect("save");
    }
    let fill_s = t.elapsed().as_secs_f64();

    let mut saves: Vec<f64> = (fill..records)
        .map(|i| {
            let t = Instant::now();
            store
                .create_session(&input(i), &author, today)
                .expect("save");
            ms(t.elapsed())
        })
        .collect();
    saves.sort_by(f64::total_cmp);

    let mut lists: Vec<f64> = (0..20)
        .map(|_| {
            let t = Instant::now();
            let page = store
                .list_sessions(&pcmt_model::api::ListFilter::default(), 50, 0)
                .expect("list");
            assert_eq!(page.len(), 50.min(records));
            ms(t.elapsed())
        })
        .collect();
    lists.sort_by(f64::total_cmp);

    let t = Instant::now();
    let unreadable = store.rebuild_projections().expect("rebuild");
    let rebuild_s = t.elapsed().as_secs_f64();
    assert!(unreadable.is_empty());
    drop(store);
    let bytes = file_size(&db) + file_size(&dir.path().join("device.db-wal"));

    let summary = serde_json::json!({
        "records": records,
        "save_p50_ms": percentile(&saves, 0.5),
        "save_p99_ms": percentile(&saves, 0.99),
        "list_ms": percentile(&lists, 0.5),
        "rebuild_s": rebuild_s,
        "bytes_per_record": bytes / records.max(1) as u64,
        "fill_s": fill_s,
        "baseline_sqlite_insert_p50_ms": baseline_insert_p50(dir.path()),
    });
    let path = out_dir.join("store.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&summary).expect("json"))
        .expect("write summary");
    println!("{}", serde_json::to_string_pretty(&summary).expect("json"));
    println!("wrote {}", path.display());
}
