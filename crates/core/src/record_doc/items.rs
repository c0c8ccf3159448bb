//! The list fields no form writes (a record's attachments, a person file's
//! marks): read and edited as a whole list of typed items, stored item by
//! item ([`super::body::ListLayout::Items`]) so additions from two writers
//! merge. A document without the field has none; an older app reads past
//! it and keeps it when it edits other fields.

use super::body;
use super::header::{get_str, read_header, DocError, ID_KEY};
use automerge::AutoCommit;
use serde::{de::DeserializeOwned, Serialize};

fn layout(doc: &AutoCommit, field: &str) -> Result<Option<body::ListLayout>, DocError> {
    Ok(body::list_layout(read_header(doc)?.kind, field))
}

/// The items of `field`, in their order. An item this version cannot read
/// (a newer app's) is left out; a kind without the field has none.
pub(super) fn read<T: DeserializeOwned>(doc: &AutoCommit, field: &str) -> Result<Vec<T>, DocError> {
    match layout(doc, field)? {
        Some(layout) => body::read_items(doc, field, layout),
        None => Ok(Vec::new()),
    }
}

/// Applies `edit` to the items of `field` and writes back what it changed,
/// uncommitted (the caller commits, with whatever else its change holds).
/// False when `edit` changed nothing.
pub(super) fn edit<T: Serialize + DeserializeOwned>(
    doc: &mut AutoCommit,
    field: &str,
    edit: impl FnOnce(&mut Vec<T>) -> bool,
) -> Result<bool, DocError> {
    let layout = layout(doc, field)?
        .ok_or_else(|| DocError::Body(format!("this kind of record has no `{field}`")))?;
    super::prepare(doc)?;
    let mut list = read(doc, field)?;
    if !edit(&mut list) {
        return Ok(false);
    }
    let value = serde_json::to_value(&list).map_err(|e| DocError::Body(e.to_string()))?;
    let doc_id = get_str(doc, ID_KEY)?;
    body::write_list(doc, &doc_id, field, layout, value)?;
    Ok(true)
}
