//! The shaped link the sync and photo benchmarks share: a small delaying,
//! throttling TCP proxy (a one-way latency, a rate, and a round trip to set
//! up each new connection), counting the bytes that cross it each way; it
//! can also cut the link once so many bytes went up, as a connection that
//! drops in the middle of a request.

#![allow(dead_code)]

use pcmt_hub::{HubStorage, HubStore};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A link: one-way latency and a rate in bytes per second (None: loopback).
/// A new connection waits a round trip before any byte passes (the TCP
/// handshake a real link makes it pay).
#[derive(Clone, Copy)]
pub struct Link {
    pub one_way: Duration,
    pub bytes_per_s: Option<f64>,
}

pub const LOOPBACK: Link = Link {
    one_way: Duration::ZERO,
    bytes_per_s: None,
};
pub const SHAPED: Link = Link {
    one_way: Duration::from_millis(100),
    bytes_per_s: Some(1_000_000.0 / 8.0),
};

/// Bytes that crossed the proxy, both ways together and upward alone, and
/// where the upward count cuts the link (never, by default).
pub struct Meter {
    pub both: AtomicU64,
    pub up: AtomicU64,
    pub cut_up_at: AtomicU64,
}

impl Default for Meter {
    fn default() -> Self {
        Self {
            both: AtomicU64::new(0),
            up: AtomicU64::new(0),
            cut_up_at: AtomicU64::new(u64::MAX),
        }
    }
}

impl Meter {
    pub fn bytes(&self) -> u64 {
        self.both.load(Ordering::Relaxed)
    }

    pub fn up(&self) -> u64 {
        self.up.load(Ordering::Relaxed)
    }

    /// Cuts every connection once `at` bytes in all went up.
    pub fn cut_at(&self, at: u64) {
        self.cut_up_at.store(at, Ordering::Relaxed);
    }
}

/// Copies one direction: each chunk leaves when the link has sent what came
/// before it (rate), and arrives one latency later. Upward, a chunk that
/// reaches the cut is not passed on, and the connection ends.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: Link,
    meter: Arc<Meter>,
    upward: bool,
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
        meter.both.fetch_add(n as u64, Ordering::Relaxed);
        if upward {
            let up = meter.up.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
            if up >= meter.cut_up_at.load(Ordering::Relaxed) {
                break;
            }
        }
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
pub async fn proxy(upstream: std::net::SocketAddr, link: Link, meter: Arc<Meter>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
    let url = format!("http://{}", listener.local_addr().expect("proxy address"));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let meter = meter.clone();
            tokio::spawn(async move {
                tokio::time::sleep(link.one_way * 2).await;
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                tokio::spawn(pipe(cr, sw, link, meter.clone(), true));
                tokio::spawn(pipe(sr, cw, link, meter, false));
            });
        }
    });
    url
}

/// A hub as an office runs it (a SQLite file, WAL, synchronous=FULL)
/// serving on loopback, reached through links made with [`Bench::link`].
pub struct Bench {
    pub rt: tokio::runtime::Runtime,
    pub hub: pcmt_hub::Shared,
    pub addr: std::net::SocketAddr,
    /// The hub's database file; removed when the bench is dropped.
    _dir: tempfile::TempDir,
}

impl Bench {
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("hub folder");
        let hub = Arc::new(HubStore::open(&dir.path().join("hub.db")).expect("hub"));
        let listener = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("hub port");
        let addr = listener.local_addr().expect("hub address");
        rt.spawn(pcmt_hub::web::serve(listener, hub.clone()));
        Self {
            rt,
            hub,
            addr,
            _dir: dir,
        }
    }

    /// A new proxy to the hub over `link`, and its meter.
    pub fn link(&self, link: Link) -> (String, Arc<Meter>) {
        let meter = Arc::new(Meter::default());
        (
            self.rt.block_on(proxy(self.addr, link, meter.clone())),
            meter,
        )
    }

    /// The hub straight, on loopback.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An enrolment code for `communes`.
    pub fn code(&self, communes: &[&str]) -> String {
        let communes: Vec<String> = communes.iter().map(|c| c.to_string()).collect();
        self.hub
            .issue_code(&communes, "đo hiệu năng", 3600)
            .expect("code")
    }
}
