//! The limits as an attacker would use them (issue 17, item 6): a burst of
//! guesses sent at once, and the limits turned against honest clients
//! behind the same address; and what a refusal tells (item 8): a foreign
//! record's commune, a database's own words, a body read before its token.
//! On both stores.

use super::{
    body_of, enrol_body, from_address, pek_pull, pull_body, quick_limits, runtime, send,
    sync_request, AnyHub, CHOONG, PASSWORD, PEK,
};
use crate::contract_tests::{push_of, session_doc, Logs};
use crate::rules::audit::{Action, Query};
use crate::web::Limits;
use axum::body::{Body, Bytes, HttpBody};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use pcmt_core::http::{ENROL_PATH, PULL_PATH, PUSH_PATH};
use pcmt_core::sync::wire::PushRequest;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use uuid::Uuid;

on_both_hubs!(
    a_burst_of_wrong_sign_ins_checks_no_more_passwords_than_the_limits,
    a_burst_of_wrong_codes_looks_up_no_more_codes_than_the_limit,
    a_burst_of_right_codes_from_one_address_all_enrol,
    a_valid_token_syncs_from_an_address_blocked_for_unknown_ones,
    a_refused_write_to_another_communes_record_does_not_name_its_commune,
    a_database_failure_is_answered_in_words_and_its_detail_only_logged,
    an_unknown_token_is_refused_before_the_body_is_read,
    behind_a_configured_proxy_each_client_is_counted_under_its_own_address,
);

/// Sends every request at once, each on its own task, and returns how many
/// were checked (401) — at least one, at most `limit` — having checked that
/// every other one was refused (429).
async fn checked_of_a_burst(app: &Router, requests: Vec<Request<Body>>, limit: usize) -> usize {
    let sent = requests.len();
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|req| {
            let app = app.clone();
            tokio::spawn(async move { send(&app, req).await.status() })
        })
        .collect();
    let (mut checked, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("a request task") {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("{other}"),
        }
    }
    assert!(
        (1..=limit).contains(&checked),
        "{checked} of {sent} checked"
    );
    assert_eq!(checked + refused, sent);
    checked
}

fn sign_in(username: &str, password: &str, from: [u8; 4]) -> Request<Body> {
    let body = format!(
        "username={username}&password={}",
        password.replace(' ', "+")
    );
    let req = Request::post(crate::web::dashboard::LOGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    from_address(req, Some(from))
}

fn failed_sign_ins_logged(hub: &AnyHub) -> usize {
    let query = Query {
        per_page: 10_000,
        ..Query::visible_to(&hub.storage.units(), "62-610")
    };
    let page = hub.storage.audit_log(&query).expect("the audit log");
    page.entries
        .iter()
        .filter(|e| e.entry.action == Action::SignInFailed)
        .count()
}

/// Failures used to be counted after the password was checked, so a burst
/// sent at once all passed the check before the first was counted (each
/// costing an Argon2 run). An attempt is now counted before its password is
/// checked: of 100 at once, no more than the limit are checked (answered
/// 401 and logged), the rest refused with 429.
fn a_burst_of_wrong_sign_ins_checks_no_more_passwords_than_the_limits(hub: AnyHub) {
    let limits = Limits {
        per_user: 5,
        per_address: 30,
        ..quick_limits()
    };
    let app = hub.app(limits.clone());
    let rt = runtime();
    // One name from 100 addresses, then 100 names from one address.
    let one_name: Vec<_> = (0..100)
        .map(|i| sign_in("huyen", "sai mật khẩu", [10, 1, 0, i]))
        .collect();
    let checked = rt.block_on(checked_of_a_burst(&app, one_name, limits.per_user));
    assert_eq!(failed_sign_ins_logged(&hub), checked);

    let one_address: Vec<_> = (0..100)
        .map(|i| sign_in(&format!("ai{i}"), "sai mật khẩu", [10, 2, 0, 1]))
        .collect();
    let from_address = rt.block_on(checked_of_a_burst(&app, one_address, limits.per_address));
    assert_eq!(failed_sign_ins_logged(&hub), checked + from_address);

    // The name stays locked for its window, even with the right password.
    let r = rt.block_on(send(&app, sign_in("huyen", PASSWORD, [10, 3, 0, 1])));
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// The same race on enrolment codes: of 100 wrong codes sent at once from
/// one address, no more than the limit are looked up.
fn a_burst_of_wrong_codes_looks_up_no_more_codes_than_the_limit(hub: AnyHub) {
    let limits = Limits {
        enrol_per_address: 10,
        ..quick_limits()
    };
    let app = hub.app(limits.clone());
    let rt = runtime();
    let guesses: Vec<_> = (0..100)
        .map(|i| {
            sync_request(
                ENROL_PATH,
                None,
                enrol_body(&format!("AAAAA-AA{i:03}")),
                Some([203, 0, 113, 7]),
            )
        })
        .collect();
    rt.block_on(checked_of_a_burst(&app, guesses, limits.enrol_per_address));
    let r = rt.block_on(send(
        &app,
        sync_request(
            ENROL_PATH,
            None,
            enrol_body(&hub.code),
            Some([198, 51, 100, 2]),
        ),
    ));
    assert_eq!(r.status(), StatusCode::OK, "another address enrols");
}

/// Places are taken before the check, but a right code gives its place
/// back: a district's tablets enrolling at once through one address wait
/// their turn, none is refused.
fn a_burst_of_right_codes_from_one_address_all_enrol(hub: AnyHub) {
    let app = hub.app(Limits {
        enrol_per_address: 3,
        ..quick_limits()
    });
    let rt = runtime();
    let tablets: Vec<_> = (0..30)
        .map(|_| {
            let code = hub
                .storage
                .issue_code(&[PEK.into()], "A Lưu", 3600)
                .unwrap();
            let req = sync_request(ENROL_PATH, None, enrol_body(&code), Some([198, 51, 100, 7]));
            let app = app.clone();
            rt.spawn(async move { send(&app, req).await.status() })
        })
        .collect();
    for tablet in tablets {
        assert_eq!(rt.block_on(tablet).unwrap(), StatusCode::OK);
    }
}

/// A push of a new Đăk Pék record by the seeded tablet.
fn own_push(hub: &AnyHub) -> Vec<u8> {
    let (id, mut doc) = session_doc(PEK);
    let mut push = push_of(id, PEK, &mut doc);
    push.device = hub.device;
    push.encode().unwrap()
}

/// A commune's tablets share one address (the commune office's router, a
/// mobile operator's NAT, a proxy): 30 made-up tokens from it used to block
/// every tablet behind it for 15 minutes. A token the hub knows is now
/// served whatever its address sent before; made-up ones are still refused
/// with 429 past the limit.
fn a_valid_token_syncs_from_an_address_blocked_for_unknown_ones(hub: AnyHub) {
    let limits = quick_limits();
    let app = hub.app(limits.clone());
    let rt = runtime();
    let shared = Some([100, 64, 0, 9]);
    let pull = |token: &str| {
        rt.block_on(send(
            &app,
            sync_request(
                PULL_PATH,
                Some(token),
                pull_body(&[PEK], 0, hub.device),
                shared,
            ),
        ))
        .status()
    };
    for i in 0..limits.tokens_per_address + 10 {
        let wanted = if i < limits.tokens_per_address {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(pull(&format!("{i:064x}")), wanted, "made-up token {i}");
    }

    assert_eq!(pull(&hub.token), StatusCode::OK, "the tablet pulls");
    let r = rt.block_on(send(
        &app,
        sync_request(PUSH_PATH, Some(&hub.token), own_push(&hub), shared),
    ));
    assert_eq!(r.status(), StatusCode::OK, "and pushes");
    assert_eq!(pull(&"ee".repeat(32)), StatusCode::TOO_MANY_REQUESTS);
}

/// A tablet pushing a record id that exists in another commune used to be
/// told that commune. The refusal is now the same as for a record it
/// declares outside its communes itself: the id, and nothing of the stored
/// record.
fn a_refused_write_to_another_communes_record_does_not_name_its_commune(hub: AnyHub) {
    let app = hub.app(quick_limits());
    let rt = runtime();
    let refusal = |push: PushRequest| {
        let r = rt.block_on(send(
            &app,
            sync_request(PUSH_PATH, Some(&hub.token), push.encode().unwrap(), None),
        ));
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        String::from_utf8(rt.block_on(body_of(r))).unwrap()
    };
    let before = hub.fingerprint(super::Logged::Everything);
    // Đăk Choong's record under a Đăk Pék envelope: stored, so refused at
    // the merge.
    let (_, mut forged) = session_doc(PEK);
    let mut onto_stored = push_of(hub.choong_record, PEK, &mut forged);
    onto_stored.device = hub.device;
    // The same id declared as another commune's: refused before anything
    // is read.
    let (_, mut doc) = session_doc("62-610-23290");
    let mut declared = push_of(hub.choong_record, "62-610-23290", &mut doc);
    declared.device = hub.device;

    let stored = refusal(onto_stored);
    assert!(!stored.contains(CHOONG), "{stored}");
    assert!(stored.contains(&hub.choong_record.to_string()), "{stored}");
    assert_eq!(stored, refusal(declared));
    assert_eq!(hub.fingerprint(super::Logged::Everything), before);
}

/// A database error used to be sent to the client word for word (table
/// names, the SQL engine's message); it is now a sentence in the
/// officer's language, and the detail goes to the hub's log.
fn a_database_failure_is_answered_in_words_and_its_detail_only_logged(hub: AnyHub) {
    let app = hub.app(quick_limits());
    let logs = Logs::default();
    let dispatch = logs.dispatch();
    // Requests run here (`block_on`) and on the runtime's threads: each
    // logs into `logs`.
    let _here = tracing::dispatcher::set_default(&dispatch);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(move || {
            std::mem::forget(tracing::dispatcher::set_default(&dispatch));
        })
        .enable_all()
        .build()
        .unwrap();
    hub.execute("ALTER TABLE changes RENAME TO changes_gone");
    hub.execute("ALTER TABLE session_rows RENAME TO session_rows_gone");
    let pull = rt.block_on(send(&app, pek_pull(&hub)));
    assert_eq!(pull.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let pull = String::from_utf8(rt.block_on(body_of(pull))).unwrap();
    let page = rt.block_on(send(
        &app,
        Request::get("/dashboard?unit=62-610&kind=year&year=2026")
            .header(header::COOKIE, &hub.cookie)
            .body(Body::empty())
            .unwrap(),
    ));
    assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let page = String::from_utf8(rt.block_on(body_of(page))).unwrap();
    for answer in [&pull, &page] {
        assert!(answer.contains("Máy chủ"), "{answer}");
        assert!(
            !answer.contains("changes") && !answer.contains("session_rows"),
            "{answer}"
        );
    }
    let logged = logs.text();
    assert!(
        logged.contains("changes") && logged.contains("session_rows"),
        "{logged}"
    );
    drop(rt);
}

/// A request body that notes when it is read.
struct Probe {
    read: Arc<AtomicBool>,
    sent: bool,
}

impl HttpBody for Probe {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.read.store(true, Ordering::SeqCst);
        if std::mem::replace(&mut self.sent, true) {
            Poll::Ready(None)
        } else {
            Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(
                b"not a message",
            )))))
        }
    }
}

/// The sync routes said they authenticate before reading the body, but
/// the handlers took the whole body (up to 8 MiB) first. A missing,
/// unknown or withdrawn token is now refused with the body unread.
fn an_unknown_token_is_refused_before_the_body_is_read(hub: AnyHub) {
    let app = hub.app(Limits {
        tokens_per_address: 2,
        ..quick_limits()
    });
    let rt = runtime();
    let device = Uuid::now_v7();
    let code = hub
        .storage
        .issue_code(&[PEK.into()], "A Lưu", 3600)
        .unwrap();
    let revoked = hub.storage.enrol(&code, device, None).unwrap().token;
    assert!(hub.storage.revoke(device).unwrap());
    let forged = "ab".repeat(32);
    for (path, from) in [(PUSH_PATH, [192, 0, 2, 1]), (PULL_PATH, [192, 0, 2, 2])] {
        for (what, token, status) in [
            ("no token", None, StatusCode::UNAUTHORIZED),
            ("a made-up token", Some(&forged), StatusCode::UNAUTHORIZED),
            ("a revoked token", Some(&revoked), StatusCode::FORBIDDEN),
            (
                "a made-up token past the limit",
                Some(&forged),
                StatusCode::TOO_MANY_REQUESTS,
            ),
        ] {
            let read = Arc::new(AtomicBool::new(false));
            let mut req = Request::post(path);
            if let Some(token) = token {
                req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
            let body = Body::new(Probe {
                read: read.clone(),
                sent: false,
            });
            let req = from_address(req.body(body).unwrap(), Some(from));
            let r = rt.block_on(send(&app, req));
            assert_eq!(r.status(), status, "{path} with {what}");
            assert!(
                !read.load(Ordering::SeqCst),
                "{path} with {what}: body read"
            );
        }
    }
}

/// Behind a reverse proxy (TLS ended at a load balancer) every request
/// comes from the proxy's address: an attacker's wrong codes blocked every
/// enrolment through it (on the old code, the office's right code got 429
/// here). With the proxy configured, each client is counted under the
/// address the proxy names; from anyone else the header is ignored.
fn behind_a_configured_proxy_each_client_is_counted_under_its_own_address(hub: AnyHub) {
    let proxy = [10, 0, 0, 2];
    let app = hub.app(Limits {
        enrol_per_address: 3,
        trusted_proxies: vec![proxy.into()],
        ..quick_limits()
    });
    let rt = runtime();
    let enrol = |from: [u8; 4], forwarded: &str, code: &str| {
        let mut req = sync_request(ENROL_PATH, None, enrol_body(code), Some(from));
        req.headers_mut()
            .insert("x-forwarded-for", forwarded.parse().unwrap());
        rt.block_on(send(&app, req)).status()
    };
    for i in 0..3 {
        let guess = format!("AAAAA-AAAA{i}");
        assert_eq!(
            enrol(proxy, "203.0.113.7", &guess),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        enrol(proxy, "198.51.100.20, 203.0.113.7", "AAAAA-AAAA4"),
        StatusCode::TOO_MANY_REQUESTS,
        "an address the attacker writes in front is not believed"
    );
    assert_eq!(
        enrol(proxy, "198.51.100.2", &hub.code),
        StatusCode::OK,
        "the office, through the same proxy"
    );
    // Not from the proxy: counted under the sender, whatever it names.
    let elsewhere = [192, 0, 2, 50];
    for i in 0..3 {
        let (forwarded, guess) = (format!("192.0.2.{i}"), format!("BBBBB-BBBB{i}"));
        assert_eq!(
            enrol(elsewhere, &forwarded, &guess),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        enrol(elsewhere, "192.0.2.99", "BBBBB-BBBB9"),
        StatusCode::TOO_MANY_REQUESTS
    );
}
