//! Two officers' tablets and a district hub, in one process over loopback HTTP.

use chrono::NaiveDate;
use pcmt_model::api::ListFilter;
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
        topics: vec![Topic::SyntheticDrugs],
        details: Default::default(),
    }
}

fn a_session_travels_to_a_second_tablet_and_edits_made_apart_merge_on_both(hub: TestHub) {
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
    let err = pcmt_core::http::sync_with_hub(&a.store, "http://127.0.0.1:9", Some("ABCDE-FGHJK"))
        .unwrap_err();
    assert!(matches!(
        err,
        pcmt_core::CoreError::Sync(pcmt_core::sync::SyncError::Unreachable(_))
    ));
    assert_eq!(a.store().unsynced_count().unwrap(), 1);
    assert_eq!(
        a.store()
            .list_sessions(&ListFilter::default(), 10, 0)
            .unwrap()
            .len(),
        1
    );
}

/// A hub and two tablets that both hold one session made on the first.
fn two_tablets_sharing_a_session(hub: TestHub) -> (TestHub, TestDevice, TestDevice, uuid::Uuid) {
    let a = TestDevice::new("A Lưu");
    let b = TestDevice::new("Y Hoa");
    let row = a
        .store()
        .create_session(&session(), &a.author, today())
        .unwrap();
    a.sync(&hub);
    b.sync(&hub);
    (hub, a, b, row.id)
}

fn the_same_field_edited_on_two_tablets_is_a_conflict_on_both_until_an_officer_resolves_it(
    hub: TestHub,
) {
    let (hub, a, b, id) = two_tablets_sharing_a_session(hub);

    let on_a = SessionInput {
        attendees: 190,
        ..session()
    };
    let on_b = SessionInput {
        attendees: 210,
        ..session()
    };
    a.store()
        .update_session(id, &on_a, &a.author, today())
        .unwrap();
    b.store()
        .update_session(id, &on_b, &b.author, today())
        .unwrap();
    a.sync(&hub);
    b.sync(&hub);
    a.sync(&hub);

    for device in [&a, &b] {
        let conflicts = device.store().conflicts(id).unwrap();
        assert_eq!(conflicts.len(), 1, "one field in conflict");
        assert_eq!(conflicts[0].field, "attendees");
        let mut values = conflicts[0].texts();
        values.sort();
        assert_eq!(values, vec!["190", "210"], "both values kept, none lost");
        // Each value says whose it is: the officer, the tablet and when.
        for (text, writer) in [("190", &a), ("210", &b)] {
            let value = conflicts[0].values.iter().find(|v| v.text == text).unwrap();
            assert_eq!(value.writers.len(), 1, "{value:?}");
            assert_eq!(value.writers[0].officer, writer.author.officer);
            assert_eq!(
                value.writers[0].device,
                writer.store().device_id().simple().to_string()
            );
            assert!(value.writers[0].time > 0, "{value:?}");
        }
    }
    // Re-saving an unrelated field does not silently settle the conflict.
    let shown = b.store().session(id).unwrap();
    let rename = SessionInput {
        venue_name: "Trường TH Đăk Pék (cơ sở 2)".into(),
        attendees: shown.attendees,
        ..session()
    };
    b.store()
        .update_session(id, &rename, &b.author, today())
        .unwrap();
    assert_eq!(b.store().conflicts(id).unwrap().len(), 1);

    // An officer types the right figure after checking the sign-in sheet.
    let bad = b
        .store()
        .resolve_conflict(id, "attendees", "mười", &b.author, today());
    assert!(bad.is_err(), "a non-number is refused");
    b.store()
        .resolve_conflict(id, "attendees", "200", &b.author, today())
        .unwrap();
    assert!(b.store().conflicts(id).unwrap().is_empty());
    b.sync(&hub);
    a.sync(&hub);
    for device in [&a, &b] {
        assert!(device.store().conflicts(id).unwrap().is_empty());
        let r = device.store().session(id).unwrap();
        assert_eq!(
            (r.attendees, r.venue_name.as_str()),
            (200, "Trường TH Đăk Pék (cơ sở 2)")
        );
    }
    let history = a.store().history(id).unwrap();
    assert!(history.iter().any(|h| h.officer == "Y Hoa"
        && h.fields
            .iter()
            .any(|f| f.field == "attendees" && f.value == "200")));
}

fn a_delete_travels_as_a_tombstone_and_so_does_its_undo(hub: TestHub) {
    let (hub, a, b, id) = two_tablets_sharing_a_session(hub);
    let listed = |d: &TestDevice| {
        d.store()
            .list_sessions(&ListFilter::default(), 10, 0)
            .unwrap()
            .len()
    };
    assert_eq!(listed(&b), 1);

    a.store().delete(id, &a.author).unwrap();
    a.sync(&hub);
    b.sync(&hub);
    assert_eq!(listed(&b), 0, "deleted on A, gone from B's list");
    assert_eq!(
        b.store().history(id).unwrap().len(),
        2,
        "the record itself is kept"
    );

    b.store().restore(id, &b.author).unwrap();
    b.sync(&hub);
    a.sync(&hub);
    assert_eq!(listed(&a), 1, "B's undo brings it back on A");
    assert_eq!(
        a.store().session(id).unwrap().venue_name,
        "Trường TH Đăk Pék"
    );
}

sotay_pcmt::on_both_hubs!(
    a_session_travels_to_a_second_tablet_and_edits_made_apart_merge_on_both,
    the_same_field_edited_on_two_tablets_is_a_conflict_on_both_until_an_officer_resolves_it,
    a_delete_travels_as_a_tombstone_and_so_does_its_undo,
);
