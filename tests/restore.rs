//! Issue 24: a hub restored from a backup loses what it acknowledged after
//! the backup; the tablets that hold it must notice (the hub's new epoch)
//! and send it again, so that nothing is lost.

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

sotay_pcmt::on_both_hubs!(start_on_disk; a_session_acknowledged_after_the_backup_reaches_the_restored_hub);
