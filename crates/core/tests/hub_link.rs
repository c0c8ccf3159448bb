//! The tablet's side of the wire against hubs that are not what they should
//! be: a hub on another machine over plain HTTP, and a hub (or whatever
//! answers in its place) sending more than any sync message can be.

use pcmt_core::http::{sync_with_hub, HttpTransport};
use pcmt_core::sync::wire::MAX_MESSAGE_BYTES;
use pcmt_core::sync::SyncError;
use pcmt_core::{CoreError, Store};
use pcmt_model::OrgTree;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Mutex;
use std::thread::JoinHandle;

/// A documentation address (TEST-NET-1): nothing answers there.
const OFF_MACHINE: &str = "http://192.0.2.1:8787";

#[test]
fn a_hub_on_another_machine_over_plain_http_is_refused_before_anything_is_sent() {
    let store = Mutex::new(Store::open_in_memory(OrgTree::demo()).unwrap());
    let err = sync_with_hub(&store, OFF_MACHINE, Some("ABCDE-FGHJK")).unwrap_err();
    assert!(
        matches!(err, CoreError::Sync(SyncError::PlainHttp)),
        "{err:?}"
    );
    let words = err.user_message(pcmt_model::Lang::Vi);
    assert!(words.contains("https://"), "{words}");
    assert!(store.lock().unwrap().enrolment().unwrap().is_none());
    for url in [OFF_MACHINE, "http://127.0.0.1@192.0.2.1:8787"] {
        assert!(
            matches!(HttpTransport::new(url), Err(SyncError::PlainHttp)),
            "{url}"
        );
    }
    assert!(HttpTransport::new("http://127.0.0.1:8787").is_ok());
    assert!(HttpTransport::new("https://192.0.2.1:8787").is_ok());
}

/// What a flooding "hub" managed to hand over before the tablet hung up.
struct Flood {
    url: String,
    written: JoinHandle<usize>,
}

/// Answers one request with `status` and 64 MiB of bytes, eight times
/// what any sync message may be, announced with their length or streamed
/// in chunks with none, and counts what the client took.
fn flood(status: &str, announce_length: bool) -> Flood {
    const BODY: usize = 64 << 20;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let status = status.to_string();
    let written = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        // The request's head; its body is left unread.
        while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
            line.clear();
        }
        let mut out = stream;
        let framing = if announce_length {
            format!("Content-Length: {BODY}")
        } else {
            "Transfer-Encoding: chunked".into()
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\n{framing}\r\n\r\n"
        );
        if out.write_all(head.as_bytes()).is_err() {
            return 0;
        }
        let block = vec![0x5a_u8; 64 << 10];
        let mut sent = 0;
        while sent < BODY {
            let piece = if announce_length {
                block.clone()
            } else {
                [
                    format!("{:x}\r\n", block.len()).into_bytes(),
                    block.clone(),
                    b"\r\n".to_vec(),
                ]
                .concat()
            };
            if out.write_all(&piece).is_err() {
                break;
            }
            sent += block.len();
        }
        if !announce_length && sent >= BODY {
            let _ = out.write_all(b"0\r\n\r\n");
        }
        sent
    });
    Flood { url, written }
}

#[test]
fn an_answer_larger_than_any_sync_message_is_refused_without_reading_it_all() {
    for (status, announce_length) in [("200 OK", true), ("200 OK", false), ("500 Oops", false)] {
        let flood = flood(status, announce_length);
        let transport = HttpTransport::new(&flood.url).unwrap();
        let err = transport
            .enrol("ABCDE-FGHJK", uuid::Uuid::now_v7())
            .unwrap_err();
        drop(transport);
        if status.starts_with("200") {
            assert!(
                matches!(err, SyncError::TooLarge { .. }),
                "{status}: {err:?}"
            );
        } else {
            assert!(
                matches!(&err, SyncError::Refused { status: 500, message } if message.len() <= 500),
                "{err:?}"
            );
        }
        let written = flood.written.join().unwrap();
        // What the client read, plus what the sockets' buffers held.
        assert!(
            written < 2 * MAX_MESSAGE_BYTES + (8 << 20),
            "{status}, length announced {announce_length}: the tablet read {written} bytes"
        );
    }
}
