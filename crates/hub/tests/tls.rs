//! The hub over HTTPS: a self-signed certificate made here (rcgen), the hub
//! serving with it (rustls), a tablet syncing through reqwest (rustls)
//! that trusts it (as an authority, or pinned by the officer at
//! enrolment), and what a client that does not, or speaks plain HTTP to
//! the port, gets.

use pcmt_core::http::{sync_with_hub, HttpTransport};
use pcmt_core::sync::{run_sync, SyncError};
use pcmt_core::tls::Fingerprint;
use pcmt_core::{Author, CoreError, Store};
use pcmt_hub::staff::Role;
use pcmt_hub::web as server;
use pcmt_hub::{HubStorage, HubStore, Shared};
use pcmt_model::{fixtures, OrgTree};
use std::sync::{Arc, Mutex};

const PEK: &str = "62-610-23284";
const PASSWORD: &str = "mật khẩu văn phòng";

struct TlsHub {
    url: String,
    cert_pem: String,
    hub: Shared,
    _runtime: tokio::runtime::Runtime,
    /// Holds the certificate and key files.
    dir: tempfile::TempDir,
}

/// A hub on 127.0.0.1 serving HTTPS with a fresh self-signed certificate
/// for `localhost` and `127.0.0.1`, given to it as PEM files.
fn start() -> TlsHub {
    let dir = tempfile::tempdir().unwrap();
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_pem = made.cert.pem();
    let (cert, key) = (dir.path().join("hub.crt"), dir.path().join("hub.key"));
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();

    let hub: Shared = Arc::new(HubStore::open_in_memory().unwrap());
    pcmt_hub::staff::add_staff(&*hub, "huyen", PASSWORD, "62-610", Role::Staff).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = runtime.block_on(server::tls_config(&cert, &key)).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(server::serve_tls(
        listener,
        config,
        server::router(hub.clone()),
    ));
    TlsHub {
        url: format!("https://localhost:{port}"),
        cert_pem,
        hub,
        _runtime: runtime,
        dir,
    }
}

impl TlsHub {
    /// What the office prints beside an enrolment code
    /// (`pcmt-hub --issue-code … --tls-cert`).
    fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_pem(self.cert_pem.as_bytes()).unwrap()
    }
}

fn device() -> (Mutex<Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("device.db"), OrgTree::demo()).unwrap();
    (Mutex::new(store), dir)
}

#[test]
fn a_tablet_that_trusts_the_hubs_certificate_syncs_over_https() {
    let tls = start();
    let code = tls.hub.issue_code(&[PEK.into()], "A Lưu", 3600).unwrap();
    let (tablet, _dir) = device();
    with_a_session(&tablet, "Trường TH Đăk Pék");

    let device_id = tablet.lock().unwrap().device_id();
    let enrolment = HttpTransport::trusting(&tls.url, tls.cert_pem.as_bytes())
        .unwrap()
        .enrol(&code, device_id)
        .unwrap();
    let mut transport = HttpTransport::trusting(&tls.url, tls.cert_pem.as_bytes())
        .unwrap()
        .presenting(&enrolment.token);
    let report = run_sync(&tablet, &mut transport, enrolment.communes.clone()).unwrap();
    assert_eq!(report.sent_records, 1, "{report:?}");
    assert_eq!(tls.hub.document_count().unwrap(), 1);
    assert_eq!(tablet.lock().unwrap().unsynced_count().unwrap(), 0);

    // A second tablet of the commune receives it over HTTPS too.
    let (other, _dir2) = device();
    let code = tls.hub.issue_code(&[PEK.into()], "Y Hoa", 3600).unwrap();
    let other_id = other.lock().unwrap().device_id();
    let transport = HttpTransport::trusting(&tls.url, tls.cert_pem.as_bytes()).unwrap();
    let e = transport.enrol(&code, other_id).unwrap();
    let report = run_sync(&other, &mut transport.presenting(&e.token), e.communes).unwrap();
    assert_eq!(report.received_records, 1, "{report:?}");
}

#[test]
fn a_client_that_does_not_trust_the_certificate_or_speaks_plain_http_gets_nothing() {
    let tls = start();
    let code = tls.hub.issue_code(&[PEK.into()], "A Lưu", 3600).unwrap();
    let untrusting = HttpTransport::new(&tls.url).unwrap();
    let err = untrusting.enrol(&code, uuid::Uuid::now_v7()).unwrap_err();
    assert!(
        matches!(err, SyncError::UnknownCertificate { fingerprint } if fingerprint == tls.fingerprint()),
        "{err:?}"
    );

    let plain = tls.url.replacen("https://", "http://", 1);
    let answer = reqwest::blocking::Client::new()
        .get(format!("{plain}/health"))
        .timeout(std::time::Duration::from_secs(10))
        .send();
    assert!(
        answer.as_ref().map_or(true, |r| !r.status().is_success()),
        "plain HTTP to the HTTPS port: {answer:?}"
    );
    let err = HttpTransport::new(&plain)
        .unwrap()
        .enrol(&code, uuid::Uuid::now_v7())
        .unwrap_err();
    assert!(
        matches!(err, SyncError::Unreachable(_) | SyncError::Refused { .. }),
        "{err:?}"
    );
    // None of those used the code: a trusting tablet still enrols with it.
    HttpTransport::trusting(&tls.url, tls.cert_pem.as_bytes())
        .unwrap()
        .enrol(&code, uuid::Uuid::now_v7())
        .unwrap();
}

#[test]
fn over_https_the_dashboards_session_cookie_is_secure() {
    let tls = start();
    let ca = reqwest::Certificate::from_pem(tls.cert_pem.as_bytes()).unwrap();
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/dashboard/login", tls.url))
        .form(&[("username", "huyen"), ("password", PASSWORD)])
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let cookie = r
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
}

fn with_a_session(tablet: &Mutex<Store>, venue: &str) {
    let author = Author {
        officer: "A Lưu".into(),
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    tablet
        .lock()
        .unwrap()
        .create_session(&fixtures::session(venue), &author, today)
        .unwrap();
}

/// The office's hub has a certificate of its own (no public authority):
/// the tablet's first sync stops at the handshake with its fingerprint,
/// sending nothing (the code stays unused); the officer compares it with
/// the office's print-out and confirms it; from then on the tablet syncs
/// with that hub.
#[test]
fn a_tablet_pins_the_offices_own_certificate_once_the_officer_confirms_it() {
    let tls = start();
    let code = tls.hub.issue_code(&[PEK.into()], "A Lưu", 3600).unwrap();
    let (tablet, _dir) = device();
    with_a_session(&tablet, "Trường TH Đăk Pék");

    let err = sync_with_hub(&tablet, &tls.url, Some(&code)).unwrap_err();
    assert!(
        matches!(&err, CoreError::Sync(SyncError::UnknownCertificate { fingerprint }) if *fingerprint == tls.fingerprint()),
        "{err:?}"
    );
    let words = err.user_message(pcmt_model::Lang::Vi);
    assert!(words.contains(&tls.fingerprint().to_string()), "{words}");
    assert_eq!(tls.hub.document_count().unwrap(), 0);
    {
        let mut s = tablet.lock().unwrap();
        assert_eq!(s.enrolment().unwrap(), None);
        assert_eq!(s.hub_certificate_seen().unwrap(), Some(tls.fingerprint()));
        assert_eq!(s.hub_certificate().unwrap(), None);
        // Only what the hub presented can be confirmed.
        let other = Fingerprint::of(b"another certificate").to_string();
        assert!(matches!(
            s.trust_hub_certificate(&other),
            Err(CoreError::CertificateNotSeen)
        ));
        s.trust_hub_certificate(&tls.fingerprint().to_string())
            .unwrap();
    }

    // An office's hub is usually reached by its address: a pin names no host.
    let by_address = tls.url.replace("localhost", "127.0.0.1");
    let report = sync_with_hub(&tablet, &by_address, Some(&code)).unwrap();
    assert_eq!(report.sent_records, 1, "{report:?}");
    assert_eq!(tls.hub.document_count().unwrap(), 1);
    let s = tablet.lock().unwrap();
    assert_eq!(s.hub_certificate().unwrap(), Some(tls.fingerprint()));
    assert_eq!(s.hub_certificate_seen().unwrap(), None);
}

/// Once a certificate is pinned, a hub presenting any other (someone
/// posing as the office on the network) gets nothing: not the token, not
/// a record; the tablet says so, with the fingerprint it was shown.
#[test]
fn a_pinned_tablet_refuses_another_certificate_and_sends_nothing() {
    let (office, impostor) = (start(), start());
    assert_ne!(office.fingerprint(), impostor.fingerprint());
    let code = office.hub.issue_code(&[PEK.into()], "A Lưu", 3600).unwrap();
    let (tablet, _dir) = device();
    sync_with_hub(&tablet, &office.url, Some(&code)).unwrap_err();
    tablet
        .lock()
        .unwrap()
        .trust_hub_certificate(&office.fingerprint().to_string())
        .unwrap();
    sync_with_hub(&tablet, &office.url, Some(&code)).unwrap();
    with_a_session(&tablet, "Chợ Đăk Pék");

    let err = sync_with_hub(&tablet, &impostor.url, None).unwrap_err();
    assert!(
        matches!(&err, CoreError::Sync(SyncError::CertificateChanged { fingerprint }) if *fingerprint == impostor.fingerprint()),
        "{err:?}"
    );
    let words = err.user_message(pcmt_model::Lang::Vi);
    assert!(
        words.contains("KHÁC") && words.contains(&impostor.fingerprint().to_string()),
        "{words}"
    );
    assert_eq!(impostor.hub.document_count().unwrap(), 0);
    let s = tablet.lock().unwrap();
    assert_eq!(s.unsynced_count().unwrap(), 1, "kept to send to the office");
    assert_eq!(s.hub_certificate().unwrap(), Some(office.fingerprint()));
    assert_eq!(
        s.hub_certificate_seen().unwrap(),
        Some(impostor.fingerprint())
    );
}

/// The office's own tool prints, under the code, the fingerprint the
/// tablet will show at its first sync, read from the hub's certificate.
#[test]
fn the_office_prints_the_hubs_certificate_fingerprint_with_each_code() {
    let tls = start();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pcmt-hub"))
        .arg("--db")
        .arg(tls.dir.path().join("office.db"))
        .args(["--issue-code", PEK, "--officer", "A Lưu", "--tls-cert"])
        .arg(tls.dir.path().join("hub.crt"))
        .arg("--tls-key")
        .arg(tls.dir.path().join("hub.key"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 2, "{printed}");
    assert_eq!(lines[0].len(), 11, "the code: {printed}");
    assert!(
        lines[1].ends_with(&tls.fingerprint().to_string()),
        "{printed}"
    );
    assert!(lines[1].starts_with("Dấu vân tay"), "{printed}");
}

/// A district hub syncs upward to a province whose certificate is its
/// office's own, pinned with `--uplink-certificate`; without the pin it
/// is told the fingerprint and sends nothing. On both databases.
fn a_district_hub_syncs_upward_to_a_province_whose_certificate_it_pinned(
    district: &dyn HubStorage,
) {
    use pcmt_hub::uplink::{sync_upward, Above, TokenFile};
    let province = start();
    let code = province
        .hub
        .issue_code(&[PEK.into()], "Công an huyện", 3600)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let above = |certificate| Above {
        url: province.url.clone(),
        certificate,
        token_file: TokenFile::new(dir.path().join("uplink.token")),
    };
    let err = sync_upward(district, &above(None), Some(&code)).unwrap_err();
    let said = err.to_string();
    assert!(said.contains(&province.fingerprint().to_string()), "{said}");
    assert_eq!(district.meta("uplink").unwrap(), None);
    let impostor = Fingerprint::of(b"someone else's certificate");
    let err = sync_upward(district, &above(Some(impostor)), Some(&code)).unwrap_err();
    assert!(
        err.to_string()
            .contains(&province.fingerprint().to_string()),
        "{err}"
    );

    let report = sync_upward(district, &above(Some(province.fingerprint())), Some(&code)).unwrap();
    assert_eq!(report.round_trips, 1, "{report:?}");
    assert!(district.meta("uplink").unwrap().is_some());
}

#[test]
fn a_district_hub_on_sqlite_syncs_upward_to_a_province_whose_certificate_it_pinned() {
    a_district_hub_syncs_upward_to_a_province_whose_certificate_it_pinned(
        &HubStore::open_in_memory().unwrap(),
    );
}

#[test]
fn a_district_hub_on_postgres_syncs_upward_to_a_province_whose_certificate_it_pinned() {
    let name = "a_district_hub_on_postgres_syncs_upward_to_a_province_whose_certificate_it_pinned";
    let Some(db) = pcmt_hub::testing::TestDatabase::from_env(name).unwrap() else {
        return;
    };
    a_district_hub_syncs_upward_to_a_province_whose_certificate_it_pinned(&db.store().unwrap());
}
