//! A record's attachments in its document: the root key `attachments`, an
//! Automerge list of maps each naming itself by its `hash` (the layout of
//! [`super::body::ListLayout::Items`]), so additions from two tablets
//! merge. The record types do not carry the field: forms never write it,
//! attaching is a command of its own, and a document without it (every
//! record made before attachments, or by an older app) has none. An older
//! app reads past the key and keeps it when it edits other fields.

use super::body::{self, ListLayout};
use super::header::{get_str, read_header, DocError, ID_KEY};
use super::ChangeNote;
use automerge::transaction::Transactable;
use automerge::AutoCommit;
use pcmt_model::{AttachmentRef, ContentHash};

pub use super::body::ATTACHMENTS as FIELD;

/// The layout of [`FIELD`], for every kind that has attachments.
fn layout(doc: &AutoCommit) -> Result<Option<ListLayout>, DocError> {
    Ok(body::list_layout(read_header(doc)?.kind, FIELD))
}

/// The attachments a document refers to, in the order they were added.
/// An item this version cannot read (a newer app's) is left out.
pub fn attachments(doc: &AutoCommit) -> Result<Vec<AttachmentRef>, DocError> {
    let Some(layout) = layout(doc)? else {
        return Ok(Vec::new());
    };
    body::read_items(doc, FIELD, layout)
}

/// Every hash a document needs: each attachment's and its thumbnail's.
pub fn hashes(doc: &AutoCommit) -> Vec<ContentHash> {
    attachments(doc)
        .unwrap_or_default()
        .iter()
        .flat_map(AttachmentRef::hashes)
        .collect()
}

/// Adds `new` to the record's attachments (one already there by hash is
/// kept as it is) as one change; false when nothing was added.
pub fn add(
    doc: &mut AutoCommit,
    new: &AttachmentRef,
    note: &ChangeNote,
    time: i64,
) -> Result<bool, DocError> {
    change(doc, note, time, |list| {
        if list.iter().any(|a| a.hash == new.hash) {
            return false;
        }
        list.push(new.clone());
        true
    })
}

/// Takes the attachment `hash` out of the record (the officer removed it);
/// false when it was not there.
pub fn remove(
    doc: &mut AutoCommit,
    hash: ContentHash,
    note: &ChangeNote,
    time: i64,
) -> Result<bool, DocError> {
    change(doc, note, time, |list| {
        let before = list.len();
        list.retain(|a| a.hash != hash);
        list.len() != before
    })
}

fn change(
    doc: &mut AutoCommit,
    note: &ChangeNote,
    time: i64,
    edit: impl FnOnce(&mut Vec<AttachmentRef>) -> bool,
) -> Result<bool, DocError> {
    let layout = layout(doc)?
        .ok_or_else(|| DocError::Body(format!("this kind of record has no `{FIELD}`")))?;
    super::prepare(doc)?;
    let mut list = attachments(doc)?;
    if !edit(&mut list) {
        return Ok(false);
    }
    let value = serde_json::to_value(&list).map_err(|e| DocError::Body(e.to_string()))?;
    let doc_id = get_str(doc, ID_KEY)?;
    body::write_list(doc, &doc_id, FIELD, layout, value)?;
    if doc.pending_ops() == 0 {
        return Ok(false);
    }
    super::commit(doc, note, time);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record_doc::{new_record, read_record};
    use automerge::ActorId;
    use pcmt_model::fixtures::session;
    use pcmt_model::{AttachmentKind, SessionInput};
    use uuid::Uuid;

    fn photo(n: u8) -> AttachmentRef {
        AttachmentRef {
            hash: ContentHash([n; 32]),
            kind: AttachmentKind::Jpeg,
            size: 1000 + u64::from(n),
            thumbnail: Some(ContentHash([n + 100; 32])),
            taken_at: chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
            site: None,
            position: None,
        }
    }

    fn note(officer: &str) -> ChangeNote {
        ChangeNote {
            officer: officer.into(),
        }
    }

    fn doc_of<R: crate::record_doc::Record>(commune: &str, record: &R) -> AutoCommit {
        new_record(
            Uuid::now_v7(),
            commune,
            record,
            ActorId::random(),
            &note("A"),
            1,
        )
        .unwrap()
    }

    #[test]
    fn two_officers_adding_photos_to_one_record_at_once_both_keep_theirs() {
        let input = session("Chợ");
        let mut a = doc_of(&input.commune, &input);
        let mut b = a.fork().with_actor(ActorId::random());
        assert!(add(&mut a, &photo(1), &note("A"), 2).unwrap());
        assert!(add(&mut b, &photo(2), &note("B"), 2).unwrap());
        // The same photo twice is one attachment.
        assert!(!add(&mut b, &photo(2), &note("B"), 3).unwrap());
        a.merge(&mut b).unwrap();
        let mut held = attachments(&a).unwrap();
        held.sort_by_key(|r| r.hash);
        assert_eq!(held, [photo(1), photo(2)]);
        assert_eq!(hashes(&a).len(), 4);
        // The record itself reads as before: the field is no form's.
        assert_eq!(read_record::<SessionInput>(&a).unwrap(), input);
        assert!(crate::record_doc::conflicts(&a).is_empty());
        // Removing one keeps the other, also after a merge.
        assert!(remove(&mut a, ContentHash([1; 32]), &note("A"), 4).unwrap());
        assert_eq!(attachments(&a).unwrap(), [photo(2)]);
    }

    #[test]
    fn a_record_from_before_attachments_has_none_and_a_hot_spot_takes_none() {
        let input = session("Chợ");
        let doc = doc_of(&input.commune, &input);
        assert!(attachments(&doc).unwrap().is_empty());
        let spot = pcmt_model::fixtures::hot_spot("Bến xe", pcmt_model::fixtures::day(2026, 1, 5));
        let mut doc = doc_of(&spot.commune, &spot);
        assert!(add(&mut doc, &photo(1), &note("A"), 2).is_err());
    }
}
