//! Person files sharing a citizen ID, at the hub (issue 20): after a
//! device's push, the flags of every file it touched are brought in line
//! with the files the reports count ([`flags`]); the office's merge of two
//! files is a script of its own (`super::scripts`). What to flag and what
//! may merge is `crate::rules::duplicates`'.

use super::backend::WriteTx;
use super::DocumentRow;
use crate::error::HubError;
use crate::rules::devices::{now, OFFICE_ORIGIN};
use crate::rules::duplicates::{self as rules, PersonFile};
use automerge::{ActorId, AutoCommit};
use pcmt_core::record_doc::{self, marks, ChangeNote, DocError};
use pcmt_core::sync::wire::DocChanges;
use pcmt_model::{Labelled, PersonInput, RecordKind};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// How the hub signs the flags it writes, in a record's history.
fn hub_note() -> ChangeNote {
    ChangeNote {
        officer: "Máy chủ: đối chiếu số CCCD".into(),
    }
}

/// The changes that make the flags right for the person files among
/// `rows`/`docs` (just stored by a push), for the files they were flagged
/// with, and for every file now sharing an ID with them. Each change is
/// the hub's own, on the document as stored; the caller stores them as
/// the office's. Empty when every flag is already right.
pub(crate) fn flags(
    tx: &mut dyn WriteTx,
    rows: &[DocumentRow],
    docs: &[AutoCommit],
) -> Result<Vec<DocChanges>, HubError> {
    let person = RecordKind::Person.code();
    let pushed: HashMap<&str, &AutoCommit> = rows
        .iter()
        .zip(docs)
        .filter(|(row, _)| row.kind == person)
        .map(|(row, doc)| (row.id.as_str(), doc))
        .collect();
    if pushed.is_empty() {
        return Ok(Vec::new());
    }
    let mut citizen_ids = BTreeSet::new();
    let mut flagged = BTreeSet::new();
    for doc in pushed.values() {
        // A blank ID is no ID: asking for it would read every file
        // registered without one.
        if let Some(c) = record_doc::read_record::<PersonInput>(doc)
            .ok()
            .and_then(|p| p.citizen_id)
            .filter(|c| !c.trim().is_empty())
        {
            citizen_ids.insert(c);
        }
        flagged.extend(
            marks::marks(doc)
                .shared_with
                .into_iter()
                .map(|s| s.file.to_string())
                .filter(|f| !pushed.contains_key(f.as_str())),
        );
    }
    if citizen_ids.is_empty() && flagged.is_empty() {
        return Ok(Vec::new());
    }
    let mut live = tx.person_files(&to_vec(&flagged), &to_vec(&citizen_ids))?;
    // A file flagged before may hold an ID none of the pushed files holds
    // now (one was corrected): its other holders are needed too.
    let more: BTreeSet<String> = live
        .iter()
        .filter_map(|f| f.citizen_id.clone())
        .filter(|c| !c.trim().is_empty() && !citizen_ids.contains(c))
        .collect();
    if !more.is_empty() {
        let seen: BTreeSet<String> = live.iter().map(|f| f.id.clone()).collect();
        live.extend(
            tx.person_files(&[], &to_vec(&more))?
                .into_iter()
                .filter(|f| !seen.contains(&f.id)),
        );
    }
    let mut targets: BTreeSet<String> = pushed.keys().map(|id| id.to_string()).collect();
    targets.extend(flagged);
    targets.extend(live.iter().map(|f| f.id.clone()));
    let wanted = rules::shared_with(&targets, &live);
    let stored_ids: Vec<Uuid> = targets
        .iter()
        .filter(|id| !pushed.contains_key(id.as_str()))
        .filter_map(|id| id.parse().ok())
        .collect();
    let stored = if stored_ids.is_empty() {
        HashMap::new()
    } else {
        tx.lock_documents(&stored_ids, OFFICE_ORIGIN)?.stored
    };
    let mut out = Vec::new();
    for (id, shared_with) in wanted {
        let mut doc = match pushed.get(id.as_str()) {
            Some(doc) => (*doc).clone(),
            None => match stored.get(&id).map(|b| record_doc::load(b)) {
                Some(Ok(doc)) => doc,
                // Flagged with a file this hub does not hold (a relay
                // gap) or cannot load: nothing to write there.
                _ => continue,
            },
        };
        let mut held = marks::marks(&doc).shared_with;
        held.sort();
        if held == shared_with {
            continue;
        }
        // Flags are the hub's advice: a document it cannot write them
        // into (a newer app's schema) is stored and synced without them.
        match office_edit(&mut doc, &hub_note(), |doc, note, time| {
            marks::set_shared_with(doc, shared_with, note, time)
        }) {
            Ok(edited) => out.extend(edited),
            Err(error) => tracing::warn!(%id, %error, "citizen ID flags not written"),
        }
    }
    Ok(out)
}

/// One edit of the office's (or the hub's) on a document as stored: made
/// as a fresh actor, signed with `note`, and returned as the changes to
/// store (None when the edit changed nothing).
pub(crate) fn office_edit(
    doc: &mut AutoCommit,
    note: &ChangeNote,
    edit: impl FnOnce(&mut AutoCommit, &ChangeNote, i64) -> Result<bool, DocError>,
) -> Result<Option<DocChanges>, DocError> {
    doc.set_actor(ActorId::random());
    let heads = doc.get_heads();
    if !edit(doc, note, now())? {
        return Ok(None);
    }
    let header = record_doc::read_header(doc)?;
    Ok(Some(DocChanges::since(
        header.id,
        header.kind,
        &header.commune,
        doc,
        &heads,
    )))
}

/// The office's edit of a stored document (`office_edit`), or the
/// refusal of a document that is not there or does not load.
pub(crate) fn edit_stored(
    stored: &HashMap<String, Vec<u8>>,
    id: Uuid,
    note: &ChangeNote,
    edit: impl FnOnce(&mut AutoCommit, &ChangeNote, i64) -> Result<bool, DocError>,
) -> Result<Option<DocChanges>, HubError> {
    let key = id.to_string();
    let bytes = stored
        .get(&key)
        .ok_or_else(|| rejected(&key, DocError::Load("not held by this hub".into())))?;
    let mut doc = record_doc::load(bytes).map_err(|e| rejected(&key, e))?;
    office_edit(&mut doc, note, edit).map_err(|e| rejected(&key, e))
}

pub(crate) fn rejected(id: &str, e: DocError) -> HubError {
    HubError::Rejected {
        id: id.to_string(),
        reason: e.to_string(),
    }
}

fn to_vec(set: &BTreeSet<String>) -> Vec<String> {
    set.iter().cloned().collect()
}

/// The two files of a merge as the reports count them (`None`: not live).
pub(crate) fn merge_files(
    tx: &mut dyn WriteTx,
    kept: Uuid,
    gone: Uuid,
) -> Result<(Option<PersonFile>, Option<PersonFile>), HubError> {
    let files = tx.person_files(&[kept.to_string(), gone.to_string()], &[])?;
    let find = |id: Uuid| files.iter().find(|f| f.id == id.to_string()).cloned();
    Ok((find(kept), find(gone)))
}
