//! Hundreds of tablets syncing with one hub at once, over real HTTP: none
//! fails because of another, no record is lost or stored twice.

use pcmt_model::fixtures::{self, day};
use pcmt_model::SessionInput;
use sotay_pcmt::{TestDevice, TestHub};

const DEVICES: usize = 300;
const RECORDS_EACH: usize = 2;
const AT_ONCE: usize = 32;

fn three_hundred_tablets_sync_at_once_without_loss_or_duplicates(hub: TestHub) {
    let communes = ["62-610-23284", "62-610-23287", "62-610-23290"];
    let devices: Vec<TestDevice> = (0..DEVICES)
        .map(|i| TestDevice::new(&format!("Cán bộ {i}")))
        .collect();
    let mut ids = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        for r in 0..RECORDS_EACH {
            let input = SessionInput {
                commune: communes[i % 3].into(),
                ..fixtures::session(&format!("Điểm {i}-{r}"))
            };
            ids.push(
                d.store()
                    .create_session(&input, &d.author, day(2026, 11, 24))
                    .unwrap()
                    .id,
            );
        }
    }
    // AT_ONCE syncs in flight at every moment, until every tablet has synced.
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = devices
            .chunks(DEVICES / AT_ONCE + 1)
            .map(|chunk| {
                let hub = &hub;
                s.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|d| d.try_sync(hub).err().map(|e| e.to_string()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} syncs failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert_eq!(
        hub.storage.document_count().unwrap(),
        (DEVICES * RECORDS_EACH) as u64
    );

    let office = TestDevice::new("Văn phòng huyện");
    let report = office.sync(&hub);
    assert_eq!(
        report.received_records,
        (DEVICES * RECORDS_EACH) as u64,
        "each record arrives once"
    );
    let mut listed: Vec<_> = office
        .store()
        .list_sessions(&Default::default(), 10_000, 0)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    listed.sort();
    ids.sort();
    assert_eq!(listed, ids, "no record lost, none doubled");
    for d in &devices {
        assert_eq!(d.store().unsynced_count().unwrap(), 0);
    }
}

sotay_pcmt::on_both_hubs!(three_hundred_tablets_sync_at_once_without_loss_or_duplicates,);
