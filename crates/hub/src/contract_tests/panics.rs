//! Changes Automerge 0.12 applies without complaint and then panics on
//! (`pcmt_core::sync::limits::apply_untrusted`), pushed to the hub: each
//! is refused, nothing of its push is stored, and the hub serves on. On
//! both stores.

use super::{office, pull, push_of, session_doc};
use crate::error::HubError;
use crate::storage::{scripts::refused_if_automerge_panics, Backend, Hub, HubStorage};
use automerge::transaction::Transactable;
use pcmt_core::sync::limits::craft::reusing_op_ids;
use pcmt_core::sync::wire::DocChanges;

on_both!(
    sqlite: &crate::sqlite::HubStore::open_in_memory().expect("an in-memory hub"),
    postgres: |db| &db.store().expect("a PostgreSQL hub store");
    a_change_reusing_its_authors_operation_ids_is_refused_and_stores_nothing,
    a_move_pushed_with_a_change_reusing_ids_is_refused_where_it_panicked,
    a_panic_in_a_pushs_script_refuses_it_and_stores_nothing,
);

const PEK: &str = "62-610-23284";
const CHOONG: &str = "62-610-23287";

/// A record, then a change of its author whose operation takes the id of
/// the record's last one (`tests/fuzz.rs` makes such changes by mangling a
/// start counter). The hub stored it, and every later push to the record
/// was refused for good (the document no longer loads: "max_op is lower
/// than start_op"); now the change is refused and the record stays as it
/// was.
fn a_change_reusing_its_authors_operation_ids_is_refused_and_stores_nothing(hub: &dyn HubStorage) {
    let (id, mut doc) = session_doc(PEK);
    hub.push(&office(), &push_of(id, PEK, &mut doc)).unwrap();
    let mut crafted = push_of(id, PEK, &mut doc);
    crafted.docs[0].changes = vec![reusing_op_ids(&doc)];
    let refused = hub.push(&office(), &crafted).expect_err("refused");
    assert!(matches!(refused, HubError::Rejected { .. }), "{refused}");
    // The record is as it was: an honest edit merges and is served.
    let heads = doc.get_heads();
    doc.put(automerge::ROOT, "notes", "Ghi chú sau buổi gặp.")
        .unwrap();
    doc.commit();
    let mut edit = push_of(id, PEK, &mut doc);
    edit.docs[0].changes =
        DocChanges::since(id, pcmt_model::RecordKind::Session, PEK, &mut doc, &heads).changes;
    assert_eq!(hub.push(&office(), &edit).unwrap().new_changes, 1);
    assert_eq!(pull(hub, &[PEK], 0).docs[0].changes.len(), 2);
}

/// A Đăk Pék person file's first change (`made`), its move to Đăk Choong
/// made on another tablet after it (`moved`), and the move with a change
/// reusing the file's operation ids beside it (`crafted`).
pub(crate) struct MoveAndCrafted {
    pub made: DocChanges,
    pub moved: DocChanges,
    pub crafted: DocChanges,
}

pub(crate) fn move_and_crafted() -> MoveAndCrafted {
    use pcmt_core::record_doc::{moves, ChangeNote};
    let id = uuid::Uuid::now_v7();
    let note = ChangeNote {
        officer: "Cán bộ Pék".into(),
    };
    let mut doc = pcmt_core::record_doc::new_record(
        id,
        PEK,
        &pcmt_model::fixtures::person("Y Đức"),
        automerge::ActorId::from([1u8; 16]),
        &note,
        0,
    )
    .unwrap();
    let person = |doc: &mut automerge::AutoCommit, heads: &[automerge::ChangeHash]| {
        DocChanges::since(id, pcmt_model::RecordKind::Person, PEK, doc, heads)
    };
    let made = person(&mut doc, &[]);
    let heads = doc.get_heads();
    let mut mover = doc.clone();
    mover.set_actor(automerge::ActorId::from([9u8; 16]));
    let the_move = pcmt_model::Move {
        id: uuid::Uuid::nil(),
        from: PEK.into(),
        to: CHOONG.into(),
        on: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        by: "Cán bộ Pék".into(),
    };
    moves::move_to(&mut mover, &the_move, &note, 10).unwrap();
    let moved = person(&mut mover, &heads);
    let mut crafted = moved.clone();
    crafted.changes.push(reusing_op_ids(&doc));
    MoveAndCrafted {
        made,
        moved,
        crafted,
    }
}

/// The same change pushed with a move of the person (issue 20) to Đăk
/// Choong: the hub listed the file's whole history to file it under the
/// new commune, and Automerge panicked there
/// (`op_set2/change/collector.rs:299`, `self.data[index].is_none()`,
/// through `scripts::refile_move`), taking the push, and on a tablet's
/// route its answer, down. Now the push is refused before, and nothing
/// stored.
fn a_move_pushed_with_a_change_reusing_ids_is_refused_where_it_panicked(hub: &dyn HubStorage) {
    let pushes = move_and_crafted();
    let (id, mut doc) = session_doc(PEK);
    let mut push = push_of(id, PEK, &mut doc);
    push.docs = vec![pushes.made];
    hub.push(&office(), &push).unwrap();
    push.docs = vec![pushes.crafted];
    let refused = hub.push(&office(), &push).expect_err("refused");
    assert!(matches!(refused, HubError::Rejected { .. }), "{refused}");
    // Nothing of it stored: the file is Đăk Pék's, with its first change.
    assert_eq!(pull(hub, &[PEK], 0).docs[0].changes.len(), 1);
    assert!(pull(hub, &[CHOONG], 0).docs.is_empty());
    // The move alone goes through.
    push.docs = vec![pushes.moved];
    hub.push(&office(), &push).unwrap();
    assert_eq!(pull(hub, &[CHOONG], 0).docs.len(), 1);
}

/// What a panic inside a push's script does: the push is refused (422 at
/// the route), its writes are rolled back, and the store takes the next
/// push as if nothing happened (no lock left poisoned). The panic stands
/// for Automerge's, after the script has written.
fn a_panic_in_a_pushs_script_refuses_it_and_stores_nothing<B: Backend>(hub: &Hub<B>) {
    let (id, mut doc) = session_doc(PEK);
    let push = push_of(id, PEK, &mut doc);
    let refused = hub
        .backend
        .write(|tx| {
            refused_if_automerge_panics(&push.docs, || -> Result<(), HubError> {
                tx.set_meta("probe", "written")?;
                panic!("Automerge failed on a document");
            })
        })
        .expect_err("refused");
    assert!(
        matches!(&refused, HubError::Rejected { id: named, .. } if *named == id.to_string()),
        "{refused}"
    );
    assert_eq!(hub.backend.meta("probe").unwrap(), None);
    assert_eq!(hub.push(&office(), &push).unwrap().new_changes, 1);
    assert_eq!(pull(hub, &[PEK], 0).docs.len(), 1);
}
