//! A tablet of protocol 3 (records in `pcmt_core::sync::compact`'s shapes)
//! meets a hub of protocol 2, which refuses protocol 3 in the words its
//! `HubError::Protocol` has always used: the tablet enrols and syncs at 2,
//! and records go both ways. The older hub is played by a small HTTP
//! server in front of a hub of today, refusing what a hub of protocol 2
//! refuses and passing the rest on (today's hub answers protocol 2 in
//! protocol 2's shapes, as the older hub did).

use pcmt_core::http::{sync_with_hub, ENROL_PATH, PULL_PATH, PUSH_PATH};
use pcmt_core::sync::wire::{self, EnrolRequest, PullRequest, PushRequest, PROTOCOL_VERSION};
use pcmt_model::fixtures::{day, session};
use sotay_pcmt::{TestDevice, TestHub};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What the older hub saw: requests refused, requests passed on.
#[derive(Default)]
struct Seen {
    refused: AtomicUsize,
    passed: AtomicUsize,
}

/// Serves `upstream` as a hub of protocol 2 would; its URL.
fn older_hub(upstream: String, seen: Arc<Seen>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let url = format!("http://{}", listener.local_addr().expect("bound address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (upstream, seen) = (upstream.clone(), seen.clone());
            std::thread::spawn(move || serve(stream, &upstream, &seen));
        }
    });
    url
}

/// One connection's requests, one after the other (the tablet keeps its
/// connection open between them).
fn serve(stream: TcpStream, upstream: &str, seen: &Seen) {
    let client = reqwest::blocking::Client::new();
    let mut reader = BufReader::new(stream.try_clone().expect("the connection"));
    let mut out = stream;
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            head.push(line.trim_end().to_string());
        }
        let Some((method, path)) = head.first().and_then(|l| {
            let mut parts = l.split(' ');
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        }) else {
            return;
        };
        let header = |name: &str| {
            head.iter().find_map(|h| {
                let (k, v) = h.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
        };
        let length: usize = header("content-length").map_or(0, |v| v.parse().unwrap_or(0));
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let protocol = match path.as_str() {
            PUSH_PATH => PushRequest::decode(&body).map(|p| p.protocol).ok(),
            PULL_PATH => wire::decode::<PullRequest>(&body).map(|p| p.protocol).ok(),
            ENROL_PATH => EnrolRequest::decode(&body).map(|e| e.protocol).ok(),
            _ => None,
        };
        let (status, answer) = match protocol {
            Some(p) if p > 2 => {
                seen.refused.fetch_add(1, Ordering::Relaxed);
                let words =
                    format!("protocol version {p} is not supported (this hub speaks 1 to 2)");
                (400, words.into_bytes())
            }
            _ => {
                seen.passed.fetch_add(1, Ordering::Relaxed);
                let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
                let mut req = client
                    .request(method, format!("{upstream}{path}"))
                    .body(body);
                if let Some(auth) = header("authorization") {
                    req = req.header("authorization", auth);
                }
                let resp = req.send().expect("today's hub answers");
                let status = resp.status().as_u16();
                (status, resp.bytes().expect("its answer").to_vec())
            }
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        if out.write_all(head.as_bytes()).is_err() || out.write_all(&answer).is_err() {
            return;
        }
    }
}

fn a_tablet_of_today_enrols_and_syncs_with_a_hub_of_protocol_2(hub: TestHub) {
    const { assert!(PROTOCOL_VERSION > 2) };
    let seen = Arc::new(Seen::default());
    let older = older_hub(hub.url.clone(), seen.clone());
    let (a, b) = (TestDevice::new("A Lưu"), TestDevice::new("Y Hoa"));
    let today = day(2026, 11, 24);
    let made_on_a = a
        .store()
        .create_session(&session("Trường TH Đăk Pék"), &a.author, today)
        .unwrap()
        .id;
    let code = hub.code_for(&["62-610-23284"]);
    let report = sync_with_hub(&a.store, &older, Some(&code)).expect("syncs at protocol 2");
    assert_eq!(report.sent_records, 1);
    let refused = seen.refused.load(Ordering::Relaxed);
    assert!(refused >= 1, "the tablet asked at protocol 3 first");

    // Another tablet, on today's hub, sends a record the first receives
    // through the older hub.
    b.enrol(&hub, &["62-610-23284"]);
    let made_on_b = b
        .store()
        .create_session(&session("Chợ Đăk Glei"), &b.author, today)
        .unwrap()
        .id;
    b.sync(&hub);
    let report = sync_with_hub(&a.store, &older, None).expect("syncs again at protocol 2");
    assert_eq!(report.received_records, 1);
    assert!(a
        .store()
        .record::<pcmt_model::SessionInput>(made_on_b)
        .is_ok());
    b.sync(&hub);
    assert!(b
        .store()
        .record::<pcmt_model::SessionInput>(made_on_a)
        .is_ok());
    // One refusal a sync: the rest of each went at protocol 2.
    assert_eq!(seen.refused.load(Ordering::Relaxed), refused + 1);
    assert!(seen.passed.load(Ordering::Relaxed) >= 3);
}

sotay_pcmt::on_both_hubs!(a_tablet_of_today_enrols_and_syncs_with_a_hub_of_protocol_2);
