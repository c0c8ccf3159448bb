//! Pulled documents this version of the app cannot read (issue 18): kept
//! with their bytes and out of the rows, while the rest of their batch
//! applies and the cursor moves.

use super::{author, input, kept_ids, session_ids, today};
use crate::store::*;
use crate::sync::wire::DocChanges;
use automerge::transaction::Transactable;
use pcmt_model::fixtures::{self, COMMUNE};
use pcmt_model::{RecordKind, SessionInput};

/// A session whose attendees are words: its header is valid, so a hub
/// stores and relays it, and its body does not read as a session.
fn odd_session() -> (Uuid, AutoCommit) {
    let id = Uuid::now_v7();
    let note = record_doc::ChangeNote {
        officer: "Máy khác".into(),
    };
    let mut doc = record_doc::new_record(
        id,
        COMMUNE,
        &input("Nhà văn hóa thôn Đăk Ung"),
        ActorId::random(),
        &note,
        1,
    )
    .unwrap();
    doc.put(automerge::ROOT, "attendees", "rất đông").unwrap();
    doc.commit();
    (id, doc)
}

/// Every change of every record another tablet made, as a pull brings them.
fn changes_of(other: &mut Store) -> Vec<DocChanges> {
    other
        .pending_changes(None, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(dc, _)| dc)
        .collect()
}

/// A tablet that made a session, a person and a visit to them.
fn other_tablet() -> (Store, Uuid, Uuid, Uuid) {
    let mut other = Store::open_in_memory(OrgTree::demo()).unwrap();
    let session = other
        .create_session(&input("Trường THCS Đăk Pék"), &author(), today())
        .unwrap();
    let person = other
        .create_person(&fixtures::person("Nguyễn Văn A"), &author(), today())
        .unwrap();
    let checkin = other
        .create_checkin(
            &fixtures::checkin(person.id, fixtures::day(2026, 11, 2)),
            &author(),
            today(),
        )
        .unwrap();
    (other, session.id, person.id, checkin.id)
}

#[test]
fn an_unreadable_document_in_the_middle_of_a_batch_is_kept_and_the_rest_applies() {
    let (mut other, session, person, checkin) = other_tablet();
    let (odd, mut odd_doc) = odd_session();
    let mut batch = changes_of(&mut other);
    batch.insert(
        1,
        DocChanges::since(odd, RecordKind::Session, COMMUNE, &mut odd_doc, &[]),
    );

    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    assert_eq!(s.apply_remote(&batch, 7).unwrap(), 4);
    assert_eq!(s.pull_cursor().unwrap(), 7, "the cursor moved past it");

    let got = s.session(session).unwrap();
    assert_eq!(
        (got.venue_name.as_str(), got.attendees, got.women),
        ("Trường THCS Đăk Pék", 120, 60)
    );
    let p = s.person(person).unwrap();
    assert_eq!(p.full_name, "Nguyễn Văn A");
    assert_eq!(
        p.due_on,
        Some(fixtures::day(2026, 11, 16)),
        "14 days after the visit (voluntary rehab)"
    );
    assert_eq!(s.checkin(checkin).unwrap().date, fixtures::day(2026, 11, 2));
    assert_eq!(session_ids(&s), [session], "the odd one has no row");
    assert!(matches!(s.session(odd), Err(CoreError::NotFound(_))));
    let mut heads = odd_doc.get_heads();
    heads.sort();
    assert_eq!(s.document_heads().unwrap().get(&odd), Some(&heads), "kept");
    assert_eq!(s.unsynced_count().unwrap(), 0);
    let kept = s.unreadable_records(50, 0).unwrap();
    assert_eq!(
        kept.iter()
            .map(|k| (k.id, k.kind, k.commune.as_str()))
            .collect::<Vec<_>>(),
        [(odd, Some(RecordKind::Session), COMMUNE)]
    );
    let reason = &kept[0].reason;
    assert!(reason.contains("`attendees`"), "names the field: {reason}");
    assert!(!reason.contains("rất đông"), "quotes no value: {reason}");
    assert_eq!(s.unreadable_count().unwrap(), 1);
    assert_rows_as_rebuilt(&mut s);

    // A later change makes it readable: it shows, and is no longer listed.
    let before = odd_doc.get_heads();
    odd_doc.put(automerge::ROOT, "attendees", 150u64).unwrap();
    odd_doc.commit();
    let fix = DocChanges::since(odd, RecordKind::Session, COMMUNE, &mut odd_doc, &before);
    assert_eq!(s.apply_remote(&[fix], 8).unwrap(), 1);
    let shown = s.session(odd).unwrap();
    assert_eq!(
        (shown.venue_name.as_str(), shown.attendees),
        ("Nhà văn hóa thôn Đăk Ung", 150)
    );
    assert_eq!(s.unreadable_count().unwrap(), 0);
    assert!(kept_ids(&s).is_empty());
}

/// Every projection row, as text, table by table.
fn all_rows(s: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for table in crate::projection::ROW_TABLES {
        let mut stmt = s
            .conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let cells: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect();
            out.push(format!("{table}: {}", cells.join(" | ")));
        }
    }
    out
}

/// Documents are the truth: the rows kept beside unreadable documents are
/// those a rebuild from the documents alone gives.
fn assert_rows_as_rebuilt(s: &mut Store) {
    let kept = s.unreadable_records(50, 0).unwrap();
    let before = all_rows(s);
    let unreadable = s.rebuild_projections().unwrap();
    assert_eq!(all_rows(s), before);
    assert_eq!(
        unreadable.iter().map(|u| u.id.clone()).collect::<Vec<_>>(),
        kept.iter().map(|k| k.id.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(s.unreadable_records(50, 0).unwrap(), kept);
}

/// A change that makes one side's record unreadable, from another tablet.
fn spoil(s: &Store, id: Uuid, field: &str) -> DocChanges {
    let mut theirs = load_doc(&s.conn, id).unwrap().fork();
    let before = theirs.get_heads();
    theirs.put(automerge::ROOT, field, "không rõ").unwrap();
    theirs.commit();
    let header = record_doc::read_header(&theirs).unwrap();
    DocChanges::since(id, header.kind, &header.commune, &mut theirs, &before)
}

#[test]
fn a_pulled_change_that_makes_a_record_unreadable_takes_its_rows_and_its_edits_still_push() {
    let (mut other, session, person, checkin) = other_tablet();
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    s.apply_remote(&changes_of(&mut other), 3).unwrap();
    assert_eq!(
        s.person(person).unwrap().due_on,
        Some(fixtures::day(2026, 11, 16))
    );
    // An edit here, not yet sent, while another tablet's change spoils the
    // session; a second one spoils the visit.
    let edit = SessionInput {
        attendees: 130,
        ..s.record::<SessionInput>(session).unwrap()
    };
    s.update_session(session, &edit, &author(), today())
        .unwrap();
    let batch = [spoil(&s, session, "women"), spoil(&s, checkin, "date")];
    assert_eq!(s.apply_remote(&batch, 4).unwrap(), 2);

    assert!(matches!(s.session(session), Err(CoreError::NotFound(_))));
    assert!(matches!(s.checkin(checkin), Err(CoreError::NotFound(_))));
    assert!(s.checkins_of(person).unwrap().is_empty());
    assert_eq!(
        s.person(person).unwrap().due_on,
        Some(fixtures::day(2025, 8, 15)),
        "without the visit, due 14 days after the rehab began"
    );
    assert_eq!(s.unreadable_count().unwrap(), 2);
    assert_rows_as_rebuilt(&mut s);

    // The officer's edit still goes to the hub, whole.
    assert_eq!(s.unsynced_count().unwrap(), 1);
    let pending = s.pending_changes(None, usize::MAX).unwrap();
    assert_eq!(pending.len(), 1);
    let (sent, heads) = &pending[0];
    assert_eq!(sent.id, session);
    // The hub holds what the other tablet sent; it lacks the edit.
    let mut hub_copy = load_doc(&other.conn, session).unwrap();
    hub_copy
        .apply_changes(
            sent.changes
                .iter()
                .map(|c| automerge::Change::from_bytes(c.clone()).unwrap()),
        )
        .unwrap();
    assert_eq!(
        automerge::ReadDoc::get(&hub_copy, automerge::ROOT, "attendees")
            .unwrap()
            .map(|(v, _)| v.to_string()),
        Some("130".to_string())
    );
    s.mark_pushed(&[(session, heads.clone())]).unwrap();
    assert_eq!(s.unsynced_count().unwrap(), 0);
}

#[test]
fn a_newer_apps_record_or_kind_is_kept_under_its_envelope() {
    let (future, mut future_doc) = odd_session();
    future_doc
        .put(
            automerge::ROOT,
            record_doc::SCHEMA_KEY,
            pcmt_model::SCHEMA_VERSION + 1,
        )
        .unwrap();
    future_doc.commit();
    let mut meeting = AutoCommit::new();
    let meeting_id = Uuid::now_v7();
    meeting
        .put(automerge::ROOT, record_doc::ID_KEY, meeting_id.to_string())
        .unwrap();
    meeting
        .put(automerge::ROOT, record_doc::KIND_KEY, "meeting")
        .unwrap();
    meeting
        .put(automerge::ROOT, record_doc::SCHEMA_KEY, 1u64)
        .unwrap();
    meeting.put(automerge::ROOT, "commune", COMMUNE).unwrap();
    meeting.commit();
    let mut meeting_changes =
        DocChanges::since(meeting_id, RecordKind::Session, COMMUNE, &mut meeting, &[]);
    meeting_changes.kind = "meeting".into();

    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let batch = [
        DocChanges::since(future, RecordKind::Session, COMMUNE, &mut future_doc, &[]),
        meeting_changes,
    ];
    assert_eq!(s.apply_remote(&batch, 2).unwrap(), 2);
    let kept = s.unreadable_records(50, 0).unwrap();
    assert_eq!(
        kept.iter()
            .map(|k| (k.id, k.kind, k.commune.as_str()))
            .collect::<Vec<_>>(),
        [
            (future, Some(RecordKind::Session), COMMUNE),
            (meeting_id, None, COMMUNE)
        ]
    );
    assert!(
        kept[0].reason.contains("newer version"),
        "{}",
        kept[0].reason
    );
    assert!(session_ids(&s).is_empty());
    assert_rows_as_rebuilt(&mut s);
}

/// What an older version left: a record it could not read, kept and out
/// of the rows. This version reads it, and shows it as the store opens.
#[test]
fn a_store_opened_by_an_update_shows_the_records_an_older_version_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let (mut other, session, _, _) = other_tablet();
    let (odd, mut odd_doc) = odd_session();
    {
        let mut s = Store::open(&path, OrgTree::demo()).unwrap();
        let mut batch = changes_of(&mut other);
        batch.push(DocChanges::since(
            odd,
            RecordKind::Session,
            COMMUNE,
            &mut odd_doc,
            &[],
        ));
        s.apply_remote(&batch, 4).unwrap();
        s.conn
            .execute(
                "UPDATE documents SET unreadable = 'schema 2 is newer than this app''s' WHERE id = ?1",
                [session.to_string()],
            )
            .unwrap();
        s.conn
            .execute(
                "DELETE FROM session_rows WHERE id = ?1",
                [session.to_string()],
            )
            .unwrap();
        assert_eq!(s.unreadable_count().unwrap(), 2);
    }
    let s = Store::open(&path, OrgTree::demo()).unwrap();
    assert_eq!(
        s.session(session).unwrap().venue_name,
        "Trường THCS Đăk Pék"
    );
    assert_eq!(
        kept_ids(&s),
        [odd],
        "what this version cannot read either stays listed"
    );
}
