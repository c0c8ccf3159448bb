//! Issue 24: a hub restored from a backup loses what it acknowledged after
//! the backup; the tablets that hold it must notice (the hub's new epoch)
//! and send it again, so that nothing is lost.

use pcmt_hub::uplink::{sync_upward, Above, TokenFile};
use pcmt_model::fixtures::{self, day};
use pcmt_model::SessionInput;
use sotay_pcmt::{TestDevice, TestHub};

fn session(store: &TestDevice, venue: &str) -> uuid::Uuid {
    let input = SessionInput {
        commune: fixtures::COMMUNE.into(),
        ..fixtures::session(venue)
    };
    store
        .store()
        .create_session(&input, &store.author, day(2026, 11, 24))
        .expect("a session saves")
        .id
}

/// The report: a tablet syncs, the hub is backed up, the tablet
/// syncs one more session, the hub is restored from the backup. The
/// tablet's next sync must send that session again, and a new tablet of
/// the commune must receive both.
fn a_session_acknowledged_after_the_backup_reaches_the_restored_hub(hub: TestHub) {
    let tablet = TestDevice::new("A Lưu");
    tablet.enrol(&hub, &[fixtures::COMMUNE]);
    let older = session(&tablet, "Trường TH Đăk Pék");
    tablet.sync(&hub);
    let backup = hub.backup();
    let newer = session(&tablet, "Nhà văn hóa thôn Đăk Ung");
    tablet.sync(&hub);
    assert_eq!(tablet.store().unsynced_count().unwrap(), 0);

    let hub = hub.restore(&backup);
    assert_eq!(hub.storage.document_count().unwrap(), 1, "the backup's");
    let report = tablet.sync(&hub);
    assert!(report.resynced, "the tablet noticed the restore");
    assert_eq!(hub.storage.document_count().unwrap(), 2);

    let newcomer = TestDevice::new("Y Blông");
    newcomer.enrol(&hub, &[fixtures::COMMUNE]);
    let held = newcomer.store().document_heads().unwrap();
    assert!(held.contains_key(&older) && held.contains_key(&newer));
    assert_eq!(held, tablet.store().document_heads().unwrap());

    // The epoch is kept: the next sync is an ordinary one.
    let again = tablet.sync(&hub);
    assert!(!again.resynced);
    assert_eq!((again.sent_records, again.offered_bytes), (0, 0));
}

fn edit(tablet: &TestDevice, id: uuid::Uuid, venue: &str, attendees: u32) {
    let input = SessionInput {
        commune: fixtures::COMMUNE.into(),
        attendees,
        ..fixtures::session(venue)
    };
    tablet
        .store()
        .update_session(id, &input, &tablet.author, day(2026, 11, 25))
        .expect("an edit saves");
}

/// Issue 24, item 4: three tablets keep working after the backup (new
/// records, edits, a deletion, a conflict; some of it synced before the
/// restore, some not), the hub is restored, and the tablets sync in every
/// order: the hub, the three tablets and a new tablet then hold every
/// record any of them held, with the same heads, and the log says a
/// restore happened.
fn three_tablets_lose_nothing_to_a_restore_whatever_order_they_sync_in(first: TestHub) {
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let mut hub = first;
    for order in orders {
        let restored = one_order(hub, order);
        hub = restored.another();
    }
}

/// One run of the scenario, the tablets syncing in `order` after the
/// restore; the restored hub.
fn one_order(hub: TestHub, order: [usize; 3]) -> TestHub {
    let tablets: Vec<TestDevice> = ["A Lưu", "Y Blông", "A Thuận"]
        .iter()
        .map(|o| TestDevice::new(o))
        .collect();
    for t in &tablets {
        t.enrol(&hub, &[fixtures::COMMUNE]);
    }
    let (a, b, c) = (&tablets[0], &tablets[1], &tablets[2]);
    let s1 = session(a, "Trường TH Đăk Pék");
    let s2 = session(a, "Chợ Đăk Glei");
    let s3 = session(b, "Nhà văn hóa thôn Đăk Ung");
    for t in tablets.iter().chain([a]) {
        t.sync(&hub);
    }
    let backup = hub.backup();

    // After the backup: an edit, a deletion, a new record, and two
    // tablets editing one field of s2 without seeing each other (a
    // conflict), all synced to the hub the restore loses...
    edit(a, s1, "Trường TH Đăk Pék", 150);
    edit(a, s2, "Chợ Đăk Glei (sáng)", 80);
    a.sync(&hub);
    edit(c, s2, "Chợ Đăk Glei (chiều)", 80);
    b.store().delete(s3, &b.author).expect("a deletion saves");
    let s4 = session(c, "Trạm y tế xã");
    b.sync(&hub);
    c.sync(&hub);
    a.sync(&hub);
    // ...and work not synced before the restore.
    let s5 = session(b, "Trường THCS Đăk Pék");
    edit(c, s1, "Trường TH Đăk Pék", 175);
    let held_before: Vec<_> = tablets
        .iter()
        .map(|t| t.store().document_heads().unwrap())
        .collect();

    let hub = hub.restore(&backup);
    for _round in 0..2 {
        for &i in &order {
            tablets[i].sync(&hub);
        }
    }
    let newcomer = TestDevice::new("Văn phòng xã");
    newcomer.enrol(&hub, &[fixtures::COMMUNE]);
    let all = newcomer.store().document_heads().unwrap();
    for (t, before) in tablets.iter().zip(&held_before) {
        assert_eq!(t.store().document_heads().unwrap(), all, "order {order:?}");
        for (id, heads) in before {
            assert!(
                t.store().missing_changes(*id, heads).unwrap().is_empty(),
                "order {order:?}: a change of {id} went missing"
            );
        }
    }
    for id in [s1, s2, s3, s4, s5] {
        assert!(all.contains_key(&id), "order {order:?}: {id}");
    }
    assert_eq!(hub.storage.document_count().unwrap(), 5);
    assert!(
        !newcomer.store().conflicts(s2).unwrap().is_empty(),
        "the conflict is kept"
    );
    assert_eq!(newcomer.store().session(s1).unwrap().attendees, 175);
    assert!(newcomer.store().session(s3).is_err(), "the deletion holds");
    let log = hub
        .storage
        .audit_log(&pcmt_hub::rules::audit::Query::visible_to(
            &pcmt_model::OrgTree::demo(),
            "62-610",
        ))
        .unwrap();
    assert!(log
        .entries
        .iter()
        .any(|l| l.entry.action == pcmt_hub::rules::audit::Action::HubRestored));
    hub
}

/// Upward sync against a restored province, and a restored district
/// syncing upward: every record reaches the province again.
fn a_restored_province_and_a_restored_district_get_every_record_again(district: TestHub) {
    let province = TestHub::start_on_disk();
    let dir = tempfile::tempdir().unwrap();
    let above = |url: &str| Above {
        url: url.into(),
        certificate: None,
        token_file: TokenFile::new(dir.path().join("uplink.token")),
    };
    let code = province.code_for(&[fixtures::COMMUNE]);
    let tablet = TestDevice::new("A Lưu");
    tablet.enrol(&district, &[fixtures::COMMUNE]);
    let older = session(&tablet, "Trường TH Đăk Pék");
    tablet.sync(&district);
    sync_upward(&*district.storage, &above(&province.url), Some(&code)).unwrap();
    let province_backup = province.backup();
    let district_backup = district.backup();

    let newer = session(&tablet, "Nhà văn hóa thôn Đăk Ung");
    edit(&tablet, older, "Trường TH Đăk Pék", 160);
    tablet.sync(&district);
    sync_upward(&*district.storage, &above(&province.url), None).unwrap();
    let province = province.restore(&province_backup);
    assert_eq!(province.storage.document_count().unwrap(), 1);
    let up = sync_upward(&*district.storage, &above(&province.url), None).unwrap();
    assert!(up.resynced, "the district noticed the province's restore");
    assert_eq!(province.storage.document_count().unwrap(), 2);
    let again = sync_upward(&*district.storage, &above(&province.url), None).unwrap();
    assert!(!again.resynced);
    assert_eq!((again.sent_records, again.received_records), (0, 0));

    // The district restored in turn: its tablet sends the newer session
    // again, and the district's next upward sync goes through.
    let latest = session(&tablet, "Trạm y tế xã");
    let district = district.restore(&district_backup);
    assert!(tablet.sync(&district).resynced);
    assert_eq!(district.storage.document_count().unwrap(), 3);
    sync_upward(&*district.storage, &above(&province.url), None).unwrap();
    let office = TestDevice::new("Công an tỉnh");
    office.sync(&province);
    let held = office.store().document_heads().unwrap();
    for id in [older, newer, latest] {
        assert!(held.contains_key(&id), "{id} reached the province");
    }
    assert_eq!(held, tablet.store().document_heads().unwrap());
}

/// Issue 24: a hub restored without a new epoch (a PostgreSQL restore
/// before `--new-epoch`, or a backup put back by hand) has lost the end
/// of its feed; a tablet that pulled past it must notice (the hub answers
/// its pull with the feed's end) and send again what the hub lost.
fn a_cursor_past_the_restored_feeds_end_resyncs_and_nothing_is_lost(hub: TestHub) {
    let a = TestDevice::new("A Lưu");
    let b = TestDevice::new("Y Blông");
    a.enrol(&hub, &[fixtures::COMMUNE]);
    b.enrol(&hub, &[fixtures::COMMUNE]);
    let s1 = session(&a, "Trường TH Đăk Pék");
    a.sync(&hub);
    let backup = hub.backup();
    // After the backup: b's session reaches a, whose cursor passes the
    // feed's end the restore will leave, and a's own next session.
    let s2 = session(&b, "Nhà văn hóa thôn Đăk Ung");
    b.sync(&hub);
    let s3 = session(&a, "Chợ Đăk Glei");
    a.sync(&hub);
    assert!(a.store().document_heads().unwrap().contains_key(&s2));
    let epoch = hub.storage.epoch().unwrap();

    let hub = hub.restore_keeping_epoch(&backup);
    assert_eq!(hub.storage.epoch().unwrap(), epoch, "no new epoch");
    assert_eq!(hub.storage.document_count().unwrap(), 1);
    let report = a.sync(&hub);
    assert!(report.resynced, "the tablet noticed the feed's lost end");
    assert_eq!(hub.storage.document_count().unwrap(), 3);
    let newcomer = TestDevice::new("Văn phòng xã");
    newcomer.enrol(&hub, &[fixtures::COMMUNE]);
    let held = newcomer.store().document_heads().unwrap();
    for id in [s1, s2, s3] {
        assert!(held.contains_key(&id), "{id} reached the restored hub");
    }
    assert_eq!(held, a.store().document_heads().unwrap());
    let again = a.sync(&hub);
    assert!(!again.resynced);
}

sotay_pcmt::on_both_hubs!(
    start_on_disk;
    a_session_acknowledged_after_the_backup_reaches_the_restored_hub,
    a_restored_province_and_a_restored_district_get_every_record_again,
    three_tablets_lose_nothing_to_a_restore_whatever_order_they_sync_in,
    a_cursor_past_the_restored_feeds_end_resyncs_and_nothing_is_lost,
);
