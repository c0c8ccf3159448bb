//! Pulled documents sent whole (issue 18, item 4): loaded when the tablet
//! lacks them, merged when it holds them, kept when it cannot read them,
//! and a damaged one refuses its batch with the cursor where it was.

use super::{author, input, kept_ids, session_ids, today};
use crate::store::*;
use crate::sync::wire::DocSnapshot;
use automerge::transaction::Transactable;
use pcmt_model::fixtures::COMMUNE;
use pcmt_model::{Labelled, RecordKind, SessionInput};

/// A session another tablet made and edited, whole as the hub sends it.
fn edited_elsewhere(name: &str) -> (Uuid, AutoCommit, DocSnapshot) {
    let id = Uuid::now_v7();
    let note = record_doc::ChangeNote {
        officer: "Máy khác".into(),
    };
    let mut doc =
        record_doc::new_record(id, COMMUNE, &input(name), ActorId::random(), &note, 1).unwrap();
    let mut edited = input(name);
    edited.attendees = 130;
    record_doc::update_record(&mut doc, &edited, &note, 2).unwrap();
    let snapshot = whole(id, &mut doc);
    (id, doc, snapshot)
}

fn whole(id: Uuid, doc: &mut AutoCommit) -> DocSnapshot {
    DocSnapshot {
        id,
        kind: RecordKind::Session.code().into(),
        commune: COMMUNE.into(),
        bytes: record_doc::save(doc),
    }
}

#[test]
fn a_snapshot_of_a_record_the_tablet_lacks_is_loaded_with_its_rows() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let (id, mut doc, snapshot) = edited_elsewhere("Trường TH Đăk Pék");
    assert_eq!(
        s.apply_pulled(std::slice::from_ref(&snapshot), &[], 5)
            .unwrap(),
        1
    );
    assert_eq!(session_ids(&s), vec![id]);
    let read: SessionInput = s.record(id).unwrap();
    assert_eq!(read.attendees, 130);
    assert_eq!(s.document_heads().unwrap()[&id], {
        let mut h = doc.get_heads();
        h.sort();
        h
    });
    assert_eq!(s.unsynced_count().unwrap(), 0, "held as the hub holds it");
    assert_eq!(s.pull_cursor().unwrap(), 5);
    // Again: nothing changes.
    assert_eq!(s.apply_pulled(&[snapshot], &[], 6).unwrap(), 0);
}

#[test]
fn a_snapshot_of_a_record_edited_here_merges_and_the_edit_stays_unsent() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let (id, mut theirs, _) = edited_elsewhere("Trường TH Đăk Pék");
    // The tablet had the record as first made, then edited it itself.
    let first = theirs.get_changes(&[])[0].raw_bytes().to_vec();
    let dc = crate::sync::wire::DocChanges {
        id,
        kind: RecordKind::Session.code().into(),
        commune: COMMUNE.into(),
        changes: vec![first],
    };
    s.apply_remote(&[dc], 1).unwrap();
    let mut ours: SessionInput = s.record(id).unwrap();
    ours.venue_name = "Trường TH Đăk Pék (điểm lẻ)".into();
    s.update_session(id, &ours, &author(), today()).unwrap();
    // A later change of theirs, and the whole record sent again (the
    // pull restarted from the beginning, communes changed).
    let mut more = input("Trường TH Đăk Pék");
    more.attendees = 130;
    more.women = 70;
    record_doc::update_record(
        &mut theirs,
        &more,
        &record_doc::ChangeNote {
            officer: "Máy khác".into(),
        },
        3,
    )
    .unwrap();
    let snapshot = whole(id, &mut theirs);
    assert_eq!(s.apply_pulled(&[snapshot], &[], 9).unwrap(), 1);
    let read: SessionInput = s.record(id).unwrap();
    assert_eq!(
        (read.venue_name.as_str(), read.attendees, read.women),
        ("Trường TH Đăk Pék (điểm lẻ)", 130, 70)
    );
    assert_eq!(s.unsynced_count().unwrap(), 1, "our edit is still to send");
}

#[test]
fn an_unreadable_snapshot_is_kept_and_the_rest_of_the_batch_applies() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let (odd, mut doc, _) = edited_elsewhere("Nhà văn hóa thôn Đăk Ung");
    doc.put(automerge::ROOT, "attendees", "rất đông").unwrap();
    doc.commit();
    let (fine, _, snapshot) = edited_elsewhere("Trường THCS Đăk Pék");
    assert_eq!(
        s.apply_pulled(&[whole(odd, &mut doc), snapshot], &[], 4)
            .unwrap(),
        2
    );
    assert_eq!(kept_ids(&s), vec![odd]);
    assert_eq!(session_ids(&s), vec![fine]);
    assert_eq!(s.pull_cursor().unwrap(), 4);
}

#[test]
fn a_damaged_snapshot_refuses_its_batch_and_the_cursor_stays() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let (_, _, fine) = edited_elsewhere("Trường THCS Đăk Pék");
    let (_, mut doc, mut damaged) = edited_elsewhere("Trường TH Đăk Pék");
    let at = damaged.bytes.len() / 2;
    damaged.bytes[at] ^= 0x55;
    assert!(s.apply_pulled(&[fine.clone(), damaged], &[], 4).is_err());
    // Compressed, as Automerge saves by default: refused too (its columns
    // would inflate with no bound).
    doc.put(
        automerge::ROOT,
        "notes",
        "Ghi chú dài của cán bộ. ".repeat(40),
    )
    .unwrap();
    doc.commit();
    let mut compressed = fine.clone();
    compressed.bytes = doc.save();
    assert!(s.apply_pulled(&[compressed], &[], 4).is_err());
    assert!(session_ids(&s).is_empty(), "nothing of the batch applied");
    assert_eq!(s.pull_cursor().unwrap(), 0);
}
