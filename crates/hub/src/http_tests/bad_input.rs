//! Bad input on every route the hub serves: garbage, empty and oversized
//! bodies, well-formed messages of the wrong type, wrong content types,
//! huge, non-ASCII and `../` path segments, forged and missing tokens and
//! cookies, wrong methods. Each answer must be a 4xx — or, for a dashboard
//! page without a live session, the redirect to the sign-in page, which is
//! how a browser is told — never a 2xx or a 5xx, and every table and
//! sequence of the store must be unchanged (a refused sign-in only adds its
//! audit entry).

use super::{body_of, quick_limits, runtime, send, AnyHub, Logged, CHOONG, PEK};
use crate::contract_tests::{push_of, session_doc};
use crate::storage::HubStorage;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use pcmt_core::http::{ENROL_PATH, OFFER_PATH, PULL_PATH, PUSH_PATH};
use pcmt_core::sync::wire::{
    self, DocHeads, EnrolRequest, OfferRequest, PullRequest, RangeDigest, MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
};
use uuid::Uuid;

/// What a bad request may be answered with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Any 4xx.
    ClientError,
    /// This 4xx exactly.
    Status(StatusCode),
    /// 303 to the dashboard's sign-in page (a page asked for without a live
    /// session: the browser is sent to sign in).
    SignIn,
}

struct Case {
    what: String,
    request: Request<Body>,
    expect: Expect,
    /// What the store may gain: a failed sign-in is logged on purpose.
    logged: Logged,
}

/// A request builder with the headers a case adds.
fn request(method: Method, path: &str, headers: &[(&str, &[u8])], body: Vec<u8>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(
            *name,
            axum::http::HeaderValue::from_bytes(value).expect("a header value"),
        );
    }
    builder.body(Body::from(body)).expect("a request")
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

/// Bodies no sync route may accept, with the status each must get (None:
/// any 4xx) — whatever the route and however it is authenticated.
fn bad_sync_bodies() -> Vec<(&'static str, Vec<u8>, Option<StatusCode>)> {
    let wrong_type = wire::encode(&"une chaîne, pas un message".to_string()).unwrap();
    vec![
        ("empty", Vec::new(), Some(StatusCode::BAD_REQUEST)),
        (
            "garbage",
            b"\x00\xff garbage \xfe\x01".to_vec(),
            Some(StatusCode::BAD_REQUEST),
        ),
        (
            "oversized",
            vec![0x28; MAX_MESSAGE_BYTES + 1],
            Some(StatusCode::PAYLOAD_TOO_LARGE),
        ),
        ("a message of another type", wrong_type, None),
        (
            "JSON",
            br#"{"protocol": 1, "device": "x", "docs": "none"}"#.to_vec(),
            Some(StatusCode::BAD_REQUEST),
        ),
    ]
}

/// What the cases need from a prepared hub: a Đăk Pék tablet's token and
/// id, an unused code, a live staff session, and the bearer headers of a
/// revoked and a lost tablet.
struct Fixture {
    token: String,
    device: Uuid,
    code: String,
    cookie: String,
    revoked: String,
    lost: String,
}

/// Enrols one more Đăk Pék tablet and revokes it, or marks it lost;
/// returns the bearer header it would send.
fn withdrawn(storage: &dyn HubStorage, lose: bool) -> String {
    let device = Uuid::now_v7();
    let code = storage.issue_code(&[PEK.into()], "A Lưu", 3600).unwrap();
    let token = storage.enrol(&code, device, None).unwrap().token;
    if lose {
        assert!(storage.mark_lost(device).unwrap());
    } else {
        assert!(storage.revoke(device).unwrap());
    }
    format!("Bearer {token}")
}

fn cases(hub: &Fixture) -> Vec<Case> {
    let (revoked, lost) = (&hub.revoked, &hub.lost);
    let mut cases = Vec::new();
    let mut add = |what: String, request: Request<Body>, expect: Expect| {
        let logged = if request.uri().path() == crate::web::dashboard::LOGIN {
            Logged::ButFailedSignIns
        } else {
            Logged::Everything
        };
        cases.push(Case {
            what,
            request,
            expect,
            logged,
        })
    };
    let token = bearer(&hub.token);
    let octets: &[u8] = b"application/octet-stream";

    // Sync routes: every bad body, with a good token (so the body is what
    // is refused) and with the wrong content type.
    for path in [ENROL_PATH, PUSH_PATH, PULL_PATH, OFFER_PATH] {
        for (what, body, status) in bad_sync_bodies() {
            let expect = status.map_or(Expect::ClientError, Expect::Status);
            for content_type in [octets, b"text/html; charset=utf-8".as_slice()] {
                add(
                    format!(
                        "{path}: {what} as {}",
                        String::from_utf8_lossy(content_type)
                    ),
                    request(
                        Method::POST,
                        path,
                        &[("authorization", &token), ("content-type", content_type)],
                        body.clone(),
                    ),
                    expect,
                );
            }
        }
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            add(
                format!("{method} {path}"),
                request(method, path, &[("authorization", &token)], Vec::new()),
                Expect::Status(StatusCode::METHOD_NOT_ALLOWED),
            );
        }
        for (what, suffix) in [
            ("../ after", "/../pull"),
            ("encoded ../", "/%2e%2e/%2e%2e/health"),
            ("a huge segment", &format!("/{}", "a".repeat(20_000))),
            ("a Vietnamese segment", "/%C4%91%C4%83ng-k%C3%BD"),
        ] {
            add(
                format!("{path} + {what}"),
                request(
                    Method::POST,
                    &format!("{path}{suffix}"),
                    &[("authorization", &token)],
                    Vec::new(),
                ),
                Expect::Status(StatusCode::NOT_FOUND),
            );
        }
    }

    // Push and pull: credentials missing, forged, malformed, withdrawn;
    // the body is a well-formed pull, so only the credential is wrong.
    let pull = wire::encode(&PullRequest {
        protocol: PROTOCOL_VERSION,
        device: hub.device,
        communes: vec![PEK.into()],
        cursor: 0,
        max_bytes: 1 << 20,
    })
    .unwrap();
    let (id, mut doc) = session_doc(PEK);
    let mut push = push_of(id, PEK, &mut doc);
    push.device = hub.device;
    let push = push.encode().unwrap();
    let huge_token = bearer(&"f".repeat(16_000));
    let forged_token = bearer(&"ab".repeat(32));
    let unicode_token = "Bearer thẻ-giả".as_bytes().to_vec();
    let offer = wire::encode(&OfferRequest {
        protocol: PROTOCOL_VERSION,
        device: hub.device,
        docs: vec![DocHeads {
            id,
            heads: vec![[1; 32]],
        }],
        ranges: Vec::new(),
    })
    .unwrap();
    for (path, body) in [(PUSH_PATH, &push), (PULL_PATH, &pull), (OFFER_PATH, &offer)] {
        let credentials: [(&str, Option<&[u8]>, StatusCode); 8] = [
            ("no token", None, StatusCode::UNAUTHORIZED),
            (
                "a forged token",
                Some(&forged_token),
                StatusCode::UNAUTHORIZED,
            ),
            ("a huge token", Some(&huge_token), StatusCode::UNAUTHORIZED),
            (
                "a non-ASCII token",
                Some(&unicode_token),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "Basic credentials",
                Some(b"Basic YTpi"),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "an empty bearer",
                Some(b"Bearer "),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "a revoked device's token",
                Some(revoked.as_bytes()),
                StatusCode::FORBIDDEN,
            ),
            (
                "a lost device's token",
                Some(lost.as_bytes()),
                StatusCode::FORBIDDEN,
            ),
        ];
        for (what, credential, status) in credentials {
            let headers: Vec<(&str, &[u8])> = credential
                .map(|c| vec![("authorization", c)])
                .unwrap_or_default();
            add(
                format!("{path} with {what}"),
                request(Method::POST, path, &headers, body.clone()),
                Expect::Status(status),
            );
        }
    }
    // A well-formed push of a record outside the tablet's commune.
    let (id, mut doc) = session_doc(CHOONG);
    let mut outside = push_of(id, CHOONG, &mut doc);
    outside.device = hub.device;
    add(
        "a push outside the tablet's commune".into(),
        request(
            Method::POST,
            PUSH_PATH,
            &[("authorization", &token)],
            outside.encode().unwrap(),
        ),
        Expect::Status(StatusCode::FORBIDDEN),
    );

    // An offer naming another device, or more records than one may.
    let offers = [
        (
            "an offer naming another device",
            OfferRequest {
                protocol: PROTOCOL_VERSION,
                device: Uuid::now_v7(),
                docs: Vec::new(),
                ranges: Vec::new(),
            },
            StatusCode::FORBIDDEN,
        ),
        (
            "an offer of too many records",
            OfferRequest {
                protocol: PROTOCOL_VERSION,
                device: hub.device,
                docs: vec![
                    DocHeads {
                        id,
                        heads: Vec::new(),
                    };
                    crate::rules::protocol::MAX_OFFER_DOCS + 1
                ],
                ranges: Vec::new(),
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "an offer of too many runs",
            OfferRequest {
                protocol: PROTOCOL_VERSION,
                device: hub.device,
                docs: Vec::new(),
                ranges: (0..=crate::rules::protocol::MAX_OFFER_RANGES as u128)
                    .map(|i| RangeDigest {
                        first: Uuid::from_u128(i),
                        last: Uuid::from_u128(i),
                        count: 1,
                        digest: [0; 8],
                    })
                    .collect(),
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "an offer of runs that overlap",
            OfferRequest {
                protocol: PROTOCOL_VERSION,
                device: hub.device,
                docs: Vec::new(),
                ranges: [(1, 5), (3, 9)]
                    .into_iter()
                    .map(|(a, b)| RangeDigest {
                        first: Uuid::from_u128(a),
                        last: Uuid::from_u128(b),
                        count: 1,
                        digest: [0; 8],
                    })
                    .collect(),
            },
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (what, offer, status) in offers {
        add(
            what.into(),
            request(
                Method::POST,
                OFFER_PATH,
                &[("authorization", &token)],
                wire::encode(&offer).unwrap(),
            ),
            Expect::Status(status),
        );
    }

    // Enrolment: codes that are wrong, huge or not ASCII; an old protocol.
    for (what, code, protocol, status) in [
        (
            "a wrong code",
            "AAAAA-AAAAA".to_string(),
            PROTOCOL_VERSION,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "an empty code",
            String::new(),
            PROTOCOL_VERSION,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a huge code",
            "Đ".repeat(100_000),
            PROTOCOL_VERSION,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "SQL in the code",
            "' OR 1=1 --".into(),
            PROTOCOL_VERSION,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "an old protocol",
            hub.code.clone(),
            0,
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let body = wire::encode(&EnrolRequest {
            protocol,
            code,
            device: Uuid::now_v7(),
            previous_token: None,
        })
        .unwrap();
        add(
            format!("enrol with {what}"),
            request(Method::POST, ENROL_PATH, &[("content-type", octets)], body),
            Expect::Status(status),
        );
    }

    // /health and /: wrong methods and paths.
    for (method, path, status) in [
        (Method::POST, "/health", StatusCode::METHOD_NOT_ALLOWED),
        (Method::DELETE, "/health", StatusCode::METHOD_NOT_ALLOWED),
        (Method::GET, "/health/../dashboard", StatusCode::NOT_FOUND),
        (Method::GET, "/health%00", StatusCode::NOT_FOUND),
        (Method::POST, "/", StatusCode::METHOD_NOT_ALLOWED),
        (Method::GET, "/../../etc/passwd", StatusCode::NOT_FOUND),
        (Method::GET, "/sync/v2/push", StatusCode::NOT_FOUND),
    ] {
        add(
            format!("{method} {path}"),
            request(method, path, &[], Vec::new()),
            Expect::Status(status),
        );
    }

    // Dashboard pages and downloads without a live session.
    let huge_cookie = format!("pcmt_staff={}", "9".repeat(16_000)).into_bytes();
    let unicode_cookie = "pcmt_staff=phiên-giả".as_bytes().to_vec();
    let pages = [
        "/dashboard",
        "/dashboard?unit=62-610&kind=month",
        "/dashboard/export/xlsx",
        "/dashboard/export/kml?unit=62",
    ];
    for path in pages {
        let cookies: [(&str, Option<&[u8]>); 5] = [
            ("no cookie", None),
            ("a forged cookie", Some(b"pcmt_staff=00ff00ff")),
            ("an empty cookie", Some(b"pcmt_staff=")),
            ("a huge cookie", Some(&huge_cookie)),
            ("a non-ASCII cookie", Some(&unicode_cookie)),
        ];
        for (what, cookie) in cookies {
            let headers: Vec<(&str, &[u8])> =
                cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
            add(
                format!("GET {path} with {what}"),
                request(Method::GET, path, &headers, Vec::new()),
                Expect::SignIn,
            );
        }
    }
    // Signed in, but the query or path is wrong.
    let cookie = hub.cookie.as_bytes();
    let long = format!("/dashboard/export/{}", "x".repeat(20_000));
    for (path, status) in [
        ("/dashboard?kind=month&month=13", StatusCode::BAD_REQUEST),
        ("/dashboard?kind=year&year=abc", StatusCode::BAD_REQUEST),
        (
            "/dashboard?kind=range&from=2026-13-45&to=x",
            StatusCode::BAD_REQUEST,
        ),
        ("/dashboard?kind=%00%FF", StatusCode::BAD_REQUEST),
        ("/dashboard?unit=62-999", StatusCode::NOT_FOUND),
        ("/dashboard?unit=..%2F..%2Fetc", StatusCode::NOT_FOUND),
        ("/dashboard?unit=%C4%90%C4%83k", StatusCode::NOT_FOUND),
        ("/dashboard?unit=62", StatusCode::FORBIDDEN),
        ("/dashboard/export/xlsx?unit=62", StatusCode::FORBIDDEN),
        ("/dashboard/export/pdf", StatusCode::NOT_FOUND),
        (
            "/dashboard/export/..%2F..%2Fetc%2Fpasswd",
            StatusCode::NOT_FOUND,
        ),
        ("/dashboard/export/../../etc/passwd", StatusCode::NOT_FOUND),
        ("/dashboard/export/", StatusCode::NOT_FOUND),
        ("/dashboard/export/xlsx/more", StatusCode::NOT_FOUND),
        ("/dashboard/export/%C4%91", StatusCode::NOT_FOUND),
        ("/dashboard/export/%ZZ", StatusCode::NOT_FOUND),
        (&long, StatusCode::NOT_FOUND),
    ] {
        add(
            format!("signed in: GET {}", &path[..path.len().min(60)]),
            request(Method::GET, path, &[("cookie", cookie)], Vec::new()),
            Expect::Status(status),
        );
    }
    for (method, path) in [
        (Method::POST, "/dashboard"),
        (Method::DELETE, "/dashboard"),
        (Method::POST, "/dashboard/export/xlsx"),
        (Method::PUT, "/dashboard/login"),
        (Method::GET, "/dashboard/logout"),
    ] {
        add(
            format!("{method} {path}"),
            request(method, path, &[("cookie", cookie)], Vec::new()),
            Expect::Status(StatusCode::METHOD_NOT_ALLOWED),
        );
    }

    // Sign-in: wrong, missing, mistyped and oversized forms.
    let form: &[u8] = b"application/x-www-form-urlencoded";
    let huge_name = format!("username={}&password=x", "a".repeat(100_000));
    let oversized = format!("username=a&password={}", "b".repeat(3 << 20));
    for (what, content_type, body, expect) in [
        (
            "a wrong password",
            form,
            "username=huyen&password=sai".to_string(),
            Expect::Status(StatusCode::UNAUTHORIZED),
        ),
        (
            "an unknown user",
            form,
            "username=ai&password=x".into(),
            Expect::Status(StatusCode::UNAUTHORIZED),
        ),
        (
            "a huge username",
            form,
            huge_name,
            Expect::Status(StatusCode::UNAUTHORIZED),
        ),
        (
            "SQL as username",
            form,
            "username=%27+OR+1%3D1+--&password=x".into(),
            Expect::Status(StatusCode::UNAUTHORIZED),
        ),
        (
            "no password",
            form,
            "username=huyen".into(),
            Expect::ClientError,
        ),
        (
            "fields as lists",
            form,
            "username[]=huyen&password[]=x".into(),
            Expect::ClientError,
        ),
        ("an empty body", form, String::new(), Expect::ClientError),
        (
            "garbage",
            form,
            "%%%\u{0}\u{fffd}==&&".into(),
            Expect::ClientError,
        ),
        (
            "JSON",
            b"application/json",
            r#"{"username":"huyen","password":1}"#.into(),
            Expect::ClientError,
        ),
        (
            "no content type",
            b"",
            "username=huyen&password=x".into(),
            Expect::ClientError,
        ),
        ("an oversized form", form, oversized, Expect::ClientError),
    ] {
        let headers: Vec<(&str, &[u8])> = if content_type.is_empty() {
            Vec::new()
        } else {
            vec![("content-type", content_type)]
        };
        add(
            format!("sign-in with {what}"),
            request(
                Method::POST,
                "/dashboard/login",
                &headers,
                body.into_bytes(),
            ),
            expect,
        );
    }
    // Sign-out with a session that is not live: only back to the sign-in.
    for cookie in [None, Some(b"pcmt_staff=00ff".as_slice())] {
        let headers: Vec<(&str, &[u8])> = cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
        add(
            format!("sign-out with {cookie:?}"),
            request(
                Method::POST,
                "/dashboard/logout",
                &headers,
                b"\xff\x00".to_vec(),
            ),
            Expect::SignIn,
        );
    }
    cases
}

/// Sends every case and checks its answer, and that the store's
/// fingerprint (every table and sequence) is the same after it as before.
fn sweep(hub: &AnyHub, cases: Vec<Case>) {
    let app = hub.app(quick_limits());
    let rt = runtime();
    let mut wrong = Vec::new();
    for case in cases {
        let before = hub.fingerprint(case.logged);
        let response = rt.block_on(send(&app, case.request));
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = rt.block_on(body_of(response));
        let ok = match case.expect {
            Expect::ClientError => status.is_client_error(),
            Expect::Status(s) => status == s,
            Expect::SignIn => {
                status == StatusCode::SEE_OTHER && location == crate::web::dashboard::LOGIN
            }
        };
        if !ok {
            wrong.push(format!(
                "{}: {status} {location} (wanted {:?}) {}",
                case.what,
                case.expect,
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ));
        }
        let after = hub.fingerprint(case.logged);
        assert!(
            after == before,
            "{} changed the store:\n{}",
            case.what,
            super::difference(&before, &after)
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn every_route_answers_bad_input_with_a_4xx_and_changes_nothing(hub: AnyHub) {
    let fixture = Fixture {
        revoked: withdrawn(&*hub.storage, false),
        lost: withdrawn(&*hub.storage, true),
        token: hub.token.clone(),
        device: hub.device,
        code: hub.code.clone(),
        cookie: hub.cookie.clone(),
    };
    let cases = cases(&fixture);
    assert!(cases.len() > 120, "{} cases", cases.len());
    assert!(
        cases.iter().any(|c| c.logged == Logged::ButFailedSignIns),
        "the sign-in cases"
    );
    sweep(&hub, cases);
}

on_both_hubs!(every_route_answers_bad_input_with_a_4xx_and_changes_nothing);
