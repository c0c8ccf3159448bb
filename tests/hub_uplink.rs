//! A district hub syncs upward to a province hub with the same protocol:
//! a commune's record reaches the province, and an edit made at the
//! province comes back down to the commune's tablet. The district hub runs
//! on SQLite and on PostgreSQL; the province on SQLite.

use pcmt_core::sync::wire::{DocChanges, PushRequest, PROTOCOL_VERSION};
use pcmt_hub::uplink::{sync_upward, Above, TokenFile};
use pcmt_hub::{HubError, Scope};
use pcmt_model::fixtures::{self, day};
use pcmt_model::{RecordKind, SessionInput};
use sotay_pcmt::{TestDevice, TestHub};

const DISTRICT: [&str; 3] = ["62-610-23284", "62-610-23287", "62-610-23290"];
/// A commune of another district (Đăk Tô), not in the district hub's tree.
const ELSEWHERE: &str = "62-611-23311";

/// Where a test's district hub keeps its uplink token.
struct Token {
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Token {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            path: dir.path().join("uplink.token"),
            _dir: dir,
        }
    }

    /// The hub above at `url`, with this token file.
    fn above(&self, url: &str) -> Above {
        Above {
            url: url.into(),
            certificate: None,
            token_file: TokenFile::new(&self.path),
        }
    }

    /// A 256-bit token, in a file only the hub's user may read.
    fn is_kept_apart(&self) {
        let text = std::fs::read_to_string(&self.path).unwrap();
        assert_eq!(text.trim().len(), 64, "{text:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
    }
}

fn records_travel_commune_to_province_and_back_through_the_district_hub(district: TestHub) {
    let province = TestHub::start();
    let token = Token::new();
    let code = province.code_for(&DISTRICT);

    let tablet = TestDevice::new("A Lưu");
    tablet.enrol(&district, &["62-610-23284"]);
    let row = tablet
        .store()
        .create_session(
            &fixtures::session("Trường THCS Đăk Pék"),
            &tablet.author,
            day(2026, 11, 24),
        )
        .unwrap();
    tablet.sync(&district);

    let up = sync_upward(&*district.storage, &token.above(&province.url), Some(&code)).unwrap();
    assert_eq!(up.sent_records, 1);
    let kept: serde_json::Value =
        serde_json::from_str(&district.storage.meta("uplink").unwrap().unwrap()).unwrap();
    assert_eq!(
        kept["token"],
        serde_json::Value::Null,
        "the token is not in the database: {kept}"
    );
    token.is_kept_apart();

    let office = TestDevice::new("Công an tỉnh");
    office.sync(&province);
    assert_eq!(
        office.store().session(row.id).unwrap().venue_name,
        "Trường THCS Đăk Pék"
    );

    let corrected = SessionInput {
        attendees: 125,
        ..fixtures::session("Trường THCS Đăk Pék")
    };
    office
        .store()
        .update_session(row.id, &corrected, &office.author, day(2026, 11, 24))
        .unwrap();
    office.sync(&province);

    let down = sync_upward(&*district.storage, &token.above(&province.url), None).unwrap();
    assert_eq!(
        (down.sent_records, down.received_records),
        (0, 1),
        "nothing echoed back up"
    );
    tablet.sync(&district);
    assert_eq!(tablet.store().session(row.id).unwrap().attendees, 125);

    let idle = sync_upward(&*district.storage, &token.above(&province.url), None).unwrap();
    assert_eq!(
        (idle.sent_records, idle.received_records, idle.round_trips),
        (0, 0, 1)
    );
    assert_eq!(tablet.store().document_heads().unwrap(), {
        let heads = office.store().document_heads().unwrap();
        heads.into_iter().filter(|(id, _)| *id == row.id).collect()
    });
}

/// The province enrols the district for more than it serves (a commune of
/// another district among its own) and holds a record there: the district
/// asks only for its own communes, so that record never lands in it.
fn the_district_takes_from_the_province_only_the_communes_it_serves(district: TestHub) {
    let province = TestHub::start();
    let mut communes = DISTRICT.to_vec();
    communes.push(ELSEWHERE);
    let code = province.code_for(&communes);
    let id = uuid::Uuid::now_v7();
    let note = pcmt_core::record_doc::ChangeNote {
        officer: "Công an tỉnh".into(),
    };
    let input = SessionInput {
        commune: ELSEWHERE.into(),
        ..fixtures::session("Trường THCS Đăk Tô")
    };
    let mut doc = pcmt_core::record_doc::new_record(
        id,
        ELSEWHERE,
        &input,
        automerge::ActorId::random(),
        &note,
        0,
    )
    .unwrap();
    let office = Scope {
        device: uuid::Uuid::nil(),
        communes: vec![ELSEWHERE.into()],
        office: None,
    };
    province
        .storage
        .push(
            &office,
            &PushRequest {
                protocol: PROTOCOL_VERSION,
                device: uuid::Uuid::nil(),
                docs: vec![DocChanges::since(
                    id,
                    RecordKind::Session,
                    ELSEWHERE,
                    &mut doc,
                    &[],
                )],
                pull: None,
                epoch: None,
                office: None,
            },
        )
        .unwrap();

    let token = Token::new();
    let down = sync_upward(&*district.storage, &token.above(&province.url), Some(&code)).unwrap();
    assert_eq!(down.received_records, 0, "{down:?}");
    assert_eq!(district.storage.document_count().unwrap(), 0);
}

/// Upward sync carries the district's records off the machine: over plain
/// HTTP only to a hub on this machine, refused before anything is sent
/// (the code is not spent, nothing is kept).
fn the_district_syncs_upward_over_plain_http_only_on_this_machine(district: TestHub) {
    let province = TestHub::start();
    let code = province.code_for(&DISTRICT);
    let token = Token::new();
    for url in ["http://192.0.2.1:8787", "http://127.0.0.1@192.0.2.1:8787"] {
        let err = sync_upward(&*district.storage, &token.above(url), Some(&code)).unwrap_err();
        assert!(
            matches!(&err, HubError::Upstream(m) if m.contains("https://")),
            "{url}: {err}"
        );
    }
    assert_eq!(district.storage.meta("uplink").unwrap(), None);
    assert!(!token.path.exists());
    // The province's own address is on this machine: its code still works.
    sync_upward(&*district.storage, &token.above(&province.url), Some(&code)).unwrap();
}

/// A hub enrolled before the token file kept the token in `meta`: its
/// next upward sync moves it into the file and out of the database.
fn an_older_hubs_uplink_token_moves_out_of_the_database(district: TestHub) {
    let province = TestHub::start();
    let code = province.code_for(&DISTRICT);
    let hub_id = pcmt_hub::uplink::hub_id(&*district.storage).unwrap();
    let enrolment = pcmt_core::http::HttpTransport::new(&province.url)
        .unwrap()
        .enrol(&code, hub_id)
        .unwrap();
    let as_kept_before = serde_json::to_string(&enrolment).unwrap();
    district
        .storage
        .set_meta("uplink", &as_kept_before)
        .unwrap();

    let token = Token::new();
    sync_upward(&*district.storage, &token.above(&province.url), None).unwrap();
    let kept = district.storage.meta("uplink").unwrap().unwrap();
    assert!(!kept.contains(&enrolment.token), "{kept}");
    token.is_kept_apart();
    assert_eq!(
        std::fs::read_to_string(&token.path).unwrap().trim(),
        enrolment.token
    );
    // And from the file alone, the next sync still goes through.
    sync_upward(&*district.storage, &token.above(&province.url), None).unwrap();
}

sotay_pcmt::on_both_hubs!(
    an_older_hubs_uplink_token_moves_out_of_the_database,
    the_district_syncs_upward_over_plain_http_only_on_this_machine,
    records_travel_commune_to_province_and_back_through_the_district_hub,
    the_district_takes_from_the_province_only_the_communes_it_serves,
);
