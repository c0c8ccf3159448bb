//! Sync benchmark: 10,000 realistic records through a real hub over HTTP,
//! on loopback and through a shaped link (200 ms round trip, 1 Mbit/s each
//! way) made by a small delaying, throttling TCP proxy in this file; then
//! hundreds of tablets at once. Bytes are counted on the wire by the proxy
//! (HTTP headers included). Writes `$PCMT_BENCH_DIR/sync.json`.

use pcmt_core::http::sync_with_hub;
use pcmt_core::{Author, Store};
use pcmt_hub::{HubStorage, HubStore};
use pcmt_model::api::ListFilter;
use pcmt_model::fixtures::{self, day};
use pcmt_model::{OrgTree, SessionInput};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const COMMUNES: [&str; 3] = ["62-610-23284", "62-610-23287", "62-610-23290"];

/// A link: one-way latency and a rate in bytes per second (None: loopback).
#[derive(Clone, Copy)]
struct Link {
    one_way: Duration,
    bytes_per_s: Option<f64>,
}

const LOOPBACK: Link = Link {
    one_way: Duration::ZERO,
    bytes_per_s: None,
};
const SHAPED: Link = Link {
    one_way: Duration::from_millis(100),
    bytes_per_s: Some(1_000_000.0 / 8.0),
};

/// Bytes that crossed the proxy, both ways.
#[derive(Default)]
struct Meter(AtomicU64);

/// Copies one direction: each chunk leaves when the link has sent what came
/// before it (rate), and arrives one latency later.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: Link,
    meter: Arc<Meter>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut link_free = tokio::time::Instant::now();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        meter.0.fetch_add(n as u64, Ordering::Relaxed);
        let now = tokio::time::Instant::now();
        let sent = link_free.max(now)
            + link
                .bytes_per_s
                .map(|r| Duration::from_secs_f64(n as f64 / r))
                .unwrap_or_default();
        link_free = sent;
        if tx.send((sent + link.one_way, buf[..n].to_vec())).is_err() {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}

/// Starts a proxy to `upstream`; returns its URL.
async fn proxy(upstream: std::net::SocketAddr, link: Link, meter: Arc<Meter>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
    let url = format!("http://{}", listener.local_addr().expect("proxy address"));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(upstream).await else {
                continue;
            };
            let _ = (client.set_nodelay(true), server.set_nodelay(true));
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pipe(cr, sw, link, meter.clone()));
            tokio::spawn(pipe(sr, cw, link, meter.clone()));
        }
    });
    url
}

struct Bench {
    rt: tokio::runtime::Runtime,
    hub: pcmt_hub::Shared,
    addr: std::net::SocketAddr,
}

impl Bench {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let hub = Arc::new(HubStore::open_in_memory().expect("hub"));
        let listener = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("hub port");
        let addr = listener.local_addr().expect("hub address");
        rt.spawn(pcmt_hub::web::serve(listener, hub.clone()));
        Self { rt, hub, addr }
    }

    fn link(&self, link: Link) -> (String, Arc<Meter>) {
        let meter = Arc::new(Meter::default());
        (
            self.rt.block_on(proxy(self.addr, link, meter.clone())),
            meter,
        )
    }

    fn code(&self) -> String {
        let communes: Vec<String> = COMMUNES.iter().map(|c| c.to_string()).collect();
        self.hub
            .issue_code(&communes, "đo hiệu năng", 3600)
            .expect("code")
    }
}

/// One sync through `link`: (seconds, bytes on the wire, round trips).
fn measured_sync(bench: &Bench, store: &Mutex<Store>, link: Link) -> (f64, u64, u64) {
    let (url, meter) = bench.link(link);
    let code = bench.code();
    let t = Instant::now();
    let report = sync_with_hub(store, &url, Some(&code)).expect("sync");
    (
        t.elapsed().as_secs_f64(),
        meter.0.load(Ordering::Relaxed),
        report.round_trips,
    )
}

fn tablet() -> Mutex<Store> {
    Mutex::new(Store::open_in_memory(OrgTree::demo()).expect("store"))
}

fn fill(store: &Mutex<Store>, records: usize) {
    let author = Author {
        officer: "Cán bộ đo".into(),
    };
    let today = day(2026, 11, 24);
    let mut s = store.lock().expect("store");
    let mut people = Vec::new();
    for i in 0..records {
        match i % 10 {
            0..=4 => {
                let input = SessionInput {
                    commune: COMMUNES[i % 3].into(),
                    attendees: 60 + (i % 200) as u32,
                    ..fixtures::session(&format!("Nhà văn hóa thôn số {i}"))
                };
                s.create_session(&input, &author, today).expect("session");
            }
            5 | 6 => people.push(
                s.create_person(
                    &fixtures::person(&format!("Nguyễn Văn Đo {i}")),
                    &author,
                    today,
                )
                .expect("person")
                .id,
            ),
            7 | 8 if !people.is_empty() => {
                let p = people[i % people.len()];
                let date = day(2026, 1, 1) + chrono::Days::new((i % 300) as u64);
                s.create_checkin(&fixtures::checkin(p, date), &author, today)
                    .expect("check-in");
            }
            _ => {
                s.create_survey(&fixtures::survey_with_site(), &author, today)
                    .expect("survey");
            }
        }
    }
}

fn main() {
    let records: usize = std::env::var("PCMT_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let devices: usize = std::env::var("PCMT_BENCH_DEVICES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let out_dir = std::env::var_os("PCMT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench"));
    std::fs::create_dir_all(&out_dir).expect("bench folder");
    let bench = Bench::new();

    // The office's tablet sends 10,000 records up (loopback), then fresh
    // tablets download them: once on loopback, once on the shaped link.
    let started = Instant::now();
    let phase = |what: &str| eprintln!("[{:>6.1} s] {what}", started.elapsed().as_secs_f64());
    let source = tablet();
    fill(&source, records);
    phase("filled");
    let (push_s, push_bytes, _) = measured_sync(&bench, &source, LOOPBACK);
    phase("pushed");
    let fresh = tablet();
    let (first_s, first_bytes, first_trips) = measured_sync(&bench, &fresh, LOOPBACK);
    phase("first sync on loopback");
    let shaped_tablet = tablet();
    let (first_shaped_s, first_shaped_bytes, _) = measured_sync(&bench, &shaped_tablet, SHAPED);
    assert_eq!(
        shaped_tablet
            .lock()
            .expect("store")
            .document_heads()
            .expect("heads")
            .len(),
        records
    );

    phase("first sync on the shaped link");
    // Nothing new: one round trip.
    let (_, nochange_bytes, nochange_trips) = measured_sync(&bench, &shaped_tablet, SHAPED);

    // 100 records edited on the shaped tablet, sent up.
    {
        let author = Author {
            officer: "Cán bộ sửa".into(),
        };
        let mut s = shaped_tablet.lock().expect("store");
        let rows = s
            .list_sessions(&ListFilter::default(), 100, 0)
            .expect("list");
        for r in rows {
            let input = SessionInput {
                commune: r.commune.clone(),
                attendees: r.attendees + 1,
                ..fixtures::session(&r.venue_name)
            };
            s.update_session(r.id, &input, &author, day(2026, 11, 24))
                .expect("edit");
        }
    }
    let (edits_s, edits_bytes, edits_trips) = measured_sync(&bench, &shaped_tablet, SHAPED);

    phase("edits");
    // Many tablets at once against a hub of their own, each with two new
    // records, 32 in flight (a fresh tablet of the big hub above would
    // download all 10,000 records: that is the first-sync figure).
    let bench = Bench::new();
    let (url, _) = bench.link(LOOPBACK);
    let many: Vec<Mutex<Store>> = (0..devices).map(|_| tablet()).collect();
    let author = Author {
        officer: "Cán bộ".into(),
    };
    for (i, d) in many.iter().enumerate() {
        for r in 0..2 {
            let input = SessionInput {
                commune: COMMUNES[i % 3].into(),
                ..fixtures::session(&format!("Thiết bị {i}-{r}"))
            };
            d.lock()
                .expect("store")
                .create_session(&input, &author, day(2026, 11, 24))
                .expect("save");
        }
    }
    let codes: Vec<String> = (0..devices).map(|_| bench.code()).collect();
    let t = Instant::now();
    let failed: usize = std::thread::scope(|s| {
        let chunk = devices / 32 + 1;
        let handles: Vec<_> = many
            .chunks(chunk)
            .zip(codes.chunks(chunk))
            .map(|(ds, cs)| {
                let url = &url;
                s.spawn(move || {
                    ds.iter()
                        .zip(cs)
                        .filter(|(d, c)| sync_with_hub(*d, url, Some(c)).is_err())
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    let devices_s = t.elapsed().as_secs_f64();
    phase("devices");
    let office = tablet();
    sync_with_hub(&office, &url, Some(&bench.code())).expect("office sync");
    let expected = devices * 2;
    let held = office
        .lock()
        .expect("store")
        .document_heads()
        .expect("heads")
        .len();

    let summary = serde_json::json!({
        "records": records,
        "first_push_bytes": push_bytes,
        "first_push_s": push_s,
        "first_sync_bytes": first_bytes,
        "first_sync_s": first_s,
        "first_sync_round_trips": first_trips,
        "first_sync_shaped_bytes": first_shaped_bytes,
        "first_sync_shaped_s": first_shaped_s,
        "nochange_bytes": nochange_bytes,
        "nochange_round_trips": nochange_trips,
        "edits100_bytes": edits_bytes,
        "edits100_round_trips": edits_trips,
        "edits100_shaped_s": edits_s,
        "devices": devices,
        "devices_failed_syncs": failed,
        "devices_s": devices_s,
        "devices_lost_records": expected.saturating_sub(held),
    });
    let path = out_dir.join("sync.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&summary).expect("json")).expect("write");
    println!("{}", serde_json::to_string_pretty(&summary).expect("json"));
}
