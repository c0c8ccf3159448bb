//! Change chunks crafted to blow up whoever reads them (issue 17, item 1):
//! one DEFLATE-compressed chunk of about a megabyte that inflates to a
//! gigabyte, one of a hundred bytes whose runs claim millions of
//! operations. The hub refuses both at the push and the tablet at the pull,
//! and neither process's memory peaks anywhere near what they claim.
//!
//! A test binary of its own: the peak (`VmHWM`) is the whole process's, so
//! no other test's allocations may share it.

use pcmt_core::http::PUSH_PATH;
use pcmt_core::sync::limits::craft::crafted_change;
use pcmt_core::sync::wire::{
    DocChanges, PullResponse, PushAck, PushRequest, Request, Response, PROTOCOL_VERSION,
};
use pcmt_core::sync::{run_sync, SyncError, Transport};
use sotay_pcmt::{TestDevice, TestHub};
use uuid::Uuid;

const COMMUNE: &str = "62-610-23284";
/// What the inflation bomb inflates to.
const INFLATES_TO: usize = 1 << 30;
/// What the operations bomb claims: Automerge would walk and apply each.
const CLAIMED_OPS: u64 = 5_000_000;
/// Far below either bomb, far above what a test process needs.
const PEAK_LIMIT_MIB: u64 = 256;

/// The process's peak resident memory so far, in MiB.
fn peak_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line");
    kib / 1024
}

fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    let inflation = crafted_change(1, true, INFLATES_TO);
    assert!(
        inflation.len() < 2 << 20,
        "the inflation bomb is small on the wire ({} bytes)",
        inflation.len()
    );
    let ops = crafted_change(CLAIMED_OPS, false, 0);
    assert!(ops.len() < 100);
    vec![("inflation bomb", inflation), ("operations bomb", ops)]
}

fn doc_of(change: Vec<u8>) -> DocChanges {
    DocChanges {
        id: Uuid::now_v7(),
        kind: "session".into(),
        commune: COMMUNE.into(),
        changes: vec![change],
    }
}

fn a_pushed_bomb_is_refused_within_bounded_memory(hub: TestHub) {
    let device = TestDevice::new("A Lưu");
    device.enrol(&hub, &[COMMUNE]);
    let token = device.store().enrolment().unwrap().unwrap().token;
    let me = device.store().device_id();
    let client = reqwest::blocking::Client::new();
    for (what, bomb) in bombs() {
        let body = PushRequest {
            protocol: PROTOCOL_VERSION,
            device: me,
            docs: vec![doc_of(bomb)],
            pull: None,
            epoch: None,
            office: None,
        }
        .encode()
        .unwrap();
        let answer = client
            .post(format!("{}{PUSH_PATH}", hub.url))
            .bearer_auth(&token)
            .body(body)
            .send()
            .expect("the hub answers");
        let status = answer.status().as_u16();
        let reason = answer.text().unwrap_or_default();
        assert_eq!(status, 422, "{what}: {reason}");
        assert!(
            reason.contains("limit"),
            "{what} is refused for its size: {reason} (peak so far {} MiB)",
            peak_mib()
        );
    }
    assert_eq!(hub.storage.document_count().unwrap(), 0);
    let peak = peak_mib();
    assert!(
        peak < PEAK_LIMIT_MIB,
        "the hub's process peaked at {peak} MiB reading the bombs"
    );
}

sotay_pcmt::on_both_hubs!(a_pushed_bomb_is_refused_within_bounded_memory);

/// A hub that answers every pull with one batch holding `docs`.
struct Relaying {
    docs: Vec<DocChanges>,
}

impl Transport for Relaying {
    fn exchange(&mut self, request: &Request) -> Result<Response, SyncError> {
        let batch = PullResponse {
            docs: self.docs.clone(),
            cursor: 1,
            more: false,
            snapshots: Vec::new(),
            epoch: None,
        };
        match request {
            // A sync with nothing to send starts with a push of nothing
            // carrying the first pull.
            Request::Push(p) if p.docs.is_empty() && p.pull.is_some() => {
                Ok(Response::Push(PushAck {
                    stored: Vec::new(),
                    new_changes: 0,
                    pull: Some(batch),
                    epoch: None,
                    office: None,
                }))
            }
            Request::Push(_) | Request::Offer(_) => {
                Err(SyncError::Malformed("nothing to push or offer".into()))
            }
            Request::Pull(_) => Ok(Response::Pull(batch)),
        }
    }
}

#[test]
fn a_pulled_bomb_is_refused_within_bounded_memory() {
    for (what, bomb) in bombs() {
        let device = TestDevice::new("A Lưu");
        let mut hub = Relaying {
            docs: vec![doc_of(bomb)],
        };
        let result = run_sync(&device.store, &mut hub, vec![COMMUNE.into()]);
        let error = result.expect_err(what).to_string();
        assert!(
            error.contains("limit"),
            "{what} is refused for its size: {error} (peak so far {} MiB)",
            peak_mib()
        );
        assert_eq!(device.store().pull_cursor().unwrap(), 0, "{what}");
    }
    let peak = peak_mib();
    assert!(
        peak < PEAK_LIMIT_MIB,
        "the tablet's process peaked at {peak} MiB reading the bombs"
    );
}
