//! Hub load benchmark (issue 9): simulated tablets syncing over real HTTP
//! with two `pcmt-hub` processes sharing one PostgreSQL, and the same
//! workload with one process on SQLite, side by side.
//!
//! Each simulated tablet is enrolled for one commune (a few officers per
//! commune, as in the field) and syncs `ROUNDS` times: it records a new
//! session, edits the one before, pushes, and pulls until the feed is done.
//! With two processes, a tablet's syncs alternate between them, as behind a
//! load balancer, so every pull also reads what the other process wrote.
//! At the end every tablet pulls once more and must hold every change the
//! other tablets of its commune had acknowledged: what it lacks is counted
//! as lost, what it got twice as duplicated. Both must be 0; the benchmark
//! fails otherwise (after writing its figures).
//!
//! Needs `PCMT_BENCH_HUB` (a release `pcmt-hub`) and `PCMT_TEST_PG` (a
//! server it may create databases on); `cargo xtask bench hub` sets both.
//! Writes `$PCMT_BENCH_DIR/hub.json`.

use automerge::{transaction::Transactable, ActorId, AutoCommit, ChangeHash};
use pcmt_core::http::{ENROL_PATH, PULL_PATH, PUSH_PATH};
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_core::sync::wire::{
    self, DocChanges, EnrolRequest, Enrolment, PullRequest, PullResponse, PushAck, PushRequest,
    BATCH_BYTES, PROTOCOL_VERSION,
};
use pcmt_hub::testing::TestDatabase;
use pcmt_hub::{HubStorage, HubStore, PgHubStore};
use pcmt_model::{fixtures, RecordKind};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Simulated tablets (`PCMT_BENCH_DEVICES` overrides).
const DEVICES: usize = 1000;
const DEVICES_PER_COMMUNE: usize = 4;
const ROUNDS: usize = 3;
/// Syncs in flight at once (`PCMT_BENCH_CLIENTS` overrides).
const CLIENTS: usize = 32;

type Result<T> = std::result::Result<T, String>;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A hub process, killed when dropped.
struct HubProcess {
    child: Child,
    url: String,
}

impl HubProcess {
    fn start(bin: &Path, database: &str) -> Result<Self> {
        let mut child = Command::new(bin)
            .args(["--database", database, "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut hub = Self {
            child,
            url: String::new(),
        };
        for line in lines.by_ref() {
            let line = line.map_err(|e| e.to_string())?;
            if let Some(rest) = line.split("listening on ").nth(1) {
                hub.url = rest.split_whitespace().next().unwrap_or_default().into();
                break;
            }
        }
        if hub.url.is_empty() {
            return Err("the hub never said where it listens".into());
        }
        // Keep reading so the hub never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(hub)
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One simulated tablet.
struct Device {
    id: Uuid,
    commune: String,
    token: String,
    actor: ActorId,
    cursor: u64,
    /// Its records, with the heads the hub has acknowledged.
    records: Vec<(Uuid, AutoCommit, Vec<ChangeHash>)>,
    /// Changes it pushed and the hub acknowledged.
    pushed: Vec<ChangeHash>,
    seen: HashSet<ChangeHash>,
    duplicates: u64,
}

fn post(
    client: &reqwest::blocking::Client,
    url: &str,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> Result<Vec<u8>> {
    let mut req = client
        .post(format!("{url}{path}"))
        .header("content-type", "application/octet-stream")
        .body(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().map_err(|e| e.to_string())?;
    let status = resp.status();
    let bytes = resp.bytes().map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&bytes)));
    }
    Ok(bytes.to_vec())
}

impl Device {
    /// A new session, and an edit of the one before.
    fn record(&mut self, round: usize) -> Result<()> {
        if let Some((_, doc, _)) = self.records.last_mut() {
            doc.put(automerge::ROOT, "attendees", 100 + round as i64)
                .map_err(|e| e.to_string())?;
        }
        let id = Uuid::now_v7();
        let mut input = fixtures::session("Nhà văn hoá thôn");
        input.commune = self.commune.clone();
        let note = ChangeNote {
            officer: "Cán bộ thử tải".into(),
        };
        let doc = record_doc::new_record(id, &self.commune, &input, self.actor.clone(), &note, 0)
            .map_err(|e| e.to_string())?;
        self.records.push((id, doc, Vec::new()));
        Ok(())
    }

    fn sync(&mut self, client: &reqwest::blocking::Client, url: &str) -> Result<()> {
        let mut docs = Vec::new();
        for (id, doc, acked) in &mut self.records {
            let dc = DocChanges::since(*id, RecordKind::Session, &self.commune, doc, acked);
            if !dc.changes.is_empty() {
                docs.push(dc);
            }
        }
        if !docs.is_empty() {
            let req = PushRequest {
                protocol: PROTOCOL_VERSION,
                device: self.id,
                docs,
            };
            let body = wire::encode(&req).map_err(|e| e.to_string())?;
            let _: PushAck = wire::decode(&post(client, url, PUSH_PATH, Some(&self.token), body)?)
                .map_err(|e| e.to_string())?;
            for dc in &req.docs {
                for c in &dc.changes {
                    self.pushed.push(hash_of(c)?);
                }
            }
            for (_, doc, acked) in &mut self.records {
                *acked = doc.get_heads();
            }
        }
        loop {
            let req = PullRequest {
                protocol: PROTOCOL_VERSION,
                device: self.id,
                communes: vec![self.commune.clone()],
                cursor: self.cursor,
                max_bytes: BATCH_BYTES as u32,
            };
            let body = wire::encode(&req).map_err(|e| e.to_string())?;
            let batch: PullResponse =
                wire::decode(&post(client, url, PULL_PATH, Some(&self.token), body)?)
                    .map_err(|e| e.to_string())?;
            for c in batch.docs.iter().flat_map(|d| &d.changes) {
                if !self.seen.insert(hash_of(c)?) {
                    self.duplicates += 1;
                }
            }
            self.cursor = batch.cursor;
            if !batch.more {
                return Ok(());
            }
        }
    }
}

fn hash_of(bytes: &[u8]) -> Result<ChangeHash> {
    automerge::Change::from_bytes(bytes.to_vec())
        .map(|c| c.hash())
        .map_err(|e| e.to_string())
}

#[derive(Debug)]
struct Figures {
    processes: usize,
    syncs: usize,
    failed_syncs: usize,
    seconds: f64,
    syncs_per_s: f64,
    p50_ms: f64,
    p95_ms: f64,
    max_ms: f64,
    /// Changes acknowledged, and changes delivered to other tablets: the
    /// denominators that make "0 lost" mean something.
    changes_pushed: u64,
    changes_delivered: u64,
    lost_changes: u64,
    duplicate_changes: u64,
    enrol_s: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// Runs `work(i)` for i in 0..n on `clients` threads.
fn in_parallel(n: usize, clients: usize, work: impl Fn(usize) + Sync) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                work(i);
            });
        }
    });
}

/// The whole workload against the hubs at `urls`, with one enrolment code
/// (and its commune) per tablet.
fn workload(codes: &[(String, String)], urls: &[String], clients: usize) -> Result<Figures> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(clients)
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let devices: Vec<Mutex<Option<Device>>> = codes.iter().map(|_| Mutex::new(None)).collect();
    let failures = Mutex::new(Vec::<String>::new());
    let fail = |e: String| failures.lock().unwrap_or_else(|p| p.into_inner()).push(e);
    in_parallel(codes.len(), clients, |i| {
        let (commune, code) = &codes[i];
        let id = Uuid::now_v7();
        let req = EnrolRequest {
            protocol: PROTOCOL_VERSION,
            code: code.clone(),
            device: id,
        };
        let enrolled = wire::encode(&req)
            .map_err(|e| e.to_string())
            .and_then(|body| post(&client, &urls[i % urls.len()], ENROL_PATH, None, body))
            .and_then(|b| wire::decode::<Enrolment>(&b).map_err(|e| e.to_string()));
        match enrolled {
            Ok(e) => {
                *devices[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(Device {
                    id,
                    commune: commune.clone(),
                    token: e.token,
                    actor: ActorId::random(),
                    cursor: 0,
                    records: Vec::new(),
                    pushed: Vec::new(),
                    seen: HashSet::new(),
                    duplicates: 0,
                })
            }
            Err(e) => fail(format!("enrol: {e}")),
        }
    });
    let enrol_s = started.elapsed().as_secs_f64();
    if let Some(e) = failures.lock().unwrap_or_else(|p| p.into_inner()).first() {
        return Err(format!("enrolment failed: {e}"));
    }

    let times = Mutex::new(Vec::new());
    let started = Instant::now();
    for round in 0..ROUNDS {
        in_parallel(devices.len(), clients, |i| {
            let mut guard = devices[i].lock().unwrap_or_else(|p| p.into_inner());
            let Some(device) = guard.as_mut() else { return };
            let url = &urls[(i + round) % urls.len()];
            let t = Instant::now();
            match device
                .record(round)
                .and_then(|()| device.sync(&client, url))
            {
                Ok(()) => times
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(t.elapsed()),
                Err(e) => fail(format!("sync: {e}")),
            }
        });
    }
    let seconds = started.elapsed().as_secs_f64();

    // The final pull, through the other process than each tablet's last sync.
    in_parallel(devices.len(), clients, |i| {
        let mut guard = devices[i].lock().unwrap_or_else(|p| p.into_inner());
        if let Some(device) = guard.as_mut() {
            if let Err(e) = device.sync(&client, &urls[(i + ROUNDS) % urls.len()]) {
                fail(format!("final pull: {e}"));
            }
        }
    });
    let devices: Vec<Device> = devices
        .into_iter()
        .filter_map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect();
    let mut by_commune: HashMap<&str, Vec<&Device>> = HashMap::new();
    for d in &devices {
        by_commune.entry(&d.commune).or_default().push(d);
    }
    let mut lost = 0u64;
    for d in &devices {
        for other in &by_commune[d.commune.as_str()] {
            if other.id != d.id {
                lost += other.pushed.iter().filter(|h| !d.seen.contains(h)).count() as u64;
            }
        }
    }
    let mut times = times.into_inner().unwrap_or_else(|p| p.into_inner());
    times.sort();
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    for f in failures.iter().take(5) {
        eprintln!("  failure: {f}");
    }
    Ok(Figures {
        processes: urls.len(),
        syncs: times.len(),
        failed_syncs: failures.len(),
        seconds,
        syncs_per_s: times.len() as f64 / seconds,
        p50_ms: percentile(&times, 0.50),
        p95_ms: percentile(&times, 0.95),
        max_ms: percentile(&times, 1.0),
        changes_pushed: devices.iter().map(|d| d.pushed.len() as u64).sum(),
        changes_delivered: devices.iter().map(|d| d.seen.len() as u64).sum(),
        lost_changes: lost,
        duplicate_changes: devices.iter().map(|d| d.duplicates).sum(),
        enrol_s,
    })
}

/// Enrolment codes, one per tablet, `DEVICES_PER_COMMUNE` tablets a commune.
fn issue_codes(storage: &dyn HubStorage, devices: usize) -> Result<Vec<(String, String)>> {
    (0..devices)
        .map(|i| {
            // Made-up communes: the demo tree has three, a province hundreds.
            let commune = format!("bench-{:05}", i / DEVICES_PER_COMMUNE);
            storage
                .issue_code(std::slice::from_ref(&commune), "Cán bộ thử tải", 3600)
                .map(|code| (commune, code))
                .map_err(|e| e.to_string())
        })
        .collect()
}

fn main() -> std::result::Result<(), String> {
    let bin = PathBuf::from(
        std::env::var("PCMT_BENCH_HUB")
            .map_err(|_| "PCMT_BENCH_HUB is not set: run `cargo xtask bench hub`".to_string())?,
    );
    let devices = env_usize("PCMT_BENCH_DEVICES", DEVICES);
    let clients = env_usize("PCMT_BENCH_CLIENTS", CLIENTS);
    let out =
        PathBuf::from(std::env::var("PCMT_BENCH_DIR").unwrap_or_else(|_| "target/bench".into()));

    println!("hub benchmark: {devices} tablets, {ROUNDS} syncs each, {clients} at once");
    let db = TestDatabase::from_env("hub benchmark")
        .map_err(|e| e.to_string())?
        .ok_or("PCMT_TEST_PG is not set: run `cargo xtask bench hub`")?;
    let codes = issue_codes(
        &PgHubStore::connect(&db.url, 2).map_err(|e| e.to_string())?,
        devices,
    )?;
    let pg = {
        let hubs = [
            HubProcess::start(&bin, &db.url)?,
            HubProcess::start(&bin, &db.url)?,
        ];
        let urls: Vec<String> = hubs.iter().map(|h| h.url.clone()).collect();
        workload(&codes, &urls, clients)?
    };
    println!("PostgreSQL, 2 processes: {pg:?}");

    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("hub.db");
    let codes = {
        let store = HubStore::open(&path).map_err(|e| e.to_string())?;
        issue_codes(&store, devices)?
    };
    let sqlite = {
        let hub = HubProcess::start(&bin, &format!("sqlite:{}", path.display()))?;
        workload(&codes, std::slice::from_ref(&hub.url), clients)?
    };
    println!("SQLite, 1 process: {sqlite:?}");

    let mut json = serde_json::Map::new();
    json.insert("devices".into(), devices.into());
    json.insert("devices_per_commune".into(), DEVICES_PER_COMMUNE.into());
    json.insert("syncs_per_device".into(), ROUNDS.into());
    json.insert("clients_at_once".into(), clients.into());
    json.insert(
        "cpu_cores".into(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
            .into(),
    );
    for (name, f) in [("postgres_2_processes", &pg), ("sqlite_1_process", &sqlite)] {
        let mut put = |k: &str, v: serde_json::Value| {
            json.insert(format!("{name}.{k}"), v);
        };
        put("processes", f.processes.into());
        put("syncs", f.syncs.into());
        put("failed_syncs", f.failed_syncs.into());
        put("seconds", f.seconds.into());
        put("syncs_per_s", f.syncs_per_s.into());
        put("p50_sync_ms", f.p50_ms.into());
        put("p95_sync_ms", f.p95_ms.into());
        put("max_sync_ms", f.max_ms.into());
        put("changes_pushed", f.changes_pushed.into());
        put("changes_delivered", f.changes_delivered.into());
        put("lost_changes", f.lost_changes.into());
        put("duplicate_changes", f.duplicate_changes.into());
        put("enrol_seconds", f.enrol_s.into());
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let file = out.join("hub.json");
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))?;
    println!("wrote {}", file.display());

    for (name, f) in [("PostgreSQL", &pg), ("SQLite", &sqlite)] {
        if f.lost_changes > 0 || f.duplicate_changes > 0 || f.failed_syncs > 0 {
            return Err(format!(
                "{name}: {} changes lost, {} duplicated, {} syncs failed",
                f.lost_changes, f.duplicate_changes, f.failed_syncs
            ));
        }
    }
    Ok(())
}
