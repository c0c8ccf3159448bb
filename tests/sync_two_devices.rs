//! Two officers' tablets and a district hub, in one process over loopback HTTP.

use chrono::NaiveDate;
use pcmt_model::{SessionForm, SessionInput, Topic, VenueKind};
use sotay_pcmt::{TestDevice, TestHub};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

fn session() -> SessionInput {
    SessionInput {
        date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        commune: "62-610-23284".into(),
        venue_kind: VenueKind::School,
        venue_name: "Trường TH Đăk Pék".into(),
        form: SessionForm::Talk,
        attendees: 180,
        women: 95,
        topic: Topic::SyntheticDrugs,
    }
}

#[test]
fn a_session_travels_to_a_second_tablet_and_edits_made_apart_merge_on_both() {
    let hub = TestHub::start();
    let a = TestDevice::new("Công an xã — A Lưu");
    let b = TestDevice::new("Đoàn thanh niên — Y Hoa");

    let row = a
        .store()
        .create_session(&session(), &a.author, today())
        .unwrap();
    let sent = a.sync(&hub);
    assert_eq!(sent.sent_records, 1);
    assert_eq!(
        a.store().unsynced_count().unwrap(),
        0,
        "the hub confirmed the session"
    );

    let got = b.sync(&hub);
    assert_eq!(got.received_records, 1);
    let on_b = b.store().session(row.id).unwrap();
    assert_eq!(on_b.venue_name, "Trường TH Đăk Pék");
    assert!(!on_b.unsynced);

    // Apart: A corrects the attendance, B corrects the venue name.
    let a_edit = SessionInput {
        attendees: 185,
        ..session()
    };
    a.store()
        .update_session(row.id, &a_edit, &a.author, today())
        .unwrap();
    let b_edit = SessionInput {
        venue_name: "Trường Tiểu học Đăk Pék".into(),
        ..session()
    };
    b.store()
        .update_session(row.id, &b_edit, &b.author, today())
        .unwrap();

    a.sync(&hub);
    b.sync(&hub);
    a.sync(&hub);

    let merged_a = a.store().session(row.id).unwrap();
    let merged_b = b.store().session(row.id).unwrap();
    assert_eq!(merged_a, merged_b, "both tablets hold the same record");
    assert_eq!(merged_a.attendees, 185);
    assert_eq!(merged_a.venue_name, "Trường Tiểu học Đăk Pék");
    assert_eq!(a.store().unsynced_count().unwrap(), 0);
    assert_eq!(b.store().unsynced_count().unwrap(), 0);

    // A sync with nothing new moves nothing.
    let idle = a.sync(&hub);
    assert_eq!((idle.sent_records, idle.received_records), (0, 0));
    assert_eq!(idle.round_trips, 1);
}

#[test]
fn a_sync_to_an_unreachable_hub_keeps_the_unsent_session() {
    let a = TestDevice::new("A Lưu");
    a.store()
        .create_session(&session(), &a.author, today())
        .unwrap();
    let mut transport = pcmt_core::http::HttpTransport::new("http://127.0.0.1:9").unwrap();
    let err = pcmt_core::sync::run_sync(&a.store, &mut transport, vec!["62-610-23284".into()])
        .unwrap_err();
    assert!(matches!(
        err,
        pcmt_core::CoreError::Sync(pcmt_core::sync::SyncError::Unreachable(_))
    ));
    assert_eq!(a.store().unsynced_count().unwrap(), 1);
    assert_eq!(a.store().list_sessions(10, 0).unwrap().len(), 1);
}
