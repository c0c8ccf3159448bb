//! A district hub syncs upward to a province hub with the same protocol:
//! a commune's record reaches the province, and an edit made at the
//! province comes back down to the commune's tablet. The district hub runs
//! on SQLite and on PostgreSQL; the province on SQLite.

use pcmt_hub::uplink::sync_upward;
use pcmt_model::fixtures::{self, day};
use pcmt_model::SessionInput;
use sotay_pcmt::{TestDevice, TestHub};

const DISTRICT: [&str; 3] = ["62-610-23284", "62-610-23287", "62-610-23290"];

fn records_travel_commune_to_province_and_back_through_the_district_hub(district: TestHub) {
    let province = TestHub::start();
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

    let up = sync_upward(&*district.storage, &province.url, Some(&code)).unwrap();
    assert_eq!(up.sent_records, 1);

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

    let down = sync_upward(&*district.storage, &province.url, None).unwrap();
    assert_eq!(
        (down.sent_records, down.received_records),
        (0, 1),
        "nothing echoed back up"
    );
    tablet.sync(&district);
    assert_eq!(tablet.store().session(row.id).unwrap().attendees, 125);

    let idle = sync_upward(&*district.storage, &province.url, None).unwrap();
    assert_eq!(
        (idle.sent_records, idle.received_records, idle.round_trips),
        (0, 0, 1)
    );
    assert_eq!(tablet.store().document_heads().unwrap(), {
        let heads = office.store().document_heads().unwrap();
        heads.into_iter().filter(|(id, _)| *id == row.id).collect()
    });
}

sotay_pcmt::on_both_hubs!(records_travel_commune_to_province_and_back_through_the_district_hub);
