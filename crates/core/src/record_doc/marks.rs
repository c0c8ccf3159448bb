//! A person file's marks ([`FileMarks`]): the other files the hub found
//! holding its citizen ID (`shared_with`), the file the office merged it
//! into (`merged_into`) and the files merged into it (`absorbed`). No form
//! writes them and an older app keeps them as they are. A merged file
//! leaves the projections ([`crate::projection::row_values`]), as a deleted
//! one does, so the person counts once.

use super::body::{self, ABSORBED, SHARED_WITH};
use super::header::{get_str, DocError};
use super::{commit, items, ChangeNote};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use pcmt_model::{Absorbed, FileMarks, SharedWith};
use serde_json::Value as J;
use uuid::Uuid;

const MERGED_INTO: &str = "merged_into";

pub fn marks(doc: &AutoCommit) -> FileMarks {
    FileMarks {
        shared_with: items::read(doc, SHARED_WITH).unwrap_or_default(),
        merged_into: merged_into(doc),
        absorbed: items::read(doc, ABSORBED).unwrap_or_default(),
    }
}

pub fn merged_into(doc: &AutoCommit) -> Option<Uuid> {
    get_str(doc, MERGED_INTO).ok()?.parse().ok()
}

/// Makes `shared_with` the list given (sorted, so that two hubs finding the
/// same files write the same list) as one change; false when it already was.
pub fn set_shared_with(
    doc: &mut AutoCommit,
    mut shared_with: Vec<SharedWith>,
    note: &ChangeNote,
    time: i64,
) -> Result<bool, DocError> {
    shared_with.sort();
    let written = items::edit(doc, SHARED_WITH, |list: &mut Vec<SharedWith>| {
        let mut held = list.clone();
        held.sort();
        if held == shared_with {
            return false;
        }
        *list = shared_with;
        true
    })?;
    finish(doc, written, note, time)
}

/// The office's merge, on the file that goes: it is merged into `kept`,
/// and no longer an open duplicate of anything.
pub fn merge_into(
    doc: &mut AutoCommit,
    kept: Uuid,
    note: &ChangeNote,
    time: i64,
) -> Result<bool, DocError> {
    super::prepare(doc)?;
    body::put_if_changed(doc, &ROOT, MERGED_INTO, &J::String(kept.to_string()))
        .map_err(|e| DocError::Body(e.to_string()))?;
    items::edit(doc, SHARED_WITH, |list: &mut Vec<SharedWith>| {
        let had = !list.is_empty();
        list.clear();
        had
    })?;
    finish(doc, true, note, time)
}

/// The office's merge, on the file that stays: `absorbed` is one of its
/// files now, and no longer a duplicate of it.
pub fn absorb(
    doc: &mut AutoCommit,
    absorbed: Absorbed,
    note: &ChangeNote,
    time: i64,
) -> Result<bool, DocError> {
    let gone = absorbed.file;
    items::edit(doc, SHARED_WITH, |list: &mut Vec<SharedWith>| {
        let before = list.len();
        list.retain(|s| s.file != gone);
        list.len() != before
    })?;
    items::edit(doc, ABSORBED, |list: &mut Vec<Absorbed>| {
        if list.iter().any(|a| a.file == gone) {
            return false;
        }
        list.push(absorbed);
        true
    })?;
    finish(doc, true, note, time)
}

fn finish(
    doc: &mut AutoCommit,
    written: bool,
    note: &ChangeNote,
    time: i64,
) -> Result<bool, DocError> {
    if !written || doc.pending_ops() == 0 {
        return Ok(false);
    }
    commit(doc, note, time);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record_doc::{conflicts, new_record, read_record};
    use automerge::ActorId;
    use pcmt_model::fixtures::person;
    use pcmt_model::PersonInput;

    fn note(who: &str) -> ChangeNote {
        ChangeNote {
            officer: who.into(),
        }
    }

    fn file() -> (AutoCommit, PersonInput) {
        let p = person("Hồ Văn A");
        let doc = new_record(
            Uuid::now_v7(),
            &p.commune,
            &p,
            ActorId::random(),
            &note("A"),
            1,
        )
        .unwrap();
        (doc, p)
    }

    fn other(n: u128, commune: &str) -> SharedWith {
        SharedWith {
            file: Uuid::from_u128(n),
            commune: commune.into(),
        }
    }

    #[test]
    fn a_file_flagged_then_merged_reads_its_marks_and_stays_the_same_person() {
        let (mut doc, p) = file();
        assert_eq!(marks(&doc), FileMarks::default());
        let flags = vec![other(2, "24112"), other(1, "24109")];
        assert!(set_shared_with(&mut doc, flags.clone(), &note("hub"), 2).unwrap());
        // The same files in another order are no change.
        assert!(
            !set_shared_with(&mut doc, flags.into_iter().rev().collect(), &note("hub"), 3).unwrap()
        );
        let m = marks(&doc);
        assert_eq!(m.shared_with, [other(1, "24109"), other(2, "24112")]);
        assert!(m.open_duplicate());
        // The marks are no field of the form's, and no conflict.
        assert_eq!(read_record::<PersonInput>(&doc).unwrap(), p);
        assert!(conflicts(&doc).is_empty());

        let mut kept = doc.fork().with_actor(ActorId::random());
        assert!(merge_into(&mut doc, Uuid::from_u128(1), &note("office"), 4).unwrap());
        let m = marks(&doc);
        assert_eq!(m.merged_into, Some(Uuid::from_u128(1)));
        assert!(m.shared_with.is_empty());
        assert!(!m.open_duplicate());

        let gone = Absorbed {
            file: Uuid::from_u128(2),
            by: "office".into(),
            at: 4,
        };
        assert!(absorb(&mut kept, gone.clone(), &note("office"), 4).unwrap());
        assert!(!absorb(&mut kept, gone.clone(), &note("office"), 5).unwrap());
        let m = marks(&kept);
        assert_eq!(m.shared_with, [other(1, "24109")]);
        assert_eq!(m.absorbed, [gone]);
    }

    #[test]
    fn an_officers_edit_beside_the_hubs_flag_keeps_both() {
        let (mut doc, mut p) = file();
        let mut tablet = doc.fork().with_actor(ActorId::random());
        set_shared_with(&mut doc, vec![other(7, "24109")], &note("hub"), 2).unwrap();
        p.phone = Some("0912345678".into());
        crate::record_doc::update_record(&mut tablet, &p, &note("B"), 3).unwrap();
        doc.merge(&mut tablet).unwrap();
        assert_eq!(read_record::<PersonInput>(&doc).unwrap(), p);
        assert_eq!(marks(&doc).shared_with, [other(7, "24109")]);
        assert!(conflicts(&doc).is_empty());
    }
}
