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

sotay_pcmt::on_both_hubs!(
    start_on_disk;
    a_session_acknowledged_after_the_backup_reaches_the_restored_hub,
    a_restored_province_and_a_restored_district_get_every_record_again,
);
