//! A real province, not the demo district (issue 19): the office loads its
//! unit list at the hub, and a tablet enrolled for one of its communes
//! receives its part of the list at enrolment and again when the office
//! changes it, validates its records against it, and keeps it across a
//! restart. On both hubs.

use pcmt_core::CoreError;
use pcmt_hub::rules::audit::Actor;
use pcmt_model::fixtures::{self, day};
use pcmt_model::org_sheet;
use sotay_pcmt::{on_both_hubs, TestDevice, TestHub};

on_both_hubs!(a_tablet_of_a_loaded_province_receives_its_part_of_the_list_and_validates_against_it);

const HUE: &str = "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên
46,Thành phố Huế,Tỉnh,
19774,Phường Thuận Hóa,Phường,46
20014,Xã A Lưới 1,Xã,46
20014-01,Thôn A Đớt,Thôn,20014
20014-S1,Trường THCS A Lưới,Trường học,20014
";

fn load(hub: &TestHub, text: &str) -> u64 {
    let rows = pcmt_hub::rules::units::read_file(text.as_bytes()).unwrap();
    let tree = org_sheet::read_rows(&rows).unwrap();
    hub.storage.load_units(&tree, &Actor::office()).unwrap()
}

fn person_of_a_luoi() -> pcmt_model::PersonInput {
    pcmt_model::PersonInput {
        commune: "20014".into(),
        village: Some("20014-01".into()),
        ..fixtures::person("Hồ Văn Sơn")
    }
}

fn a_tablet_of_a_loaded_province_receives_its_part_of_the_list_and_validates_against_it(
    hub: TestHub,
) {
    let version = load(&hub, HUE);
    let tablet = TestDevice::new("Hồ Thị Lan");
    // The app as shipped knows only the demo district: A Lưới 1 is refused.
    assert!(matches!(
        tablet
            .store()
            .create_person(&person_of_a_luoi(), &tablet.author, day(2026, 11, 24)),
        Err(CoreError::Invalid(_))
    ));

    tablet.enrol(&hub, &["20014"]);
    {
        let store = tablet.store();
        assert_eq!(store.office_version().unwrap(), version);
        let units = store.units();
        assert_eq!(units.get("20014").unwrap().name, "Xã A Lưới 1");
        assert!(units.is_village_of("20014-01", "20014"));
        assert!(units.get("46").is_some(), "the province above it");
        assert!(units.get("19774").is_none(), "not the ward next door");
        assert!(units.get("62-610-23284").is_none(), "nor the demo district");
    }
    tablet
        .store()
        .create_person(&person_of_a_luoi(), &tablet.author, day(2026, 11, 24))
        .expect("a person of the commune's own village");
    // The ward next door is not this tablet's: refused on the tablet.
    let next_door = pcmt_model::PersonInput {
        commune: "19774".into(),
        village: None,
        ..fixtures::person("Lê Văn Bình")
    };
    assert!(matches!(
        tablet
            .store()
            .create_person(&next_door, &tablet.author, day(2026, 11, 24)),
        Err(CoreError::Invalid(_))
    ));

    // Nothing changed at the office: nothing more is sent.
    let report = tablet.sync(&hub);
    assert_eq!(report.office_version, None);
    assert_eq!(report.sent_records, 1);

    // The office renames the village: the next sync brings it, and the
    // list outlives a restart of the app.
    let renamed = load(&hub, &HUE.replace("Thôn A Đớt", "Thôn A Đớt 2"));
    assert_eq!(tablet.sync(&hub).office_version, Some(renamed));
    tablet.reopen();
    let store = tablet.store();
    assert_eq!(store.office_version().unwrap(), renamed);
    assert_eq!(store.units().get("20014-01").unwrap().name, "Thôn A Đớt 2");
    drop(store);

    // The province sets its plan (half-years before 16/6 and 16/12): the
    // tablet's reports are due by it after the next sync, and after a
    // restart of the app.
    let mut plan = pcmt_model::Plan::bundled();
    plan.first_half_by = pcmt_model::DayMonth::new(16, 6);
    plan.second_half_by = Some(pcmt_model::DayMonth::new(16, 12));
    hub.storage
        .set_plan(
            &plan,
            &pcmt_hub::rules::audit::Entry::plan_set("tinh", "46", &plan),
        )
        .unwrap();
    let second_half = pcmt_model::report::Period::half_year(2026, 2).unwrap();
    let due = |tablet: &TestDevice| {
        tablet
            .store()
            .report("20014", &second_half, day(2026, 11, 30))
            .unwrap()
            .due_before
    };
    assert_eq!(
        due(&tablet),
        None,
        "the bundled plan: no second-half deadline"
    );
    assert_eq!(tablet.sync(&hub).office_version, Some(renamed + 1));
    assert_eq!(due(&tablet), Some(day(2026, 12, 16)));
    tablet.reopen();
    assert_eq!(due(&tablet), Some(day(2026, 12, 16)));
}
