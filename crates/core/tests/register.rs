//! The register, visits and surveys in the device store: search without
//! diacritics, who is due or overdue, coverage by surveys with no findings,
//! and rows rebuilt from documents equal to rows written on save.

use pcmt_core::{Author, CoreError, Store};
use pcmt_model::api::ListFilter;
use pcmt_model::fixtures::{self, day};
use pcmt_model::{CheckInInput, Field, Labelled, Lang, OrgTree, PersonInput, Problem, VisitState};

fn store() -> Store {
    Store::open_in_memory(OrgTree::demo()).unwrap()
}

fn officer() -> Author {
    Author {
        officer: "Nguyễn Văn Tâm".into(),
    }
}

fn today() -> chrono::NaiveDate {
    day(2026, 11, 24)
}

#[test]
fn people_are_found_with_or_without_diacritics_and_by_citizen_id() {
    let mut s = store();
    let a = s
        .create_person(&fixtures::person("Nguyễn Văn A"), &officer(), today())
        .unwrap();
    let b = PersonInput {
        citizen_id: Some("062099009999".into()),
        ..fixtures::person("Đinh Thị Bưởi")
    };
    let b = s.create_person(&b, &officer(), today()).unwrap();
    let ids = |q: &str| {
        s.search_people(q, 20, 0)
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("nguyen van a"), vec![a.id]);
    assert_eq!(ids("Nguyễn Văn A"), vec![a.id]);
    assert_eq!(ids("NGUYEN"), vec![a.id]);
    assert_eq!(ids("dinh thi buoi"), vec![b.id]);
    assert_eq!(ids("062099"), vec![b.id]);
    assert_eq!(ids("bưởi"), vec![b.id]);
    assert!(ids("tran").is_empty());
    assert_eq!(ids("").len(), 2, "an empty query lists the register");
}

#[test]
fn a_ten_digit_citizen_id_is_refused_naming_the_field_and_nothing_is_stored() {
    let mut s = store();
    let bad = PersonInput {
        citizen_id: Some("0620980012".into()),
        ..fixtures::person("Nguyễn Văn A")
    };
    let Err(CoreError::Invalid(errors)) = s.create_person(&bad, &officer(), today()) else {
        panic!("a 10-digit CCCD must be refused");
    };
    let cccd = errors
        .iter()
        .find(|e| e.field == Field::CitizenId)
        .expect("an error on the CCCD field");
    assert!(
        matches!(cccd.problem, Problem::NotTwelveDigits { .. }),
        "{cccd:?}"
    );
    let message = cccd.message(Lang::Vi);
    assert!(
        message.starts_with(Field::CitizenId.label(Lang::Vi)),
        "{message}"
    );
    assert!(s.search_people("", 10, 0).unwrap().is_empty());
}

#[test]
fn a_check_in_takes_a_person_off_the_overdue_list_and_a_missed_one_does_not() {
    let mut s = store();
    let p = s
        .create_person(&fixtures::person("Nguyễn Văn A"), &officer(), today())
        .unwrap();
    let due = s.due_visits(today(), 50).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].person.id, p.id);
    assert_eq!(
        due[0].state,
        VisitState::Overdue,
        "no visit since August 2025"
    );

    let missed = CheckInInput {
        attended: false,
        absence_reason: Some("Đi làm nương xa".into()),
        drug_test: None,
        ..fixtures::checkin(p.id, day(2026, 11, 20))
    };
    s.create_checkin(&missed, &officer(), today()).unwrap();
    assert_eq!(
        s.due_visits(today(), 50).unwrap()[0].state,
        VisitState::Overdue
    );

    s.create_checkin(
        &fixtures::checkin(p.id, day(2026, 11, 23)),
        &officer(),
        today(),
    )
    .unwrap();
    assert!(
        s.due_visits(today(), 50).unwrap().is_empty(),
        "seen yesterday, next due in 14 days"
    );
    assert_eq!(s.person(p.id).unwrap().due_on, Some(day(2026, 12, 7)));
    assert_eq!(s.checkins_of(p.id).unwrap().len(), 2);
    // Ten days before that, the reminder comes back.
    let later = s.due_visits(day(2026, 12, 5), 50).unwrap();
    assert_eq!(later[0].state, VisitState::DueSoon);
}

#[test]
fn a_check_in_for_an_unknown_person_or_before_management_is_refused() {
    let mut s = store();
    let unknown = fixtures::checkin(uuid::Uuid::now_v7(), day(2026, 11, 20));
    assert!(matches!(
        s.create_checkin(&unknown, &officer(), today()),
        Err(CoreError::NotFound(_))
    ));
    let p = s
        .create_person(&fixtures::person("Nguyễn Văn A"), &officer(), today())
        .unwrap();
    let too_early = fixtures::checkin(p.id, day(2024, 1, 1));
    assert!(matches!(
        s.create_checkin(&too_early, &officer(), today()),
        Err(CoreError::Invalid(_))
    ));
    assert!(s.checkins_of(p.id).unwrap().is_empty());
}

#[test]
fn surveys_with_and_without_findings_are_listed_with_their_area() {
    let mut s = store();
    let none = s
        .create_survey(&fixtures::survey_without_findings(), &officer(), today())
        .unwrap();
    assert_eq!((none.sites, none.plants), (0, 0));
    let found = s
        .create_survey(&fixtures::survey_with_site(), &officer(), today())
        .unwrap();
    assert_eq!((found.sites, found.plants), (1, 1200));
    assert!(
        (found.area_m2 - 10_000.0).abs() < 100.0,
        "area {}",
        found.area_m2
    );
    let feb = ListFilter {
        from: Some(day(2026, 2, 1)),
        until: Some(day(2026, 2, 28)),
        commune: Some(fixtures::COMMUNE.into()),
        ..ListFilter::default()
    };
    assert_eq!(s.list_surveys(&feb, 10, 0).unwrap().len(), 2);
    let other = ListFilter {
        commune: Some(fixtures::OTHER_COMMUNE.into()),
        ..feb
    };
    assert!(s.list_surveys(&other, 10, 0).unwrap().is_empty());
}

#[test]
fn rows_rebuilt_from_documents_equal_the_rows_written_on_save() {
    let mut s = store();
    let mut people = Vec::new();
    for name in ["Nguyễn Văn A", "Đinh Thị Bưởi", "A Lưu", "Y Hoa"] {
        people.push(
            s.create_person(&fixtures::person(name), &officer(), today())
                .unwrap()
                .id,
        );
    }
    s.create_checkin(
        &fixtures::checkin(people[0], day(2026, 11, 1)),
        &officer(),
        today(),
    )
    .unwrap();
    s.create_checkin(
        &fixtures::checkin(people[2], day(2026, 11, 20)),
        &officer(),
        today(),
    )
    .unwrap();
    s.create_survey(&fixtures::survey_without_findings(), &officer(), today())
        .unwrap();
    s.create_survey(&fixtures::survey_with_site(), &officer(), today())
        .unwrap();
    s.create_session(
        &fixtures::session("Trường THCS Đăk Pék"),
        &officer(),
        today(),
    )
    .unwrap();
    s.delete(people[3], &officer()).unwrap();

    let snapshot = |s: &Store| {
        (
            s.search_people("", 100, 0).unwrap(),
            s.due_visits(today(), 100).unwrap(),
            people
                .iter()
                .map(|p| s.checkins_of(*p).unwrap())
                .collect::<Vec<_>>(),
            s.list_surveys(&ListFilter::default(), 100, 0).unwrap(),
            s.list_sessions(&ListFilter::default(), 100, 0).unwrap(),
        )
    };
    let before = snapshot(&s);
    assert_eq!(before.0.len(), 3, "the deleted person is not listed");
    assert!(s.rebuild_projections().unwrap().is_empty());
    assert_eq!(snapshot(&s), before);
}
