//! A person's moves to other communes (chuyển nơi cư trú) in the person's
//! document: the root key `moves`, an Automerge list of maps named by a
//! UUID `id` (the layout of [`super::body::ListLayout::Items`]). As with
//! attachments, the record type does not carry the field: the person form
//! never writes it, a move is a command of its own, and an older app reads
//! past the key and keeps it.
//!
//! A move is the one change that rewrites a record's commune: in the same
//! change the header's `commune` becomes the new one, the village (of the
//! old commune) is cleared, and the move is added to the list. It carries
//! nothing else of the person, so the old commune's tablets, which receive
//! this change and nothing after it, learn only where and when.

use super::header::{read_header, DocError};
use super::{items, ChangeNote};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ScalarValue, ROOT};
use pcmt_model::{Move, RecordKind};

pub use super::body::MOVES as FIELD;

/// The moves a document holds, in the order they were added (none for a
/// record of another kind). An item this version cannot read is left out.
pub fn moves(doc: &AutoCommit) -> Result<Vec<Move>, DocError> {
    items::read(doc, FIELD)
}

/// Moves the person to `new.to` as one change (see the module). The caller
/// checked the move (`pcmt_model::MoveInput::validate`) and gave it its
/// `from`, the document's commune.
pub fn move_to(
    doc: &mut AutoCommit,
    new: &Move,
    note: &ChangeNote,
    time: i64,
) -> Result<(), DocError> {
    let header = read_header(doc)?;
    if header.kind != RecordKind::Person {
        return Err(DocError::Body("only a person file moves".into()));
    }
    if header.commune != new.from {
        return Err(DocError::BadValue("commune"));
    }
    let mut added = new.clone();
    if added.id.is_nil() {
        added.id = uuid::Uuid::new_v4();
    }
    items::edit(doc, FIELD, |list: &mut Vec<Move>| {
        list.push(added);
        true
    })?;
    let bad = |_| DocError::BadValue("commune");
    doc.put(ROOT, "commune", new.to.as_str()).map_err(bad)?;
    doc.put(ROOT, "village", ScalarValue::Null).map_err(bad)?;
    super::commit(doc, note, time);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record_doc::{new_record, read_record, update_record};
    use automerge::ActorId;
    use pcmt_model::fixtures::{self, COMMUNE};
    use pcmt_model::PersonInput;
    use uuid::Uuid;

    const TO: &str = "62-610-23287";

    fn note() -> ChangeNote {
        ChangeNote {
            officer: "Cán bộ A".into(),
        }
    }

    #[test]
    fn a_move_rewrites_the_commune_clears_the_village_and_is_kept_through_edits() {
        let person = fixtures::person("A Lê Văn Hùng");
        assert!(person.village.is_some());
        let mut doc = new_record(
            Uuid::new_v4(),
            COMMUNE,
            &person,
            ActorId::random(),
            &note(),
            1,
        )
        .expect("a document");
        assert_eq!(moves(&doc).expect("moves"), vec![]);
        let on = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("a day");
        let mv = Move {
            id: Uuid::nil(),
            from: COMMUNE.into(),
            to: TO.into(),
            on,
            by: "Cán bộ A".into(),
        };
        move_to(&mut doc, &mv, &note(), 2).expect("moved");
        assert_eq!(read_header(&doc).expect("header").commune, TO);
        let read: PersonInput = read_record(&doc).expect("a person");
        assert_eq!((read.commune.as_str(), read.village.as_deref()), (TO, None));
        let kept = moves(&doc).expect("moves");
        assert_eq!(kept.len(), 1);
        assert!(!kept[0].id.is_nil());
        assert_eq!(
            (kept[0].from.as_str(), kept[0].to.as_str(), kept[0].on),
            (COMMUNE, TO, on)
        );
        // The form's edit knows nothing of moves and leaves them be.
        let edited = PersonInput {
            phone: Some("0912345678".into()),
            ..read
        };
        assert!(update_record(&mut doc, &edited, &note(), 3).expect("edited"));
        assert_eq!(moves(&doc).expect("moves"), kept);
        // A move from a commune the file is not in is refused.
        assert!(move_to(&mut doc, &mv, &note(), 4).is_err());
    }
}
