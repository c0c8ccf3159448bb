//! Enrolment and commune scoping over real HTTP: a tablet sees only its
//! communes' records, cannot write outside them, and a forged or revoked
//! token is refused while the tablet keeps its unsent data.

use pcmt_core::sync::SyncError;
use pcmt_core::CoreError;
use pcmt_model::fixtures::{self, day};
use pcmt_model::Lang;
use sotay_pcmt::{TestDevice, TestHub};

const PEK: &str = "62-610-23284";
const CHOONG: &str = "62-610-23287";

fn today() -> chrono::NaiveDate {
    day(2026, 11, 24)
}

fn a_tablet_of_one_commune_never_receives_another_communes_person_files(hub: TestHub) {
    let pek = TestDevice::new("A Lưu");
    let choong = TestDevice::new("Y Hoa");
    pek.enrol(&hub, &[PEK]);
    choong.enrol(&hub, &[CHOONG]);

    let person = pek
        .store()
        .create_person(&fixtures::person("Nguyễn Văn A"), &pek.author, today())
        .unwrap();
    let elsewhere = pcmt_model::PersonInput {
        commune: CHOONG.into(),
        village: None,
        ..fixtures::person("Đinh Thị B")
    };
    let theirs = choong
        .store()
        .create_person(&elsewhere, &choong.author, today())
        .unwrap();
    pek.sync(&hub);
    choong.sync(&hub);
    pek.sync(&hub);

    assert!(matches!(
        choong.store().person(person.id),
        Err(CoreError::NotFound(_))
    ));
    assert!(choong
        .store()
        .search_people("nguyen", 10, 0)
        .unwrap()
        .is_empty());
    assert!(matches!(
        pek.store().person(theirs.id),
        Err(CoreError::NotFound(_))
    ));

    // A second tablet of the same commune gets the file.
    let pek2 = TestDevice::new("Công an xã 2");
    pek2.enrol(&hub, &[PEK]);
    assert_eq!(
        pek2.store().person(person.id).unwrap().full_name,
        "Nguyễn Văn A"
    );
}

fn a_write_outside_the_tablets_communes_is_refused_and_nothing_is_stored(hub: TestHub) {
    let pek = TestDevice::new("A Lưu");
    let outside = pcmt_model::SessionInput {
        commune: CHOONG.into(),
        ..fixtures::session("Chợ Đăk Choong")
    };
    // Made before the tablet's first sync: once the hub has given it its
    // part of the unit list, the tablet itself refuses another commune
    // (`tests/office_units.rs`); the hub must refuse it whatever a tablet
    // or a crafted request sends.
    pek.store()
        .create_session(&outside, &pek.author, today())
        .unwrap();
    let code = hub.code_for(&[PEK]);
    let err = pcmt_core::http::sync_with_hub(&pek.store, &hub.url, Some(&code)).unwrap_err();
    assert!(
        matches!(err, CoreError::Sync(SyncError::Refused { status: 403, .. })),
        "{err:?}"
    );
    assert_eq!(hub.storage.document_count().unwrap(), 0);
    assert_eq!(
        pek.store().unsynced_count().unwrap(),
        1,
        "the tablet keeps it"
    );
}

fn a_forged_or_revoked_token_is_refused_and_the_tablet_keeps_its_data(hub: TestHub) {
    let pek = TestDevice::new("A Lưu");
    pek.enrol(&hub, &[PEK]);
    pek.store()
        .create_session(&fixtures::session("Trường TH"), &pek.author, today())
        .unwrap();

    let mut forged = pek.store().enrolment().unwrap().unwrap();
    forged.token = "00".repeat(32);
    let thief = TestDevice::new("kẻ gian");
    thief.store().set_enrolment(&forged).unwrap();
    let err = thief.try_sync(&hub).unwrap_err();
    assert!(
        matches!(err, CoreError::Sync(SyncError::Refused { status: 401, .. })),
        "{err:?}"
    );

    let device = pek.store().device_id();
    assert!(hub.storage.revoke(device).unwrap());
    let err = pek.try_sync(&hub).unwrap_err();
    assert!(
        matches!(err, CoreError::Sync(SyncError::Revoked)),
        "{err:?}"
    );
    assert!(err.user_message(Lang::Vi).contains("thu hồi"));
    assert_eq!(
        pek.store().unsynced_count().unwrap(),
        1,
        "unsent data stays on the tablet"
    );
    assert_eq!(hub.storage.document_count().unwrap(), 0);

    // Marked lost, it is told so, and a new code does not bring it back.
    assert!(hub.storage.mark_lost(device).unwrap());
    let err = pek.try_sync(&hub).unwrap_err();
    assert!(matches!(err, CoreError::Sync(SyncError::Lost)), "{err:?}");
    assert!(err.user_message(Lang::Vi).contains("bị mất"));
    let code = hub.code_for(&[PEK]);
    let err = pcmt_core::http::HttpTransport::new(&hub.url)
        .unwrap()
        .enrol(&code, device)
        .unwrap_err();
    assert_eq!(err, SyncError::Lost);
    assert_eq!(pek.store().unsynced_count().unwrap(), 1);

    let reused = TestDevice::new("Y Hoa");
    let err =
        pcmt_core::http::sync_with_hub(&reused.store, &hub.url, Some("AAAAA-AAAAA")).unwrap_err();
    assert!(
        matches!(err, CoreError::Sync(SyncError::Refused { status: 401, .. })),
        "{err:?}"
    );
}

fn a_revoked_tablet_enrols_again_with_a_new_code_and_sends_what_it_kept(hub: TestHub) {
    use pcmt_core::http::{RENEWAL_CODE, WITHDRAWN};
    // A district officer's tablet records a session in Đăk Choong, then
    // one in Đăk Pék: the Pék tablet's cursor passes the first to reach the
    // second.
    let other = TestDevice::new("Y Bình");
    other.enrol(&hub, &[CHOONG, PEK]);
    for (commune, venue) in [(CHOONG, "Chợ phiên Đăk Choong"), (PEK, "Nhà văn hóa")] {
        other
            .store()
            .create_session(
                &pcmt_model::SessionInput {
                    commune: commune.into(),
                    ..fixtures::session(venue)
                },
                &other.author,
                today(),
            )
            .unwrap();
        other.sync(&hub);
    }
    let pek = TestDevice::new("A Lưu");
    pek.enrol(&hub, &[PEK]);
    assert!(
        pek.store().pull_cursor().unwrap() > 0,
        "past Đăk Choong's change"
    );
    let sessions = |d: &TestDevice| {
        let all = pcmt_model::api::ListFilter::default();
        d.store().list_sessions(&all, 100, 0).unwrap().len()
    };
    assert_eq!(sessions(&pek), 1);
    let device = pek.store().device_id();
    assert!(hub.storage.revoke(device).unwrap());
    pek.store()
        .create_session(&fixtures::session("Trường TH"), &pek.author, today())
        .unwrap();
    assert!(matches!(
        pek.try_sync(&hub).unwrap_err(),
        CoreError::Sync(SyncError::Revoked)
    ));
    let withdrawn = |d: &TestDevice| d.store().local_value(WITHDRAWN).unwrap();
    assert_eq!(
        withdrawn(&pek).as_deref(),
        Some("revoked"),
        "kept for the screens"
    );

    // A mistyped code: refused, the tablet as it was, the code still waiting.
    let before = pek.store().enrolment().unwrap();
    pek.store()
        .set_local_value(RENEWAL_CODE, Some("AAAAA-AAAAA"))
        .unwrap();
    assert!(matches!(
        pek.try_sync(&hub).unwrap_err(),
        CoreError::Sync(SyncError::Refused { status: 401, .. })
    ));
    assert_eq!(pek.store().enrolment().unwrap(), before);
    assert!(pek.store().local_value(RENEWAL_CODE).unwrap().is_some());

    // The office's new code, now for Đăk Choong too: the same tablet enrols
    // again, its kept session goes up, and the new commune's records come
    // down from the start of the feed (Đăk Choong's session is older than
    // the tablet's cursor).
    let code = hub.code_for(&[PEK, CHOONG]);
    pek.store()
        .set_local_value(RENEWAL_CODE, Some(&code))
        .unwrap();
    let report = pek.try_sync(&hub).expect("enrolled again");
    assert_eq!(report.sent_records, 1, "{report:?}");
    assert_eq!(
        sessions(&pek),
        3,
        "Đăk Choong's session came down: {report:?}"
    );
    assert_eq!(pek.store().unsynced_count().unwrap(), 0);
    assert!(
        pek.store().local_value(RENEWAL_CODE).unwrap().is_none(),
        "used once"
    );
    assert_eq!(
        withdrawn(&pek),
        None,
        "cleared by the sync that went through"
    );
    let renewed = pek.store().enrolment().unwrap().unwrap();
    assert_eq!(renewed.communes, vec![PEK.to_string(), CHOONG.to_string()]);
    assert_ne!(Some(&renewed.token), before.as_ref().map(|b| &b.token));
    assert_eq!(hub.storage.document_count().unwrap(), 3);
}

sotay_pcmt::on_both_hubs!(
    a_tablet_of_one_commune_never_receives_another_communes_person_files,
    a_write_outside_the_tablets_communes_is_refused_and_nothing_is_stored,
    a_forged_or_revoked_token_is_refused_and_the_tablet_keeps_its_data,
    a_revoked_tablet_enrols_again_with_a_new_code_and_sends_what_it_kept,
);
