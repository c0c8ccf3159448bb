//! A person moving to another commune, on the tablet (issue 20, item 2).

use super::*;
use crate::sync::MovedAway;
use pcmt_model::fixtures;
use pcmt_model::MoveInput;

const PEK: &str = "62-610-23284";
const CHOONG: &str = "62-610-23287";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A tablet of Đăk Pék holding one person and one visit.
fn pek_tablet() -> (Store, Uuid, Uuid) {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    s.set_enrolment(&Enrolment {
        token: "t".into(),
        communes: vec![PEK.into()],
        officer: "A Lưu".into(),
    })
    .unwrap();
    let person = s
        .create_person(&fixtures::person("A Lê Văn Hùng"), &author(), today())
        .unwrap()
        .id;
    let visit = s
        .create_checkin(
            &fixtures::checkin(person, d(2026, 4, 10)),
            &author(),
            today(),
        )
        .unwrap()
        .id;
    (s, person, visit)
}

/// The note of the person of [`pek_tablet`] moved to Đăk Choong on 1 June.
fn moved_on_1_june() -> Vec<(String, String, String, NaiveDate)> {
    vec![(
        "A Lê Văn Hùng".to_string(),
        PEK.to_string(),
        CHOONG.to_string(),
        d(2026, 6, 1),
    )]
}

fn the_note(s: &Store) -> Vec<(String, String, String, NaiveDate)> {
    s.moved_people()
        .unwrap()
        .into_iter()
        .map(|m| (m.full_name, m.from, m.to, m.on))
        .collect()
}

/// The officer moves the person: checked first (a day before management
/// began refused); then the file waits, under the commune it leaves, for
/// the push; once the hub holds it, the tablet keeps only the note: the
/// file, its visit and their rows are gone.
#[test]
fn a_move_made_here_leaves_a_note_once_the_hub_holds_it() {
    let (mut s, person, visit) = pek_tablet();
    let early = MoveInput {
        to: CHOONG.into(),
        on: d(2025, 1, 1),
    };
    assert!(matches!(
        s.move_person(person, &early, &author(), today()),
        Err(CoreError::Invalid(_))
    ));
    let to = MoveInput {
        to: CHOONG.into(),
        on: d(2026, 6, 1),
    };
    s.move_person(person, &to, &author(), today()).unwrap();
    let pending = s.pending_changes(None, 1 << 20).unwrap();
    let (dc, _) = pending
        .iter()
        .find(|(dc, _)| dc.id == person)
        .expect("the move waits to be sent");
    assert_eq!(dc.commune, PEK, "sent under the commune it leaves");
    assert!(the_note(&s).is_empty());
    let acked: Vec<(Uuid, Vec<automerge::ChangeHash>)> = pending
        .iter()
        .map(|(dc, heads)| (dc.id, heads.clone()))
        .collect();
    s.mark_pushed(&acked).unwrap();
    assert_eq!(the_note(&s), moved_on_1_june());
    assert!(matches!(s.person(person), Err(CoreError::NotFound(_))));
    assert!(matches!(s.checkin(visit), Err(CoreError::NotFound(_))));
    assert_eq!(s.unsynced_count().unwrap(), 0);
    assert_eq!(
        s.moved_person(person)
            .unwrap()
            .unwrap()
            .text(pcmt_model::Lang::Vi),
        "Người này đã chuyển đến Xã Đăk Choong từ ngày 01/06/2026: hồ sơ do xã Đăk Choong quản lý"
    );
}

/// Another tablet of Đăk Pék pulls the move (made by a colleague or the
/// office): the file becomes the note. One refused by the hub for a file
/// that moved (its edit unsent) becomes the note too, and its other unsent
/// records stay to be sent.
#[test]
fn a_pulled_or_refused_move_leaves_the_note_and_the_rest_unsent() {
    let (mut s, person, _) = pek_tablet();
    let mut doc = record_doc::load(
        &s.conn
            .query_row(
                "SELECT bytes FROM documents WHERE id = ?1",
                [person.to_string()],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .unwrap(),
    )
    .unwrap();
    let all = s.pending_changes(None, 1 << 20).unwrap();
    s.mark_pushed(
        &all.iter()
            .map(|(dc, h)| (dc.id, h.clone()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let heads = doc.get_heads();
    let mut office = doc.fork();
    record_doc::moves::move_to(
        &mut office,
        &pcmt_model::Move {
            id: Uuid::nil(),
            from: PEK.into(),
            to: CHOONG.into(),
            on: d(2026, 6, 1),
            by: "Văn phòng: admin".into(),
        },
        &record_doc::ChangeNote {
            officer: "Văn phòng: admin".into(),
        },
        1,
    )
    .unwrap();
    let the_move = crate::sync::wire::DocChanges::since(
        person,
        pcmt_model::RecordKind::Person,
        CHOONG,
        &mut office,
        &heads,
    );
    s.apply_remote(&[the_move], 9).unwrap();
    assert_eq!(the_note(&s).len(), 1);
    assert!(matches!(s.person(person), Err(CoreError::NotFound(_))));

    // The refusal's way.
    let (mut s, person, _) = pek_tablet();
    let other = s
        .create_session(&input("Trường THCS Đăk Pék"), &author(), today())
        .unwrap()
        .id;
    s.note_refused_move(&MovedAway {
        id: person,
        to: CHOONG.into(),
        to_name: "Xã Đăk Choong".into(),
        on: d(2026, 6, 1),
    })
    .unwrap();
    assert_eq!(the_note(&s), moved_on_1_june());
    let left: Vec<Uuid> = s
        .pending_changes(None, 1 << 20)
        .unwrap()
        .into_iter()
        .map(|(dc, _)| dc.id)
        .collect();
    assert_eq!(left, vec![other], "the other record is still to be sent");
}

/// The person form changes no commune: that is a move.
#[test]
fn an_edit_cannot_change_a_persons_commune() {
    let (mut s, person, _) = pek_tablet();
    let mut file = s.person_file(person).unwrap();
    file.commune = CHOONG.into();
    file.village = None;
    let refused = s.update_person(person, &file, &author(), today());
    assert!(
        matches!(&refused, Err(CoreError::Invalid(errors)) if errors[0].field == pcmt_model::Field::Commune),
        "{refused:?}"
    );
}
