//! A person moving to another commune of the district (issue 20, item 2),
//! on both stores: the file goes to the new commune with its history and
//! check-ins, the old commune is told only where and when, and its tablets
//! can change the file no more.

use super::{enrolled, push_from};
use crate::error::HubError;
use crate::rules::audit::Action;
use crate::storage::HubStorage;
use automerge::{ActorId, AutoCommit, ChangeHash};
use chrono::NaiveDate;
use pcmt_core::record_doc::{self, moves, ChangeNote};
use pcmt_core::sync::wire::{DocChanges, PullRequest, PullResponse};
use pcmt_model::fixtures;
use pcmt_model::report::{IndicatorCode as I, Period};
use pcmt_model::{CheckInInput, Move, PersonInput, RecordKind};
use uuid::Uuid;

on_both_stores!(
    a_person_moves_with_every_checkin_and_the_old_commune_keeps_only_the_move,
    a_commune_changes_only_by_a_move_its_old_tablets_may_make,
    reports_count_a_person_who_moved_in_each_commune_for_the_days_they_lived_there,
    the_office_moves_a_file_within_its_unit_and_the_new_communes_tablets_receive_it,
);

const PEK: &str = "62-610-23284";
const CHOONG: &str = "62-610-23287";
const XOP: &str = "62-610-23290";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn note() -> ChangeNote {
    ChangeNote {
        officer: "Cán bộ Pék".into(),
    }
}

fn made<R: record_doc::Record>(id: Uuid, commune: &str, r: &R) -> AutoCommit {
    record_doc::new_record(id, commune, r, ActorId::random(), &note(), 0).unwrap()
}

fn changes(
    kind: RecordKind,
    id: Uuid,
    commune: &str,
    doc: &mut AutoCommit,
    heads: &[ChangeHash],
) -> DocChanges {
    DocChanges::since(id, kind, commune, doc, heads)
}

fn moved(to: &str, on: NaiveDate) -> Move {
    Move {
        id: Uuid::nil(),
        from: PEK.into(),
        to: to.into(),
        on,
        by: "Cán bộ Pék".into(),
    }
}

/// Pék's tablet `pek` moves `person` (its document `doc`) to Đăk Choong on
/// `on` and pushes the move; the push, to send again.
fn move_from_pek(
    hub: &dyn HubStorage,
    pek: &crate::rules::devices::Scope,
    person: Uuid,
    doc: &mut AutoCommit,
    on: NaiveDate,
) -> pcmt_core::sync::wire::PushRequest {
    let heads = doc.get_heads();
    moves::move_to(doc, &moved(CHOONG, on), &note(), 10).unwrap();
    let the_move = push_from(
        pek,
        vec![changes(RecordKind::Person, person, PEK, doc, &heads)],
    );
    hub.push(pek, &the_move).unwrap();
    the_move
}

/// What a tablet of `communes` (another device) pulls from `cursor`, in
/// one batch, as sent: changes only (protocol 1).
fn pull_answer(hub: &dyn HubStorage, communes: &[&str], cursor: u64) -> PullResponse {
    let scope = crate::rules::devices::Scope {
        device: Uuid::from_u128(77),
        communes: communes.iter().map(|c| c.to_string()).collect(),
        office: None,
    };
    let answer = hub
        .pull(
            &scope,
            &PullRequest {
                protocol: 1,
                device: scope.device,
                communes: scope.communes.clone(),
                cursor,
                max_bytes: 1 << 22,
            },
        )
        .unwrap();
    assert!(!answer.more);
    answer
}

/// Each change of a pull's answer.
fn changes_of(answer: &PullResponse) -> Vec<automerge::Change> {
    answer
        .docs
        .iter()
        .flat_map(|dc| &dc.changes)
        .map(|b| automerge::Change::from_bytes(b.clone()).unwrap())
        .collect()
}

/// Everything a tablet of `communes` pulls from `cursor`: the documents
/// rebuilt from their changes, and the cursor reached.
fn pulled(hub: &dyn HubStorage, communes: &[&str], cursor: u64) -> (Vec<(Uuid, AutoCommit)>, u64) {
    let answer = pull_answer(hub, communes, cursor);
    let mut docs: Vec<(Uuid, AutoCommit)> = Vec::new();
    for dc in &answer.docs {
        let changes: Vec<automerge::Change> = dc
            .changes
            .iter()
            .map(|b| automerge::Change::from_bytes(b.clone()).unwrap())
            .collect();
        match docs.iter_mut().find(|(id, _)| *id == dc.id) {
            Some((_, doc)) => doc.apply_changes(changes).unwrap(),
            None => {
                let mut doc = AutoCommit::new();
                doc.apply_changes(changes).unwrap();
                docs.push((dc.id, doc));
            }
        }
    }
    (docs, answer.cursor)
}

/// Đăk Pék's tablet holds a person and two visits; Đăk Choong's tablet has
/// pulled everything there was. The person moves to Đăk Choong on 1 June:
/// Choong's tablet, pulling on from its cursor, receives the whole file
/// and both visits; Pék's receives the move alone (where and when: the
/// commune, the cleared village, the move), nothing else; the log names
/// the move for both communes. Sent again, the move adds nothing.
fn a_person_moves_with_every_checkin_and_the_old_commune_keeps_only_the_move(hub: &dyn HubStorage) {
    let pek = enrolled(hub, &[PEK], "Cán bộ Pék");
    let person = Uuid::now_v7();
    let mut doc = made(person, PEK, &fixtures::person("A Lê Văn Hùng"));
    let visits: Vec<(Uuid, AutoCommit)> = [d(2026, 1, 10), d(2026, 4, 10)]
        .into_iter()
        .map(|day| {
            let id = Uuid::now_v7();
            (id, made(id, PEK, &fixtures::checkin(person, day)))
        })
        .collect();
    let mut first = vec![changes(RecordKind::Person, person, PEK, &mut doc, &[])];
    for (id, v) in &visits {
        first.push(changes(RecordKind::CheckIn, *id, PEK, &mut v.clone(), &[]));
    }
    hub.push(&pek, &push_from(&pek, first)).unwrap();
    let (choong_before, choong_cursor) = pulled(hub, &[CHOONG], 0);
    assert!(choong_before.is_empty());
    let (_, pek_cursor) = pulled(hub, &[PEK], 0);

    let mut pek_copy = doc.fork();
    let the_move = move_from_pek(hub, &pek, person, &mut doc, d(2026, 6, 1));

    let (got, end) = pulled(hub, &[CHOONG], choong_cursor);
    assert_eq!(got.len(), 3, "the person and both visits");
    let (_, file) = got.iter().find(|(id, _)| *id == person).unwrap();
    let read: PersonInput = record_doc::read_record(file).unwrap();
    assert_eq!(
        (read.commune.as_str(), read.full_name.as_str()),
        (CHOONG, "A Lê Văn Hùng")
    );
    assert_eq!(read.statuses.len(), 2, "the status history came along");
    assert_eq!(moves::moves(file).unwrap()[0].on, d(2026, 6, 1));
    for (id, _) in &visits {
        let (_, v) = got.iter().find(|(g, _)| g == id).unwrap();
        let c: CheckInInput = record_doc::read_record(v).unwrap();
        assert_eq!(c.person, person);
    }

    let (told, _) = pulled(hub, &[PEK], pek_cursor);
    assert_eq!(told.len(), 1, "the move only");
    let (id, mut note_doc) = told.into_iter().next().unwrap();
    assert_eq!(id, person);
    let the_change = note_doc.get_changes(&[]).len();
    assert_eq!(the_change, 0, "alone, it waits for what it builds on");
    // What the tablet of Pék received, applied to what it held.
    pek_copy
        .apply_changes(changes_of(&pull_answer(hub, &[PEK], pek_cursor)))
        .unwrap();
    assert_eq!(record_doc::read_header(&pek_copy).unwrap().commune, CHOONG);
    assert_eq!(
        pek_copy.get_heads(),
        doc.get_heads(),
        "one change: nothing else of the file"
    );

    let log = super::district_log(hub);
    let entry = log
        .iter()
        .find(|e| e.entry.action == Action::RecordMoved)
        .expect("the move is logged");
    assert_eq!(entry.entry.record, Some(person));
    assert!(
        entry.entry.scope.contains(&PEK.to_string())
            && entry.entry.scope.contains(&CHOONG.to_string())
    );

    // Again: nothing new anywhere.
    hub.push(&pek, &the_move).unwrap();
    let (again, _) = pulled(hub, &[CHOONG, PEK], end);
    assert!(again.is_empty(), "a move sent twice files nothing twice");
}

/// After the move, Pék's tablet is refused any change to the file and any
/// new visit after the move's day, told where and when; a visit it made
/// before the move (sent late) still counts. A tablet of a third commune
/// learns nothing; a change rewriting the commune without a move, or a
/// move by a tablet not of the commune left, is refused.
fn a_commune_changes_only_by_a_move_its_old_tablets_may_make(hub: &dyn HubStorage) {
    use automerge::transaction::Transactable;
    let pek = enrolled(hub, &[PEK], "Cán bộ Pék");
    let xop = enrolled(hub, &[XOP], "Cán bộ Xốp");
    let person = Uuid::now_v7();
    let mut doc = made(person, PEK, &fixtures::person("A Lê Văn Hùng"));
    hub.push(
        &pek,
        &push_from(
            &pek,
            vec![changes(RecordKind::Person, person, PEK, &mut doc, &[])],
        ),
    )
    .unwrap();

    // A commune rewritten by hand is no move.
    let heads = doc.get_heads();
    let mut forged = doc.fork();
    forged.put(automerge::ROOT, "commune", CHOONG).unwrap();
    forged.commit();
    let refused = hub.push(
        &pek,
        &push_from(
            &pek,
            vec![changes(
                RecordKind::Person,
                person,
                PEK,
                &mut forged,
                &heads,
            )],
        ),
    );
    assert!(
        matches!(refused, Err(HubError::Rejected { .. })),
        "{refused:?}"
    );
    // A tablet of another commune moves nothing it does not hold.
    let mut theirs = doc.fork();
    moves::move_to(&mut theirs, &moved(XOP, d(2026, 6, 1)), &note(), 5).unwrap();
    let refused = hub.push(
        &xop,
        &push_from(
            &xop,
            vec![changes(
                RecordKind::Person,
                person,
                XOP,
                &mut theirs,
                &heads,
            )],
        ),
    );
    assert!(
        matches!(refused, Err(HubError::Forbidden(_))),
        "{refused:?}"
    );

    let mut stale = doc.fork();
    move_from_pek(hub, &pek, person, &mut doc, d(2026, 6, 1));

    // Pék's tablet, not yet told, edits the file: refused with where and when.
    stale.put(automerge::ROOT, "phone", "0912345678").unwrap();
    stale.commit();
    let refused = hub.push(
        &pek,
        &push_from(
            &pek,
            vec![changes(RecordKind::Person, person, PEK, &mut stale, &heads)],
        ),
    );
    match refused {
        Err(HubError::Moved(m)) => {
            assert_eq!(
                (m.id, m.to.as_str(), m.to_name.as_str(), m.on),
                (person, CHOONG, "Xã Đăk Choong", d(2026, 6, 1))
            );
        }
        other => panic!("{other:?}"),
    }
    // A visit after the move: refused the same way; one before it: kept.
    let visit = |day| {
        let id = Uuid::now_v7();
        let mut v = made(id, PEK, &fixtures::checkin(person, day));
        push_from(
            &pek,
            vec![changes(RecordKind::CheckIn, id, PEK, &mut v, &[])],
        )
    };
    assert!(matches!(
        hub.push(&pek, &visit(d(2026, 6, 2))),
        Err(HubError::Moved(_))
    ));
    hub.push(&pek, &visit(d(2026, 5, 30))).unwrap();
    // A third commune's tablet is told nothing of where it went.
    let mut other = stale.fork();
    other.put(automerge::ROOT, "phone", "0987654321").unwrap();
    other.commit();
    let refused = hub.push(
        &xop,
        &push_from(
            &xop,
            vec![changes(RecordKind::Person, person, XOP, &mut other, &heads)],
        ),
    );
    assert!(
        matches!(refused, Err(HubError::Forbidden(_))),
        "{refused:?}"
    );
}

/// (people managed, positive tests) of `unit` for `period`.
fn figures(hub: &dyn HubStorage, unit: &str, period: &Period) -> (f64, f64) {
    let (units, rules) = (hub.units(), hub.rules());
    let today = d(2026, 11, 25);
    let r = crate::storage::with_rows(hub, |rows| {
        pcmt_core::report::compute(rows, &units, &rules, unit, period, today)
    })
    .unwrap()
    .unwrap();
    let value = |code| r.indicator(code).and_then(|i| i.value).unwrap_or(0.0);
    (value(I::PeopleManaged), value(I::PositiveTests))
}

/// A person of Đăk Pék (managed since 2025) with positive tests on 10
/// March and 10 April moves to Đăk Choong on 15 June, where a visit on 20
/// June finds another. Worked by hand: the first half of 2026 counts the
/// person managed in Pék (up to 14 June) with 2 positive tests, and in
/// Choong (from 15 June) with 1; the district counts one person and 3
/// tests; March is Pék's alone, July Choong's alone.
fn reports_count_a_person_who_moved_in_each_commune_for_the_days_they_lived_there(
    hub: &dyn HubStorage,
) {
    use pcmt_model::{DrugTest, TestKind, TestResult};
    let pek = enrolled(hub, &[PEK], "Cán bộ Pék");
    let choong = enrolled(hub, &[CHOONG], "Cán bộ Choong");
    let person = Uuid::now_v7();
    let mut doc = made(person, PEK, &fixtures::person("A Lê Văn Hùng"));
    let positive = |day: NaiveDate, commune: &str| {
        let mut c = fixtures::checkin(person, day);
        c.drug_test = Some(DrugTest {
            kind: TestKind::UrineQuick,
            result: TestResult::Positive,
            substances: vec![],
        });
        let id = Uuid::now_v7();
        changes(
            RecordKind::CheckIn,
            id,
            commune,
            &mut made(id, commune, &c),
            &[],
        )
    };
    hub.push(
        &pek,
        &push_from(
            &pek,
            vec![
                changes(RecordKind::Person, person, PEK, &mut doc, &[]),
                positive(d(2026, 3, 10), PEK),
                positive(d(2026, 4, 10), PEK),
            ],
        ),
    )
    .unwrap();
    let (march, h1, july) = (
        Period::month(2026, 3).unwrap(),
        Period::half_year(2026, 1).unwrap(),
        Period::month(2026, 7).unwrap(),
    );
    assert_eq!(figures(hub, CHOONG, &march), (0.0, 0.0));
    move_from_pek(hub, &pek, person, &mut doc, d(2026, 6, 15));
    hub.push(
        &choong,
        &push_from(&choong, vec![positive(d(2026, 6, 20), CHOONG)]),
    )
    .unwrap();

    assert_eq!(figures(hub, PEK, &h1), (1.0, 2.0));
    assert_eq!(figures(hub, CHOONG, &h1), (1.0, 1.0));
    assert_eq!(figures(hub, "62-610", &h1), (1.0, 3.0));
    assert_eq!(figures(hub, PEK, &march), (1.0, 1.0));
    assert_eq!(figures(hub, CHOONG, &march), (0.0, 0.0));
    assert_eq!(figures(hub, PEK, &july), (0.0, 0.0));
    assert_eq!(figures(hub, CHOONG, &july), (1.0, 0.0));
}

/// An administrator of the district moves a file of Đăk Pék to Đăk Choong
/// from the office: Choong's tablets receive the file with its visit, the
/// log names the staff member, the file's history the office. A day in
/// the future is refused with the field's words; a commune staff member
/// moves nothing outside their unit.
fn the_office_moves_a_file_within_its_unit_and_the_new_communes_tablets_receive_it(
    hub: &dyn HubStorage,
) {
    use crate::rules::audit::Actor;
    use crate::rules::protocol::OfficeWrite;
    use pcmt_model::{Field, MoveInput, Problem};
    let pek = enrolled(hub, &[PEK], "Cán bộ Pék");
    let person = Uuid::now_v7();
    let visit = Uuid::now_v7();
    let mut doc = made(person, PEK, &fixtures::person("A Lê Văn Hùng"));
    let mut v = made(visit, PEK, &fixtures::checkin(person, d(2026, 4, 10)));
    hub.push(
        &pek,
        &push_from(
            &pek,
            vec![
                changes(RecordKind::Person, person, PEK, &mut doc, &[]),
                changes(RecordKind::CheckIn, visit, PEK, &mut v, &[]),
            ],
        ),
    )
    .unwrap();
    let (_, cursor) = pulled(hub, &[CHOONG], 0);
    let district: Vec<String> = hub
        .units()
        .units_within("62-610", pcmt_model::OrgLevel::Commune)
        .map(|c| c.code.clone())
        .collect();
    let by = Actor::staff("admin.huyen");
    let office = OfficeWrite {
        communes: &district,
        by: &by,
        new_only: false,
    };
    let today = d(2026, 11, 25);
    let future = MoveInput {
        to: CHOONG.into(),
        on: d(2026, 12, 1),
    };
    let refused = hub
        .move_as_office(person, &future, &office, "admin.huyen", today)
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (refused[0].field, &refused[0].problem),
        (Field::MoveOn, &Problem::InFuture)
    );
    let only_xop = [XOP.to_string()];
    let commune_staff = OfficeWrite {
        communes: &only_xop,
        by: &by,
        new_only: false,
    };
    let to = MoveInput {
        to: CHOONG.into(),
        on: d(2026, 6, 1),
    };
    assert!(matches!(
        hub.move_as_office(person, &to, &commune_staff, "admin.xop", today),
        Err(HubError::Forbidden(_))
    ));
    hub.move_as_office(person, &to, &office, "admin.huyen", today)
        .unwrap()
        .unwrap();

    let (got, _) = pulled(hub, &[CHOONG], cursor);
    assert_eq!(got.len(), 2, "the file and its visit");
    let (_, file) = got.iter().find(|(id, _)| *id == person).unwrap();
    let m = &moves::moves(file).unwrap()[0];
    assert_eq!(
        (m.from.as_str(), m.to.as_str(), m.by.as_str()),
        (PEK, CHOONG, "Văn phòng: admin.huyen")
    );
    let log = super::district_log(hub);
    let entry = log
        .iter()
        .find(|e| e.entry.action == Action::RecordMoved)
        .expect("logged");
    assert_eq!(entry.entry.actor, by);
}
