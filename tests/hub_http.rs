//! Bad input at the hub's door, over real HTTP: garbage, oversized bodies,
//! missing or forged tokens, unknown paths. Each gets a 4xx with a reason,
//! and nothing is stored.

use pcmt_core::http::{ENROL_PATH, PULL_PATH, PUSH_PATH};
use pcmt_core::sync::wire::MAX_MESSAGE_BYTES;
use sotay_pcmt::{TestDevice, TestHub};

fn post(url: &str, token: Option<&str>, body: Vec<u8>) -> (u16, String) {
    let client = reqwest::blocking::Client::new();
    let mut req = client.post(url).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().expect("the hub answers");
    (resp.status().as_u16(), resp.text().unwrap_or_default())
}

fn garbage_oversized_and_unauthenticated_requests_get_4xx_and_store_nothing(hub: TestHub) {
    let device = TestDevice::new("A Lưu");
    device.enrol(&hub, &["62-610-23284"]);
    let token = device.store().enrolment().unwrap().unwrap().token;
    let at = |path: &str| format!("{}{path}", hub.url);

    let cases: Vec<(&str, u16, (u16, String))> = vec![
        (
            "push without a token",
            401,
            post(&at(PUSH_PATH), None, vec![1, 2, 3]),
        ),
        (
            "pull with a forged token",
            401,
            post(&at(PULL_PATH), Some("forged"), vec![1, 2, 3]),
        ),
        (
            "push of garbage",
            400,
            post(&at(PUSH_PATH), Some(&token), b"not a sync message".to_vec()),
        ),
        (
            "pull of garbage",
            400,
            post(&at(PULL_PATH), Some(&token), vec![0xff; 64]),
        ),
        (
            "enrol with garbage",
            400,
            post(&at(ENROL_PATH), None, vec![0x28, 0xb5, 0x2f, 0xfd, 0]),
        ),
        (
            "oversized push",
            413,
            post(&at(PUSH_PATH), Some(&token), vec![0; MAX_MESSAGE_BYTES + 1]),
        ),
        (
            "path tricks",
            404,
            post(&at("/sync/v1/../../etc/passwd"), Some(&token), vec![]),
        ),
    ];
    for (what, want, (got, reason)) in cases {
        assert_eq!(got, want, "{what}: {reason}");
        if got != 404 {
            assert!(!reason.is_empty(), "{what} says why");
        }
    }
    assert_eq!(hub.storage.document_count().unwrap(), 0);
    // The enrolled device still syncs normally afterwards.
    device
        .store()
        .create_session(
            &pcmt_model::fixtures::session("Trường TH"),
            &device.author,
            pcmt_model::fixtures::day(2026, 11, 24),
        )
        .unwrap();
    assert_eq!(device.sync(&hub).sent_records, 1);
}

sotay_pcmt::on_both_hubs!(garbage_oversized_and_unauthenticated_requests_get_4xx_and_store_nothing,);
