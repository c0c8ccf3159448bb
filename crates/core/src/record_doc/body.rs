//! A record's body in its document: JSON values as Automerge values, and
//! the list fields whose items merge one by one (schema 2).
//!
//! Schema 1 stored every list and nested object as one JSON value in a
//! bytes scalar, so two officers adding a site to one survey wrote two
//! values of `sites` and one officer's site had to go. From schema 2 a
//! list of things that have an identity (a site, a status span, an
//! audience group) is an Automerge list of maps, each naming itself by an
//! id; a list of codes (topics) is a map from code to place, a set. Other
//! nested values (a point, the villages) are Automerge objects written
//! whole: a change of them replaces them, so concurrent changes of one are
//! a conflict on that field, as before. Reading takes both schemas, and
//! several values at one list field (two devices that migrated at
//! different heads, an old app that edited beside a migration) as the
//! union of their items.

use super::header::DocError;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, AutomergeError, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};
use pcmt_model::RecordKind;
use serde_json::{Map, Value as J};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// How a list field is laid out from schema 2 on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListLayout {
    /// An Automerge list of maps, one per item, each naming itself by its
    /// `id` key: edits, additions and removals of different items merge,
    /// and only two values of one item's field conflict. `uuid`: the id is
    /// a UUID the core gives each new item (sites, status spans);
    /// otherwise a code the item has anyway (an audience group).
    Items { id: &'static str, uuid: bool },
    /// An Automerge map from each code to its place in the list: a set, so
    /// officers adding codes each keep theirs, and the first stays first.
    Set,
}

/// The root key holding a record's attachments (`super::attachments`).
pub const ATTACHMENTS: &str = "attachments";
/// The root keys of a person file's marks (`super::marks`).
pub const SHARED_WITH: &str = "shared_with";
pub const ABSORBED: &str = "absorbed";

/// The root key holding a person's moves (`super::moves`).
pub const MOVES: &str = "moves";

/// The list fields of each kind of record that merge item by item.
pub fn list_layout(kind: RecordKind, field: &str) -> Option<ListLayout> {
    match (kind, field) {
        (RecordKind::Survey, "sites")
        | (RecordKind::Person, "statuses")
        | (RecordKind::HotSpot, "stages") => Some(ListLayout::Items {
            id: "id",
            uuid: true,
        }),
        // A person's moves (`super::moves`): no form writes the field.
        (RecordKind::Person, MOVES) => Some(ListLayout::Items {
            id: "id",
            uuid: true,
        }),
        (RecordKind::Session, "audience") => Some(ListLayout::Items {
            id: "group",
            uuid: false,
        }),
        (RecordKind::Session, "topics") | (RecordKind::HotSpot, "activities") => {
            Some(ListLayout::Set)
        }
        // Photos and files, one item per content hash: officers adding
        // attachments to one record at once each keep theirs. No form
        // writes the field (attaching is its own command), and a version
        // without it leaves it as it is.
        (
            RecordKind::Session | RecordKind::Person | RecordKind::CheckIn | RecordKind::Survey,
            ATTACHMENTS,
        ) => Some(ListLayout::Items {
            id: "hash",
            uuid: false,
        }),
        // Marks of the hub and the office (`super::marks`): one item per
        // other file, named by its id.
        (RecordKind::Person, SHARED_WITH | ABSORBED) => Some(ListLayout::Items {
            id: "file",
            uuid: false,
        }),
        _ => None,
    }
}

/// Deeper than any record nests (a site's polygon is three levels down):
/// a crafted document cannot make reading it recurse without end.
const MAX_DEPTH: usize = 8;

/// A field's value as JSON; what is wrong with it, if it is not one.
pub(super) fn read_json(
    doc: &AutoCommit,
    value: &Value<'_>,
    id: &ObjId,
    depth: usize,
) -> Result<J, &'static str> {
    if depth > MAX_DEPTH {
        return Err("values nested deeper than any record's");
    }
    match value {
        Value::Scalar(s) => scalar_to_json(s),
        Value::Object(ObjType::Map | ObjType::Table) => {
            let mut fields = Map::new();
            for key in doc.keys(id) {
                if let Ok(Some((v, vid))) = doc.get(id, key.as_str()) {
                    let v = read_json(doc, &v, &vid, depth + 1)?;
                    fields.insert(key, v);
                }
            }
            Ok(J::Object(fields))
        }
        Value::Object(ObjType::List) => (0..doc.length(id))
            .map(|i| match doc.get(id, i) {
                Ok(Some((v, vid))) => read_json(doc, &v, &vid, depth + 1),
                _ => Err("a list that does not read back"),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(J::Array),
        // Other Automerge implementations often write strings as text.
        Value::Object(ObjType::Text) => doc
            .text(id)
            .map(J::String)
            .map_err(|_| "text that does not read back"),
    }
}

fn scalar_to_json(s: &ScalarValue) -> Result<J, &'static str> {
    Ok(match s {
        ScalarValue::Null => J::Null,
        ScalarValue::Boolean(b) => J::Bool(*b),
        ScalarValue::Uint(u) => J::from(*u),
        ScalarValue::Int(i) => J::from(*i),
        ScalarValue::F64(f) => J::from(*f),
        ScalarValue::Str(t) => J::String(t.to_string()),
        // Schema 1: a list or nested object as one JSON value.
        ScalarValue::Bytes(b) => {
            serde_json::from_slice(b).map_err(|_| "bytes that are not JSON")?
        }
        _ => return Err("a kind of value no record holds"),
    })
}

pub(super) fn json_to_scalar(v: &J) -> ScalarValue {
    match v {
        J::Bool(b) => ScalarValue::Boolean(*b),
        J::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => ScalarValue::Uint(u),
            (_, Some(i), _) => ScalarValue::Int(i),
            (_, _, f) => ScalarValue::F64(f.unwrap_or_default()),
        },
        J::String(t) => ScalarValue::Str(t.as_str().into()),
        J::Null | J::Array(_) | J::Object(_) => ScalarValue::Null,
    }
}

/// A value as the officer reads it in a conflict or the history: text as
/// it is, numbers as digits, lists and objects as JSON.
pub(super) fn json_text(v: &J) -> String {
    match v {
        J::String(t) => t.clone(),
        // serde_json writes 35.0; the screens read 35.
        J::Number(n) if n.is_f64() => n.as_f64().unwrap_or_default().to_string(),
        other => other.to_string(),
    }
}

pub(super) fn value_text(doc: &AutoCommit, value: &Value<'_>, id: &ObjId) -> String {
    read_json(doc, value, id, 0)
        .map(|v| json_text(&v))
        .unwrap_or_default()
}

/// Writes a JSON value at `key` of a map: a scalar, or a new object
/// holding the whole value.
pub(super) fn put_json(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: &J,
) -> Result<(), AutomergeError> {
    write_json(doc, obj, Slot::Key(key), value)
}

/// Where a value goes: a key of a map, or a new place in a list.
#[derive(Clone, Copy)]
enum Slot<'a> {
    Key(&'a str),
    Insert(usize),
}

fn write_json(
    doc: &mut AutoCommit,
    obj: &ObjId,
    slot: Slot<'_>,
    value: &J,
) -> Result<(), AutomergeError> {
    let new_object = |doc: &mut AutoCommit, kind| match slot {
        Slot::Key(key) => doc.put_object(obj, key, kind),
        Slot::Insert(index) => doc.insert_object(obj, index, kind),
    };
    match value {
        J::Array(items) => {
            let list = new_object(doc, ObjType::List)?;
            for (i, v) in items.iter().enumerate() {
                write_json(doc, &list, Slot::Insert(i), v)?;
            }
            Ok(())
        }
        J::Object(fields) => {
            let map = new_object(doc, ObjType::Map)?;
            fill_map(doc, &map, fields)
        }
        scalar => match slot {
            Slot::Key(key) => doc.put(obj, key, json_to_scalar(scalar)),
            Slot::Insert(index) => doc.insert(obj, index, json_to_scalar(scalar)),
        },
    }
}

fn fill_map(
    doc: &mut AutoCommit,
    map: &ObjId,
    fields: &Map<String, J>,
) -> Result<(), AutomergeError> {
    for (k, v) in fields {
        put_json(doc, map, k, v)?;
    }
    Ok(())
}

/// Writes `value` at `key` unless the value there already reads as it. An
/// unchanged value is not written even when the field is in conflict:
/// settling a conflict is an officer's decision, not a side effect of
/// saving another field.
pub(super) fn put_if_changed(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: &J,
) -> Result<(), AutomergeError> {
    let same = match doc.get(obj, key) {
        Ok(Some((current, id))) => read_json(doc, &current, &id, 0).as_ref() == Ok(value),
        _ => false,
    };
    if !same {
        put_json(doc, obj, key, value)?;
    }
    Ok(())
}

/// One occurrence of a list item: its fields as read, and where it lives
/// (`None` for an item of a schema-1 JSON value).
pub(super) struct Item {
    pub id: String,
    pub fields: Map<String, J>,
    pub obj: Option<ObjId>,
    /// The operation that wrote the item: its map's creation, or the
    /// schema-1 JSON value holding it.
    pub origin: ObjId,
}

const NOT_A_LIST: &str = "a list was expected";
const BAD_ITEM: &str = "a list item that is not an object with its id";

/// Every occurrence of every item at `field`, the winning value's first.
/// Usually one list with each id once; after two devices migrated at
/// different heads, or an old app edited beside a migration, several
/// values, and an id may appear in more than one.
pub(super) fn items(
    doc: &AutoCommit,
    doc_id: &str,
    field: &str,
    id_key: &str,
    uuid: bool,
) -> Result<Vec<Item>, &'static str> {
    let values = doc.get_all(ROOT, field).map_err(|_| NOT_A_LIST)?;
    let mut out = Vec::new();
    // get_all lists concurrent values oldest operation first; `get` (what
    // a single value reads as) is the last.
    for (value, vid) in values.iter().rev() {
        if let Value::Object(ObjType::List) = value {
            for i in 0..doc.length(vid) {
                let Ok(Some((item, obj))) = doc.get(vid, i) else {
                    return Err(BAD_ITEM);
                };
                let J::Object(fields) = read_json(doc, &item, &obj, 1)? else {
                    return Err(BAD_ITEM);
                };
                out.push(identified(
                    doc_id,
                    field,
                    id_key,
                    uuid,
                    i,
                    fields,
                    (Some(obj.clone()), obj),
                )?);
            }
        } else {
            let J::Array(list) = read_json(doc, value, vid, 0)? else {
                return Err(NOT_A_LIST);
            };
            for (i, item) in list.into_iter().enumerate() {
                let J::Object(fields) = item else {
                    return Err(BAD_ITEM);
                };
                out.push(identified(
                    doc_id,
                    field,
                    id_key,
                    uuid,
                    i,
                    fields,
                    (None, vid.clone()),
                )?);
            }
        }
    }
    Ok(out)
}

/// An item with its id; schema-1 items have none, and get one derived from
/// the document, the field and their place, so every device (and the
/// migration) names them alike.
fn identified(
    doc_id: &str,
    field: &str,
    id_key: &str,
    uuid: bool,
    index: usize,
    mut fields: Map<String, J>,
    (obj, origin): (Option<ObjId>, ObjId),
) -> Result<Item, &'static str> {
    let given = fields
        .get(id_key)
        .and_then(J::as_str)
        .filter(|id| !uuid || Uuid::parse_str(id).is_ok_and(|u| !u.is_nil()))
        .map(str::to_owned);
    let id = match given {
        Some(id) => id,
        None if uuid => {
            let id = derived_id(doc_id, field, index).to_string();
            fields.insert(id_key.to_owned(), J::String(id.clone()));
            id
        }
        None => return Err(BAD_ITEM),
    };
    Ok(Item {
        id,
        fields,
        obj,
        origin,
    })
}

fn derived_id(doc_id: &str, field: &str, index: usize) -> Uuid {
    let digest = Sha256::new()
        .chain_update(b"pcmt list item\0")
        .chain_update(doc_id.as_bytes())
        .chain_update([0])
        .chain_update(field.as_bytes())
        .chain_update((index as u64).to_le_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Each item once, in order, as the winning occurrence has it.
pub(super) fn view(items: &[Item]) -> Vec<&Item> {
    let mut seen = HashSet::new();
    items
        .iter()
        .filter(|i| seen.insert(i.id.as_str()))
        .collect()
}

/// The codes of a set field, in their places (ties by code). Schema 1 held
/// them as a JSON list; several values are read as their union.
pub(super) fn set_members(doc: &AutoCommit, field: &str) -> Result<Vec<String>, &'static str> {
    let values = doc.get_all(ROOT, field).map_err(|_| NOT_A_LIST)?;
    let mut members: Vec<(u64, String)> = Vec::new();
    for (value, vid) in values.iter().rev() {
        let found: Vec<(u64, String)> = if let Value::Object(ObjType::Map) = value {
            doc.keys(vid)
                .map(|code| {
                    let place = match doc.get(vid, code.as_str()) {
                        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                            ScalarValue::Uint(n) => *n,
                            ScalarValue::Int(n) => (*n).max(0) as u64,
                            _ => 0,
                        },
                        _ => 0,
                    };
                    (place, code)
                })
                .collect()
        } else {
            let J::Array(list) = read_json(doc, value, vid, 0)? else {
                return Err(NOT_A_LIST);
            };
            list.into_iter()
                .enumerate()
                .map(|(i, code)| match code {
                    J::String(code) => Ok((i as u64, code)),
                    _ => Err("a list of codes holding something else"),
                })
                .collect::<Result<_, _>>()?
        };
        for (place, code) in found {
            if !members.iter().any(|(_, c)| *c == code) {
                members.push((place, code));
            }
        }
    }
    members.sort();
    Ok(members.into_iter().map(|(_, code)| code).collect())
}

/// The items of a list field no record type carries (attachments, moves)
/// as `T`s, in list order; an item this version cannot read (a newer
/// app's) is left out, and a document without the field has none.
pub(super) fn read_items<T: serde::de::DeserializeOwned>(
    doc: &AutoCommit,
    field: &str,
    layout: ListLayout,
) -> Result<Vec<T>, DocError> {
    let doc_id = super::header::get_str(doc, super::header::ID_KEY).unwrap_or_default();
    let J::Array(items) = read_list(doc, &doc_id, field, layout)
        .map_err(|what| DocError::Body(format!("field `{field}`: {what}")))?
    else {
        return Ok(Vec::new());
    };
    Ok(items
        .into_iter()
        .filter_map(|item| serde_json::from_value(item).ok())
        .collect())
}

/// A list field as the record reads it.
pub(super) fn read_list(
    doc: &AutoCommit,
    doc_id: &str,
    field: &str,
    layout: ListLayout,
) -> Result<J, &'static str> {
    Ok(match layout {
        ListLayout::Items { id, uuid } => J::Array(
            view(&items(doc, doc_id, field, id, uuid)?)
                .into_iter()
                .map(|i| J::Object(i.fields.clone()))
                .collect(),
        ),
        ListLayout::Set => J::Array(
            set_members(doc, field)?
                .into_iter()
                .map(J::String)
                .collect(),
        ),
    })
}

/// The one object a list field should hold, if it holds exactly that.
fn single(doc: &AutoCommit, field: &str, kind: ObjType) -> Option<ObjId> {
    match doc.get_all(ROOT, field).ok()?.as_slice() {
        [(Value::Object(t), id)] if *t == kind => Some(id.clone()),
        _ => None,
    }
}

fn layout_type(layout: ListLayout) -> ObjType {
    match layout {
        ListLayout::Items { .. } => ObjType::List,
        ListLayout::Set => ObjType::Map,
    }
}

/// Makes a list field one object of its layout again, holding what it
/// reads as: every occurrence of every item (an id seen twice stays twice,
/// so values that differ stay a conflict to settle), or every code. Used by
/// the migration, and before a write when the field holds several values.
/// A field that does not read is left for the write to replace.
pub(super) fn normalise(
    doc: &mut AutoCommit,
    doc_id: &str,
    field: &str,
    layout: ListLayout,
) -> Result<(), AutomergeError> {
    let present = doc.get_all(ROOT, field).is_ok_and(|v| !v.is_empty());
    if !present || single(doc, field, layout_type(layout)).is_some() {
        return Ok(());
    }
    match layout {
        ListLayout::Items { id, uuid } => {
            let Ok(all) = items(doc, doc_id, field, id, uuid) else {
                return Ok(());
            };
            let list = doc.put_object(ROOT, field, ObjType::List)?;
            for (i, item) in all.iter().enumerate() {
                let map = doc.insert_object(&list, i, ObjType::Map)?;
                fill_map(doc, &map, &item.fields)?;
            }
        }
        ListLayout::Set => {
            let Ok(codes) = set_members(doc, field) else {
                return Ok(());
            };
            let map = doc.put_object(ROOT, field, ObjType::Map)?;
            for (i, code) in codes.iter().enumerate() {
                doc.put(&map, code.as_str(), ScalarValue::Uint(i as u64))?;
            }
        }
    }
    Ok(())
}

fn body_error(field: &str, what: &str) -> DocError {
    DocError::Body(format!("field `{field}`: {what}"))
}

fn am(e: AutomergeError) -> DocError {
    DocError::Body(e.to_string())
}

/// Writes a list field from the record's value: only what changed, item by
/// item and field by field; new items inserted after the item before them,
/// removed ones deleted. Never the whole list, except into a record that
/// has none yet.
pub(super) fn write_list(
    doc: &mut AutoCommit,
    doc_id: &str,
    field: &str,
    layout: ListLayout,
    value: J,
) -> Result<(), DocError> {
    let J::Array(values) = value else {
        return Err(body_error(field, NOT_A_LIST));
    };
    match layout {
        ListLayout::Items { id, uuid } => {
            let mut input = values
                .into_iter()
                .map(|v| match v {
                    J::Object(fields) => Ok(fields),
                    _ => Err(body_error(field, BAD_ITEM)),
                })
                .collect::<Result<Vec<_>, _>>()?;
            if uuid {
                give_ids(&mut input, id);
            }
            write_items(doc, doc_id, field, id, uuid, &input)
        }
        ListLayout::Set => {
            let codes = values
                .into_iter()
                .map(|v| match v {
                    J::String(code) => Ok(code),
                    _ => Err(body_error(field, "a list of codes holding something else")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            write_set(doc, field, &codes).map_err(am)
        }
    }
}

/// A new item (no id, as the form sends it) or a copy of another's id gets
/// a fresh one.
fn give_ids(input: &mut [Map<String, J>], id_key: &str) {
    let mut seen = HashSet::new();
    for item in input {
        let id = item
            .get(id_key)
            .and_then(J::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
            .filter(|u| !u.is_nil() && seen.insert(*u));
        if id.is_none() {
            let fresh = Uuid::new_v4();
            seen.insert(fresh);
            item.insert(id_key.to_owned(), J::String(fresh.to_string()));
        }
    }
}

fn id_of<'a>(item: &'a Map<String, J>, id_key: &str) -> &'a str {
    item.get(id_key).and_then(J::as_str).unwrap_or_default()
}

fn write_items(
    doc: &mut AutoCommit,
    doc_id: &str,
    field: &str,
    id_key: &str,
    uuid: bool,
    input: &[Map<String, J>],
) -> Result<(), DocError> {
    let Some(list) = single(doc, field, ObjType::List) else {
        let list = doc.put_object(ROOT, field, ObjType::List).map_err(am)?;
        for (i, item) in input.iter().enumerate() {
            let map = doc.insert_object(&list, i, ObjType::Map).map_err(am)?;
            fill_map(doc, &map, item).map_err(am)?;
        }
        return Ok(());
    };
    let held = items(doc, doc_id, field, id_key, uuid).map_err(|w| body_error(field, w))?;
    let mut before: Option<&str> = None;
    for item in input {
        let id = id_of(item, id_key);
        let occurrences: Vec<&Item> = held.iter().filter(|h| h.id == id).collect();
        match occurrences.first() {
            // A field the officer changed is written into every occurrence
            // of the item; one left as shown is not, so a conflict stays.
            Some(current) => {
                // An item stored without a usable id (another
                // implementation's) keeps the one it was read with, or it
                // could not be found again.
                for obj in occurrences.iter().filter_map(|o| o.obj.as_ref()) {
                    if stored_id(doc, obj, id_key).as_deref() != Some(id) {
                        put_json(doc, obj, id_key, &J::String(id.to_owned())).map_err(am)?;
                    }
                }
                for (key, value) in item {
                    if current.fields.get(key) != Some(value) {
                        for obj in occurrences.iter().filter_map(|o| o.obj.as_ref()) {
                            put_json(doc, obj, key, value).map_err(am)?;
                        }
                    }
                }
            }
            None => {
                let at = match before {
                    None => 0,
                    Some(prev) => position(doc, &list, id_key, prev)
                        .map_or_else(|| doc.length(&list), |i| i + 1),
                };
                let map = doc.insert_object(&list, at, ObjType::Map).map_err(am)?;
                fill_map(doc, &map, item).map_err(am)?;
            }
        }
        before = Some(id);
    }
    let kept: HashSet<&str> = input.iter().map(|i| id_of(i, id_key)).collect();
    for i in (0..doc.length(&list)).rev() {
        if id_at(doc, &list, i, id_key).is_some_and(|id| !kept.contains(id.as_str())) {
            doc.delete(&list, i).map_err(am)?;
        }
    }
    drop_agreeing_copies(doc, doc_id, field, id_key, uuid).map_err(am)
}

fn id_at(doc: &AutoCommit, list: &ObjId, index: usize, id_key: &str) -> Option<String> {
    let (_, item) = doc.get(list, index).ok()??;
    stored_id(doc, &item, id_key)
}

fn stored_id(doc: &AutoCommit, item: &ObjId, id_key: &str) -> Option<String> {
    match doc.get(item, id_key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(t) => Some(t.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn position(doc: &AutoCommit, list: &ObjId, id_key: &str, id: &str) -> Option<usize> {
    (0..doc.length(list)).find(|&i| id_at(doc, list, i, id_key).as_deref() == Some(id))
}

/// An item held twice (two migrations of one record, an officer's settled
/// conflict) whose copies now agree is kept once: the later copies go.
fn drop_agreeing_copies(
    doc: &mut AutoCommit,
    doc_id: &str,
    field: &str,
    id_key: &str,
    uuid: bool,
) -> Result<(), AutomergeError> {
    let Some(list) = single(doc, field, ObjType::List) else {
        return Ok(());
    };
    let Ok(held) = items(doc, doc_id, field, id_key, uuid) else {
        return Ok(());
    };
    let unsettled: HashSet<String> = item_conflicts(doc, field, id_key, &held)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut seen = HashSet::new();
    let copies: Vec<usize> = held
        .iter()
        .enumerate()
        .filter(|(_, item)| !seen.insert(item.id.as_str()) && !unsettled.contains(&item.id))
        .map(|(i, _)| i)
        .collect();
    for i in copies.into_iter().rev() {
        doc.delete(&list, i)?;
    }
    Ok(())
}

fn write_set(doc: &mut AutoCommit, field: &str, codes: &[String]) -> Result<(), AutomergeError> {
    let map = match single(doc, field, ObjType::Map) {
        Some(map) => map,
        None => doc.put_object(ROOT, field, ObjType::Map)?,
    };
    for (i, code) in codes.iter().enumerate() {
        let place = ScalarValue::Uint(i as u64);
        let same =
            matches!(doc.get(&map, code.as_str()), Ok(Some((Value::Scalar(s), _))) if *s == place);
        if !same {
            doc.put(&map, code.as_str(), place)?;
        }
    }
    let gone: Vec<String> = doc.keys(&map).filter(|k| !codes.contains(k)).collect();
    for code in gone {
        doc.delete(&map, code.as_str())?;
    }
    Ok(())
}

/// A field holding more than one value (xung đột): each distinct value as
/// text, with the operations that wrote it, so that who wrote which can be
/// looked up in the changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Clash {
    pub field: String,
    pub values: Vec<(String, Vec<ObjId>)>,
}

impl Clash {
    pub fn new(field: String) -> Self {
        Clash {
            field,
            values: Vec::new(),
        }
    }

    /// The same value written twice (two devices' migrations, two officers
    /// typing the same figure) leaves nothing to choose: it is one value
    /// with two writers.
    pub fn add(&mut self, text: String, op: ObjId) {
        match self.values.iter_mut().find(|(t, _)| *t == text) {
            Some((_, ops)) => ops.push(op),
            None => self.values.push((text, vec![op])),
        }
    }

    pub fn is_real(&self) -> bool {
        self.values.len() > 1
    }
}

/// The fields of items that hold more than one value, by item id: two
/// values written concurrently into one item, or copies of one item that
/// differ. Named `field/id/key`.
pub(super) fn item_conflicts(
    doc: &AutoCommit,
    field: &str,
    id_key: &str,
    held: &[Item],
) -> Vec<(String, Clash)> {
    let mut out = Vec::new();
    for first in view(held) {
        let mut values: BTreeMap<String, Clash> = BTreeMap::new();
        let mut add = |key: &str, text: String, op: ObjId| {
            values
                .entry(key.to_owned())
                .or_insert_with(|| Clash::new(format!("{field}/{}/{key}", first.id)))
                .add(text, op);
        };
        for occurrence in held.iter().filter(|h| h.id == first.id) {
            match &occurrence.obj {
                Some(obj) => {
                    for key in doc.keys(obj) {
                        for (v, vid) in doc.get_all(obj, key.as_str()).unwrap_or_default() {
                            let text = value_text(doc, &v, &vid);
                            add(&key, text, vid);
                        }
                    }
                }
                None => {
                    for (key, v) in &occurrence.fields {
                        add(key, json_text(v), occurrence.origin.clone());
                    }
                }
            }
        }
        for (key, clash) in values {
            if key != id_key && clash.is_real() {
                out.push((first.id.clone(), clash));
            }
        }
    }
    out
}

/// Settles `key` of the item `id` of a list field with `value`, in every
/// copy of the item; copies that then agree are kept once.
pub(super) fn resolve_item(
    doc: &mut AutoCommit,
    doc_id: &str,
    field: &str,
    (id_key, uuid): (&str, bool),
    id: &str,
    key: &str,
    text: &str,
) -> Result<(), DocError> {
    let held = items(doc, doc_id, field, id_key, uuid).map_err(|w| body_error(field, w))?;
    let objs: Vec<ObjId> = held
        .iter()
        .filter(|h| h.id == id)
        .filter_map(|h| h.obj.clone())
        .collect();
    let mut current = Vec::new();
    for obj in &objs {
        for (v, vid) in doc.get_all(obj, key).unwrap_or_default() {
            current.push(read_json(doc, &v, &vid, 0).unwrap_or(J::Null));
        }
    }
    if objs.is_empty() || key == id_key {
        return Err(DocError::BadValue("field"));
    }
    let value = typed(&current, text)?;
    for obj in &objs {
        put_json(doc, obj, key, &value).map_err(am)?;
    }
    drop_agreeing_copies(doc, doc_id, field, id_key, uuid).map_err(am)
}

/// The officer's text as a value of the type the conflicting values have:
/// a count stays a number, a list or point stays one.
pub(super) fn typed(current: &[J], text: &str) -> Result<J, DocError> {
    let all = |f: fn(&J) -> bool| !current.is_empty() && current.iter().all(f);
    let bad = || DocError::BadValue("value");
    if all(|v| v.is_u64() || v.is_i64()) {
        return text.trim().parse::<u64>().map(J::from).map_err(|_| bad());
    }
    if all(J::is_number) {
        let f: f64 = text.trim().replace(',', ".").parse().map_err(|_| bad())?;
        return serde_json::Number::from_f64(f)
            .map(J::Number)
            .ok_or_else(bad);
    }
    if all(J::is_boolean) {
        return text.trim().parse::<bool>().map(J::Bool).map_err(|_| bad());
    }
    if all(|v| v.is_array() || v.is_object()) {
        return serde_json::from_str(text).map_err(|_| bad());
    }
    Ok(J::String(text.to_owned()))
}
