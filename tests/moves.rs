//! A person moving to another commune of the district (issue 20, item 2),
//! with a tablet on each side, over HTTP, on both hubs: the new commune's
//! tablet receives the whole file with the visits made before the move;
//! the old commune's tablets keep a read-only note, and one that had not
//! heard of the move is refused in the officer's words and keeps its other
//! unsent records; reports split the person's figures by dates.

use pcmt_core::sync::SyncError;
use pcmt_core::CoreError;
use pcmt_hub::storage::with_rows;
use pcmt_model::fixtures::{self, day};
use pcmt_model::report::{IndicatorCode as I, Period};
use pcmt_model::{DrugTest, Lang, MoveInput, TestKind, TestResult};
use sotay_pcmt::{on_both_hubs, TestDevice, TestHub};

on_both_hubs!(
    a_file_moves_to_the_new_communes_tablet_and_the_old_ones_keep_a_note,
    the_office_moves_a_file_from_the_dashboard
);

mod common;

const PEK: &str = "62-610-23284";
const CHOONG: &str = "62-610-23287";
const XOP: &str = "62-610-23290";

fn positive(person: uuid::Uuid, date: chrono::NaiveDate) -> pcmt_model::CheckInInput {
    pcmt_model::CheckInInput {
        drug_test: Some(DrugTest {
            kind: TestKind::UrineQuick,
            result: TestResult::Positive,
            substances: vec![pcmt_model::Substance::Methamphetamine],
        }),
        ..fixtures::checkin(person, date)
    }
}

/// (people managed, positive tests) of `unit` in the first half of 2026,
/// at the hub.
fn at_hub(hub: &TestHub, unit: &str) -> (f64, f64) {
    let (units, rules) = (hub.storage.units(), hub.storage.rules());
    let half = Period::half_year(2026, 1).unwrap();
    let r = with_rows(&*hub.storage, |rows| {
        pcmt_core::report::compute(rows, &units, &rules, unit, &half, day(2026, 11, 25))
    })
    .unwrap()
    .unwrap();
    let v = |code| r.indicator(code).and_then(|i| i.value).unwrap_or(0.0);
    (v(I::PeopleManaged), v(I::PositiveTests))
}

fn a_file_moves_to_the_new_communes_tablet_and_the_old_ones_keep_a_note(hub: TestHub) {
    let today = day(2026, 11, 25);
    let pek = TestDevice::new("Công an xã Đăk Pék — A Lưu");
    let pek2 = TestDevice::new("Đoàn thanh niên Đăk Pék — Y Hoa");
    let choong = TestDevice::new("Công an xã Đăk Choong — A Tuấn");
    pek.enrol(&hub, &[PEK]);
    pek2.enrol(&hub, &[PEK]);
    choong.enrol(&hub, &[CHOONG]);

    let person = pek
        .store()
        .create_person(&fixtures::person("A Lê Văn Hùng"), &pek.author, today)
        .unwrap()
        .id;
    for date in [day(2026, 3, 10), day(2026, 4, 10)] {
        pek.store()
            .create_checkin(&positive(person, date), &pek.author, today)
            .unwrap();
    }
    pek.sync(&hub);
    pek2.sync(&hub);
    assert!(pek2.store().person(person).is_ok());

    // Đăk Pék's second tablet edits the file and records a session,
    // not yet sent, while the first moves the person to Đăk Choong.
    let mut file = pek2.store().person_file(person).unwrap();
    file.phone = Some("0912345678".into());
    pek2.store()
        .update_person(person, &file, &pek2.author, today)
        .unwrap();
    let session = pek2
        .store()
        .create_session(
            &fixtures::session("Trường THCS Đăk Pék"),
            &pek2.author,
            today,
        )
        .unwrap()
        .id;
    let to = MoveInput {
        to: CHOONG.into(),
        on: day(2026, 6, 15),
    };
    pek.store()
        .move_person(person, &to, &pek.author, today)
        .unwrap();
    pek.sync(&hub);
    let note =
        "Người này đã chuyển đến Xã Đăk Choong từ ngày 15/06/2026: hồ sơ do xã Đăk Choong quản lý";
    {
        let store = pek.store();
        let moved = store.moved_person(person).unwrap().expect("the note");
        assert_eq!(moved.text(Lang::Vi), note);
        assert!(store.person(person).is_err(), "the file is gone");
        assert!(store.checkins_of(person).unwrap().is_empty());
    }

    // Đăk Choong's tablet receives the whole file and both visits.
    choong.sync(&hub);
    {
        let store = choong.store();
        let file = store.person_file(person).unwrap();
        assert_eq!(
            (file.commune.as_str(), file.full_name.as_str()),
            (CHOONG, "A Lê Văn Hùng")
        );
        assert_eq!(file.statuses.len(), 2);
        assert_eq!(store.checkins_of(person).unwrap().len(), 2);
    }
    choong
        .store()
        .create_checkin(&positive(person, day(2026, 6, 20)), &choong.author, today)
        .unwrap();
    choong.sync(&hub);

    // The second tablet of Đăk Pék is refused, in the officer's words.
    let refused = pek2.try_sync(&hub);
    match &refused {
        Err(e @ CoreError::Sync(SyncError::Moved(_))) => {
            assert_eq!(e.user_message(Lang::Vi), note);
        }
        other => panic!("{other:?}"),
    }
    {
        let store = pek2.store();
        assert_eq!(
            store.moved_person(person).unwrap().unwrap().text(Lang::Vi),
            note
        );
        assert!(store.person(person).is_err());
        assert_eq!(store.unsynced_count().unwrap(), 1, "the session waits");
    }
    let report = pek2.sync(&hub);
    assert_eq!(report.sent_records, 1);
    assert!(pek2.store().session(session).is_ok());

    // Worked by hand: Pék counts the person up to 14 June with the two
    // positive tests made there, Choong from 15 June with its one, the
    // district one person and three tests.
    assert_eq!(at_hub(&hub, PEK), (1.0, 2.0));
    assert_eq!(at_hub(&hub, CHOONG), (1.0, 1.0));
    assert_eq!(at_hub(&hub, "62-610"), (1.0, 3.0));
    // Choong's tablet counts the same for its commune.
    let half = Period::half_year(2026, 1).unwrap();
    let r = choong.store().report(CHOONG, &half, today).unwrap();
    let v = |code| r.indicator(code).and_then(|i| i.value).unwrap_or(0.0);
    assert_eq!((v(I::PeopleManaged), v(I::PositiveTests)), (1.0, 1.0));
}

/// The district's administrator moves a file of Đăk Pék to Xốp from the
/// dashboard, by its CCCD: a day in the future is refused on the form in
/// Vietnamese; then Xốp's tablet receives the file, Pék's keeps the note.
fn the_office_moves_a_file_from_the_dashboard(hub: TestHub) {
    use common::{encode, field, Office};
    use pcmt_hub::staff::{add_staff, Role};
    add_staff(
        &*hub.storage,
        "quantri",
        common::PASSWORD,
        "62-610",
        Role::Admin,
    )
    .unwrap();
    let today = day(2026, 11, 25);
    let pek = TestDevice::new("Công an xã Đăk Pék — A Lưu");
    let xop = TestDevice::new("Công an xã Xốp — A Hòa");
    pek.enrol(&hub, &[PEK]);
    xop.enrol(&hub, &[XOP]);
    let mut file = fixtures::person("Y Thị Mai");
    file.citizen_id = Some("062098555001".into());
    let person = pek
        .store()
        .create_person(&file, &pek.author, today)
        .unwrap()
        .id;
    pek.sync(&hub);

    let office = Office::sign_in(&hub, "quantri");
    let page = office.get("/dashboard/admin/move");
    assert!(page.contains("Chuyển nơi cư trú"), "{page}");
    let csrf = field(&page, "csrf");
    let post = |on: &str| {
        office.post_form(
            "/dashboard/admin/move",
            &format!(
                "csrf={csrf}&lang=vi&citizen_id=062098555001&to={XOP}&on={}",
                encode(on)
            ),
        )
    };
    let refused = post("01/12/2099");
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .unwrap()
        .contains("Không được sau ngày hôm nay"));
    let done = post("01/09/2026");
    assert_eq!(done.status(), 303);
    let to = done.headers()["location"].to_str().unwrap().to_string();
    assert!(office.get(&to).contains("Đã chuyển hồ sơ đến Xã Xốp"));

    xop.sync(&hub);
    assert_eq!(xop.store().person_file(person).unwrap().commune, XOP);
    pek.sync(&hub);
    let store = pek.store();
    assert_eq!(
        store.moved_person(person).unwrap().unwrap().text(Lang::Vi),
        "Người này đã chuyển đến Xã Xốp từ ngày 01/09/2026: hồ sơ do xã Xốp quản lý"
    );
    assert!(store.person(person).is_err());
}
