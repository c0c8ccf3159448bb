//! Officers' free text (notes, a hot spot's description) is Automerge
//! text: an edit travels as the stretch it changed, and two officers adding
//! to one note both keep their words.

use super::*;
use automerge::ObjType;
use pcmt_model::fixtures;

const NOTE: &str = "Buổi tuyên truyền tổ chức tại nhà văn hóa thôn, có đại diện \
    Đoàn thanh niên và Hội phụ nữ xã tham dự. Cán bộ công an xã giới thiệu các \
    loại ma túy tổng hợp mới, cách nhận biết ma túy trá hình trong kẹo, nước \
    uống và thuốc lá điện tử. Nhiều hộ gia đình đặt câu hỏi về thủ tục cai \
    nghiện tự nguyện tại gia đình và cộng đồng.";

fn note(officer: &str) -> ChangeNote {
    ChangeNote {
        officer: officer.into(),
    }
}

fn session(notes: &str) -> SessionInput {
    let mut s = fixtures::session("Nhà văn hóa thôn Đăk Ung");
    s.details.notes = notes.into();
    s
}

fn with_note() -> AutoCommit {
    new_record(
        Uuid::now_v7(),
        fixtures::COMMUNE,
        &session(NOTE),
        ActorId::random(),
        &note("A"),
        1,
    )
    .unwrap()
}

/// The bytes of the changes `doc` made since `heads`, as they travel.
fn edit_bytes(doc: &mut AutoCommit, heads: &[automerge::ChangeHash]) -> usize {
    doc.get_changes(heads)
        .iter()
        .map(|c| c.raw_bytes().len())
        .sum()
}

fn notes_of(doc: &AutoCommit) -> String {
    read_record::<SessionInput>(doc).unwrap().details.notes
}

fn is_text_object(doc: &AutoCommit) -> bool {
    matches!(
        doc.get(ROOT, "notes").unwrap(),
        Some((Value::Object(ObjType::Text), _))
    )
}

#[test]
fn a_sentence_added_to_a_note_travels_alone() {
    let mut doc = with_note();
    assert!(is_text_object(&doc), "a new record's note is text");
    let heads = doc.get_heads();
    let added = " Bổ sung: thêm 1 người tham dự.";
    update_record(&mut doc, &session(&format!("{NOTE}{added}")), &note("A"), 2).unwrap();
    assert_eq!(notes_of(&doc), format!("{NOTE}{added}"));
    let bytes = edit_bytes(&mut doc, &heads);
    // The change's header (hashes, actor, message) and the added words:
    // far less than the note written again (about 430 bytes of text).
    assert!(
        bytes < NOTE.len() / 2,
        "an edit of {bytes} bytes for {} bytes added to a note of {}",
        added.len(),
        NOTE.len()
    );
}

#[test]
fn two_officers_adding_to_one_note_both_keep_their_words() {
    let mut doc = with_note();
    let mut a = doc.fork().with_actor(ActorId::random());
    let mut b = doc.fork().with_actor(ActorId::random());
    let first = "Đầu buổi có chiếu phim tư liệu.";
    let last = "Cuối buổi phát 50 tờ rơi.";
    update_record(&mut a, &session(&format!("{first} {NOTE}")), &note("A"), 2).unwrap();
    update_record(&mut b, &session(&format!("{NOTE} {last}")), &note("B"), 2).unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(notes_of(&a), format!("{first} {NOTE} {last}"));
    assert!(conflicts(&a).is_empty(), "{:?}", conflicts(&a));
}

/// Decided: within a note, text merges and never conflicts. Two officers
/// correcting the same word both keep their correction, side by side, for
/// the next reader to settle by editing the note; no word is lost, and no
/// conflict asks the officer to throw one of the two notes away.
#[test]
fn two_corrections_of_one_word_are_both_kept_and_no_conflict_is_shown() {
    let mut doc = new_record(
        Uuid::now_v7(),
        fixtures::COMMUNE,
        &session("Có 30 hộ tham dự."),
        ActorId::random(),
        &note("A"),
        1,
    )
    .unwrap();
    let mut a = doc.fork().with_actor(ActorId::random());
    let mut b = doc.fork().with_actor(ActorId::random());
    update_record(&mut a, &session("Có 35 hộ tham dự."), &note("A"), 2).unwrap();
    update_record(&mut b, &session("Có 40 hộ tham dự."), &note("B"), 2).unwrap();
    a.merge(&mut b).unwrap();
    let merged = notes_of(&a);
    assert!(
        merged.contains('5') && merged.contains('4') && !merged.contains("30"),
        "{merged}"
    );
    assert!(conflicts(&a).is_empty());
}

/// A document an older version wrote holds its note as a string: it reads
/// as before, an edit of another field leaves it a string, and the first
/// change of the note makes it text (the whole note once); from then on
/// edits are diffs.
#[test]
fn a_note_stored_as_a_string_reads_and_becomes_text_at_its_first_change() {
    let mut doc = with_note();
    doc.put(ROOT, "notes", ScalarValue::Str(NOTE.into()))
        .unwrap();
    doc.commit();
    assert_eq!(notes_of(&doc), NOTE);
    let mut other_field = session(NOTE);
    other_field.attendees += 1;
    assert!(update_record(&mut doc, &other_field, &note("A"), 2).unwrap());
    assert!(!is_text_object(&doc), "an unchanged note is not rewritten");

    let longer = format!("{NOTE} Bổ sung.");
    let mut input = other_field.clone();
    input.details.notes = longer.clone();
    update_record(&mut doc, &input, &note("A"), 3).unwrap();
    assert!(is_text_object(&doc));
    assert_eq!(notes_of(&doc), longer);

    let heads = doc.get_heads();
    input.details.notes = format!("{longer} Thêm.");
    update_record(&mut doc, &input, &note("A"), 4).unwrap();
    assert!(edit_bytes(&mut doc, &heads) < NOTE.len() / 2);
}

/// An older app (before text notes) reads a text note as a string and
/// writes a changed one as a string at the field, superseding the text
/// object it saw. Settling a conflict makes the note text again. The cost
/// of keeping the schema (so older apps still read every record, rather
/// than keeping text-note records out of their lists as a newer schema):
/// a sentence a newer app added to the note at the same time, inside the
/// text object, goes with it, where two strings would have been a
/// conflict. Only an edit of one note on both sides between two syncs
/// with two versions of the app does that; updating the tablets ends it.
#[test]
fn an_older_apps_string_supersedes_the_text_note_it_saw() {
    let mut doc = with_note();
    let mut new_app = doc.fork().with_actor(ActorId::random());
    let mut old_app = doc.fork().with_actor(ActorId::random());
    update_record(
        &mut new_app,
        &session(&format!("{NOTE} Mới.")),
        &note("A"),
        2,
    )
    .unwrap();
    old_app
        .put(
            ROOT,
            "notes",
            ScalarValue::Str("Ghi chú của máy cũ.".into()),
        )
        .unwrap();
    old_app.commit();
    new_app.merge(&mut old_app).unwrap();
    assert_eq!(notes_of(&new_app), "Ghi chú của máy cũ.");
    assert!(conflicts(&new_app).is_empty());

    // Two strings at once (two older apps) are a conflict as before;
    // settling it writes text.
    let mut other_old = doc.fork().with_actor(ActorId::random());
    other_old
        .put(
            ROOT,
            "notes",
            ScalarValue::Str("Ghi chú máy cũ khác.".into()),
        )
        .unwrap();
    other_old.commit();
    new_app.merge(&mut other_old).unwrap();
    let found = conflicts(&new_app);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].field, "notes");
    resolve(
        &mut new_app,
        "notes",
        "Ghi chú đã thống nhất.",
        &note("A"),
        3,
    )
    .unwrap();
    assert!(conflicts(&new_app).is_empty());
    assert!(is_text_object(&new_app));
    assert_eq!(notes_of(&new_app), "Ghi chú đã thống nhất.");
}

/// A hot spot's description is free text too.
#[test]
fn a_hot_spots_description_is_text() {
    let mut spot = fixtures::hot_spot("Quán cà phê Gió", fixtures::day(2026, 10, 1));
    spot.findings = "Nhóm thanh niên tụ tập ban đêm.".into();
    let doc = new_record(
        Uuid::now_v7(),
        fixtures::COMMUNE,
        &spot,
        ActorId::random(),
        &note("A"),
        1,
    )
    .unwrap();
    assert!(matches!(
        doc.get(ROOT, "findings").unwrap(),
        Some((Value::Object(ObjType::Text), _))
    ));
    assert_eq!(
        read_record::<HotSpotInput>(&doc).unwrap().findings,
        spot.findings
    );
}
