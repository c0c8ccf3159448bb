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

on_both_hubs!(
    a_tablet_of_a_loaded_province_receives_its_part_of_the_list_and_validates_against_it,
    a_merger_rolls_the_old_communes_records_into_the_new_one_on_tablet_and_hub
);

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

/// Huế in 2025, before the office records its mergers: A Lưới 1 is listed
/// from 1 July 2025, Hồng Kim and Bắc Sơn still stand on their own.
const HUE_2025: &str =
    "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Hiệu lực từ ngày,Hiệu lực đến ngày,Sáp nhập vào mã
46,Thành phố Huế,Tỉnh,,,,
19774,Phường Thuận Hóa,Phường,46,,,
19996,Xã Hồng Kim,Xã,46,,,
20002,Xã Bắc Sơn,Xã,46,,,
20014,Xã A Lưới 1,Xã,46,01/07/2025,,
";

fn merged(sheet: &str) -> String {
    sheet
        .replace(
            "Xã Hồng Kim,Xã,46,,,",
            "Xã Hồng Kim,Xã,46,,30/06/2025,20014",
        )
        .replace("Xã Bắc Sơn,Xã,46,,,", "Xã Bắc Sơn,Xã,46,,30/6/2025,20014")
}

fn managed_in(commune: &str, name: &str, citizen_id: &str) -> pcmt_model::PersonInput {
    pcmt_model::PersonInput {
        commune: commune.into(),
        village: None,
        citizen_id: Some(citizen_id.into()),
        ..fixtures::person(name)
    }
}

fn session_in(commune: &str, date: chrono::NaiveDate) -> pcmt_model::SessionInput {
    pcmt_model::SessionInput {
        commune: commune.into(),
        date,
        ..fixtures::session("Trường Tiểu học")
    }
}

fn a_merger_rolls_the_old_communes_records_into_the_new_one_on_tablet_and_hub(hub: TestHub) {
    use pcmt_core::report::compute;
    use pcmt_hub::storage::with_rows;
    use pcmt_model::report::{IndicatorCode as I, Period};
    let today = day(2026, 11, 24);
    load(&hub, HUE_2025);
    let (hong_kim, bac_son, a_luoi) = (
        TestDevice::new("Hồ Văn Kim"),
        TestDevice::new("Lê Thị Sơn"),
        TestDevice::new("Nguyễn A Lưới"),
    );
    hong_kim.enrol(&hub, &["19996"]);
    bac_son.enrol(&hub, &["20002"]);
    a_luoi.enrol(&hub, &["20014"]);
    let son = {
        let mut store = hong_kim.store();
        let author = &hong_kim.author;
        store
            .create_session(&session_in("19996", day(2025, 5, 10)), author, today)
            .unwrap();
        store
            .create_person(
                &managed_in("19996", "Hồ Văn Sơn", "046098001234"),
                author,
                today,
            )
            .unwrap()
            .id
    };
    {
        let mut store = bac_son.store();
        let author = &bac_son.author;
        store
            .create_session(&session_in("20002", day(2025, 6, 20)), author, today)
            .unwrap();
        store
            .create_person(
                &managed_in("20002", "Lê Văn Bình", "046099005678"),
                author,
                today,
            )
            .unwrap();
    }
    assert_eq!(hong_kim.sync(&hub).sent_records, 2);
    assert_eq!(bac_son.sync(&hub).sent_records, 2);
    assert_eq!(
        a_luoi.sync(&hub).received_records,
        0,
        "not its communes yet"
    );

    // The office records the merger: Hồng Kim and Bắc Sơn end on 30 June
    // 2025 and are part of A Lưới 1 from 1 July. Nothing is rewritten: the
    // tablet of A Lưới 1 now manages their people, and receives their
    // records in its next sync although its cursor had passed them.
    let version = load(&hub, &merged(HUE_2025));
    let report = a_luoi.sync(&hub);
    assert_eq!(report.office_version, Some(version));
    assert_eq!(report.received_records, 4);

    let year = Period::year(2025).unwrap();
    let first_half = Period::half_year(2025, 1).unwrap();
    let (units, rules) = (hub.storage.units(), hub.storage.rules());
    let at_hub = |unit: &str, period: &Period| {
        with_rows(&*hub.storage, |rows| {
            compute(rows, &units, &rules, unit, period, today)
        })
        .unwrap()
        .unwrap()
    };
    let value = |r: &pcmt_model::report::Report, code| r.indicator(code).and_then(|i| i.value);
    // 2025 ends after the merger: A Lưới 1 counts both sessions held in
    // the old communes and both people, on the tablet and at the office.
    let on_tablet = a_luoi.store().report("20014", &year, today).unwrap();
    for r in [&on_tablet, &at_hub("20014", &year)] {
        assert_eq!(value(r, I::Sessions), Some(2.0));
        assert_eq!(value(r, I::PeopleManaged), Some(2.0));
    }
    // The province's 2025: two communes stand at its end, both counted;
    // A Lưới 1 reached through its old communes' sessions.
    let province = at_hub("46", &year);
    let reached = province.indicator(I::CommunesReached).unwrap();
    assert_eq!((reached.numerator, reached.denominator), (Some(1), Some(2)));
    let not_reached: Vec<_> = province
        .communes_not_reached
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(not_reached, ["19774"]);
    // Before the merger the old communes are reported as they were.
    let before = at_hub("46", &first_half);
    let reached = before.indicator(I::CommunesReached).unwrap();
    assert_eq!((reached.numerator, reached.denominator), (Some(2), Some(3)));
    assert_eq!(value(&at_hub("19996", &first_half), I::Sessions), Some(1.0));

    // Hồng Kim's old tablet learns of the merger: a session dated after it
    // belongs to A Lưới 1, and the officer is told so.
    hong_kim.sync(&hub);
    let refused = hong_kim.store().create_session(
        &session_in("19996", day(2025, 7, 5)),
        &hong_kim.author,
        today,
    );
    match refused {
        Err(CoreError::Invalid(errors)) => assert_eq!(
            errors[0].problem_text(pcmt_model::Lang::Vi),
            "Xã này đã sáp nhập vào Xã A Lưới 1 từ ngày 01/07/2025: chọn Xã A Lưới 1"
        ),
        other => panic!("expected the merger's refusal, got {other:?}"),
    }

    // A Lưới 1's officer visits Hồ Văn Sơn, a person of the old commune:
    // the hub takes the check-in and Hồng Kim's tablet receives it.
    a_luoi
        .store()
        .create_checkin(
            &fixtures::checkin(son, day(2026, 11, 20)),
            &a_luoi.author,
            today,
        )
        .unwrap();
    assert_eq!(a_luoi.sync(&hub).sent_records, 1);
    assert_eq!(hong_kim.sync(&hub).received_records, 1);
}
