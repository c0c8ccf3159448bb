//! How a record lives in its Automerge document.
//!
//! Each field is its own key at the document root, so two officers editing
//! different fields merge cleanly, and two editing the same field leave both
//! values in the document (a conflict to show, never to hide). An update
//! writes only the fields whose value changed, for the same reason. From
//! schema 2 the same holds inside lists: each site, status span and
//! audience group is an object of its own and topics are a set
//! ([`body`]); documents of schema 1 read as they are and are migrated
//! before a write ([`migrate`]).

pub mod attachments;
mod body;
mod header;
mod items;
#[cfg(test)]
mod list_tests;
pub mod marks;
mod migrate;
pub mod moves;

pub use body::{list_layout, ListLayout};
use header::{get_str, HEADER_KEYS};
pub use header::{read_header, DocError, Header, DELETED_KEY, ID_KEY, KIND_KEY, SCHEMA_KEY};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjId, PatchAction, ReadDoc, ScalarValue, Value, ROOT};
use pcmt_model::api::{
    ConflictValue, FieldConflict, FieldValue, HistoryEntry, Writer, ITEM_ADDED, ITEM_REMOVED,
};
use pcmt_model::{
    CheckInInput, HotSpotInput, Labelled, PersonInput, RecordKind, SessionInput, SurveyInput,
    SCHEMA_VERSION,
};
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

/// Who made a change, written into the change's commit message so that
/// history can be shown field by field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeNote {
    pub officer: String,
}

/// A record's document as stored, uncompressed: the stored length is then
/// the record's whole size, which [`crate::sync::limits`] bounds as changes
/// arrive, and opening it inflates nothing.
pub fn save(doc: &mut AutoCommit) -> Vec<u8> {
    doc.save_nocompress()
}

/// Loads a stored document. Automerge 0.12 panics loading some documents
/// it saved (two operations sharing an id: see
/// `sync::limits::apply_untrusted`, which now refuses the changes that
/// make them); a hub or tablet may hold one saved before, and one record
/// must not take the app or the hub down with it: it does not load.
pub fn load(bytes: &[u8]) -> Result<AutoCommit, DocError> {
    std::panic::catch_unwind(|| AutoCommit::load(bytes))
        .map_err(|_| DocError::Load("Automerge failed loading it".into()))?
        .map_err(|e| DocError::Load(e.to_string()))
}

/// A record kind stored as one document. The body is the record's serde
/// form: each top-level field becomes one root key.
pub trait Record: Serialize + DeserializeOwned {
    const KIND: RecordKind;
}

impl Record for SessionInput {
    const KIND: RecordKind = RecordKind::Session;
}

impl Record for PersonInput {
    const KIND: RecordKind = RecordKind::Person;
}

impl Record for CheckInInput {
    const KIND: RecordKind = RecordKind::CheckIn;
}

impl Record for SurveyInput {
    const KIND: RecordKind = RecordKind::Survey;
}

impl Record for HotSpotInput {
    const KIND: RecordKind = RecordKind::HotSpot;
}

/// Makes the document of a new record owned by `commune` (a check-in has no
/// commune field of its own: it belongs to the person's).
pub fn new_record<R: Record>(
    id: Uuid,
    commune: &str,
    record: &R,
    actor: ActorId,
    note: &ChangeNote,
    time: i64,
) -> Result<AutoCommit, DocError> {
    let mut doc = with_header::<R>(id, commune, actor, SCHEMA_VERSION);
    write_body(&mut doc, record)?;
    commit(&mut doc, note, time);
    Ok(doc)
}

fn with_header<R: Record>(id: Uuid, commune: &str, actor: ActorId, schema: u64) -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(actor);
    put_scalar(&mut doc, ID_KEY, id.to_string());
    put_scalar(&mut doc, KIND_KEY, R::KIND.code());
    put_scalar(&mut doc, SCHEMA_KEY, ScalarValue::Uint(schema));
    put_scalar(&mut doc, "commune", commune);
    doc
}

/// Applies an officer's edit: only the fields that changed are written,
/// and of a list only the items and item fields that changed. A document
/// of schema 1 is migrated first. Returns false when nothing changed (no
/// empty change is committed; a migration alone is not kept either: it is
/// made again, identical, by the next write).
pub fn update_record<R: Record>(
    doc: &mut AutoCommit,
    record: &R,
    note: &ChangeNote,
    time: i64,
) -> Result<bool, DocError> {
    prepare(doc)?;
    write_body(doc, record)?;
    if doc.pending_ops() == 0 {
        return Ok(false);
    }
    commit(doc, note, time);
    Ok(true)
}

/// Before an officer's write: the migration to this schema (its own
/// change), then each list field made one object again if it holds
/// several (part of the officer's change).
pub(crate) fn prepare(doc: &mut AutoCommit) -> Result<(), DocError> {
    migrate::migrate(doc)?;
    let header = read_header(doc)?;
    let doc_id = header.id.to_string();
    let keys: Vec<String> = doc.keys(ROOT).collect();
    for key in keys {
        if let Some(layout) = body::list_layout(header.kind, &key) {
            body::normalise(doc, &doc_id, &key, layout)
                .map_err(|e| DocError::Body(e.to_string()))?;
        }
    }
    Ok(())
}

/// Reads the body back into its type; a field the type does not know (from
/// a later minor version) is ignored, a field it needs and lacks is an error.
/// Both schemas read: schema 1's JSON values and schema 2's lists and maps.
pub fn read_record<R: Record>(doc: &AutoCommit) -> Result<R, DocError> {
    let doc_id = get_str(doc, ID_KEY).unwrap_or_default();
    let mut fields = serde_json::Map::new();
    for key in doc.keys(ROOT) {
        if HEADER_KEYS.contains(&key.as_str()) {
            continue;
        }
        let value = match body::list_layout(R::KIND, &key) {
            Some(layout) => body::read_list(doc, &doc_id, &key, layout),
            None => match doc.get(ROOT, key.as_str()) {
                Ok(Some((v, id))) => body::read_json(doc, &v, &id, 0),
                _ => continue,
            },
        };
        fields.insert(key.clone(), value.map_err(|what| body_error(&key, what))?);
    }
    serde_path_to_error::deserialize(serde_json::Value::Object(fields)).map_err(|e| {
        let missing = e.inner().to_string();
        if missing.starts_with("missing field") {
            // The name comes from the record's type, not from the data.
            body_error(&e.path().to_string(), &missing)
        } else {
            body_error(&e.path().to_string(), "a value its type cannot take")
        }
    })
}

/// A body that does not read back, by the field and what is wrong with it
/// in the hub's own words: serde's messages quote the value (a name, a
/// phone number), and these errors reach logs.
fn body_error(field: &str, what: &str) -> DocError {
    DocError::Body(format!("field `{field}`: {what}"))
}

fn write_body<R: Record>(doc: &mut AutoCommit, record: &R) -> Result<(), DocError> {
    let serde_json::Value::Object(fields) =
        serde_json::to_value(record).map_err(|e| DocError::Body(e.to_string()))?
    else {
        return Err(DocError::Body(
            "a record must serialize to an object".into(),
        ));
    };
    let doc_id = get_str(doc, ID_KEY)?;
    for (key, value) in fields {
        if HEADER_KEYS.contains(&key.as_str()) {
            continue;
        }
        match body::list_layout(R::KIND, &key) {
            Some(layout) => body::write_list(doc, &doc_id, &key, layout, value)?,
            None => body::put_if_changed(doc, &ROOT, &key, &value)
                .map_err(|e| DocError::Body(e.to_string()))?,
        }
    }
    Ok(())
}

/// Marks a record deleted (tombstone) or restores it. The document stays, so
/// the delete syncs like any edit and can be undone.
pub fn set_deleted(doc: &mut AutoCommit, deleted: bool, note: &ChangeNote, time: i64) -> bool {
    // A document that does not migrate (a header this version refuses) is
    // still deleted: the flag is all this writes.
    let _ = migrate::migrate(doc);
    let _ = body::put_if_changed(doc, &ROOT, DELETED_KEY, &serde_json::Value::Bool(deleted));
    if doc.pending_ops() == 0 {
        return false;
    }
    commit(doc, note, time);
    true
}

pub fn is_deleted(doc: &AutoCommit) -> bool {
    matches!(doc.get(ROOT, DELETED_KEY), Ok(Some((Value::Scalar(s), _))) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
}

/// The kind a document says it is, leniently: conflicts and history are
/// shown even for a header this version would refuse.
fn kind_of(doc: &AutoCommit) -> Option<RecordKind> {
    RecordKind::from_code(&get_str(doc, KIND_KEY).ok()?)
}

/// Fields holding more than one concurrent value: a root field (`attendees`),
/// or one field of one item of a list (`sites/<id>/plant_count`). A set's
/// codes never conflict: each officer's codes are kept. Without who wrote
/// each value: see [`conflicts_with_writers`].
pub fn conflicts(doc: &AutoCommit) -> Vec<FieldConflict> {
    described(clashes(doc), |_| None)
}

/// [`conflicts`], each value with the officer, tablet and time of every
/// change that wrote it, read from the changes' metadata.
pub fn conflicts_with_writers(doc: &mut AutoCommit) -> Vec<FieldConflict> {
    let clashes = clashes(doc);
    if clashes.is_empty() {
        return Vec::new();
    }
    let metas = doc.get_changes_meta(&[]);
    described(clashes, |op| {
        let ObjId::Id(counter, actor, _) = op else {
            return None;
        };
        let meta = metas.iter().find(|m| {
            m.actor.as_ref() == actor && m.start_op <= *counter && *counter <= m.max_op
        })?;
        Some(Writer {
            officer: officer_of(meta.message.as_deref()),
            device: meta.actor.to_hex_string(),
            time: meta.timestamp,
        })
    })
}

/// Clashes as the officer is shown them, each value with the writers
/// `writer` finds for the operations that wrote it.
fn described(
    clashes: Vec<body::Clash>,
    writer: impl Fn(&ObjId) -> Option<Writer>,
) -> Vec<FieldConflict> {
    clashes
        .into_iter()
        .map(|c| FieldConflict {
            field: c.field,
            values: c
                .values
                .into_iter()
                .map(|(text, ops)| ConflictValue {
                    text,
                    writers: ops.iter().filter_map(&writer).collect(),
                })
                .collect(),
        })
        .collect()
}

/// The officer a change's message names; empty for a change no officer
/// made (a migration) or a message this version cannot read.
fn officer_of(message: Option<&str>) -> String {
    message
        .and_then(|m| serde_json::from_str::<ChangeNote>(m).ok())
        .map(|n| n.officer)
        .unwrap_or_default()
}

fn clashes(doc: &AutoCommit) -> Vec<body::Clash> {
    let kind = kind_of(doc);
    let doc_id = get_str(doc, ID_KEY).unwrap_or_default();
    let mut out = Vec::new();
    for key in doc.keys(ROOT) {
        match kind.and_then(|k| body::list_layout(k, &key)) {
            Some(body::ListLayout::Items { id, uuid }) => {
                if let Ok(held) = body::items(doc, &doc_id, &key, id, uuid) {
                    out.extend(
                        body::item_conflicts(doc, &key, id, &held)
                            .into_iter()
                            .map(|(_, c)| c),
                    );
                }
            }
            Some(body::ListLayout::Set) => {}
            None => {
                let mut clash = body::Clash::new(key.clone());
                for (v, id) in doc.get_all(ROOT, key.as_str()).unwrap_or_default() {
                    clash.add(body::value_text(doc, &v, &id), id);
                }
                if clash.is_real() {
                    out.push(clash);
                }
            }
        }
    }
    out
}

/// Settles a conflicted field with `value`: one write that has seen every
/// concurrent value supersedes them all. `field` is a root field or a list
/// item's (`sites/<id>/plant_count`, as [`conflicts`] names it), and only
/// that is written. The value takes the type the conflicting values have
/// (a count stays a number).
pub fn resolve(
    doc: &mut AutoCommit,
    field: &str,
    value: &str,
    note: &ChangeNote,
    time: i64,
) -> Result<(), DocError> {
    prepare(doc)?;
    match field.splitn(3, '/').collect::<Vec<_>>().as_slice() {
        [root] => {
            let current: Vec<serde_json::Value> = doc
                .get_all(ROOT, *root)
                .map_err(|_| DocError::BadValue("field"))?
                .iter()
                .map(|(v, id)| body::read_json(doc, v, id, 0).unwrap_or_default())
                .collect();
            let value = body::typed(&current, value)?;
            body::put_json(doc, &ROOT, root, &value).map_err(|e| DocError::Body(e.to_string()))?;
        }
        [list, id, key] => {
            let header = read_header(doc)?;
            let Some(body::ListLayout::Items { id: id_key, uuid }) =
                body::list_layout(header.kind, list)
            else {
                return Err(DocError::BadValue("field"));
            };
            body::resolve_item(
                doc,
                &header.id.to_string(),
                list,
                (id_key, uuid),
                id,
                key,
                value,
            )?;
        }
        _ => return Err(DocError::BadValue("field")),
    }
    commit(doc, note, time);
    Ok(())
}

/// Every change of the document in causal order, with the fields it set:
/// a root field with its value after the change; inside a list whose items
/// merge one by one, each item added or removed (`sites/<id>` as
/// [`ITEM_ADDED`] or [`ITEM_REMOVED`]) and each field of an item changed
/// (`sites/<id>/plant_count`), so the officer reads what changed rather
/// than a count of items. The migration to a new schema is no one's edit
/// and is left out.
pub fn history(doc: &mut AutoCommit) -> Vec<HistoryEntry> {
    let kind = kind_of(doc);
    let changes = doc.get_changes(&[]);
    changes
        .iter()
        .filter_map(|change| {
            // The migration to a new schema carries no message: no one's edit.
            change.message()?;
            let mut fields: Vec<FieldValue> = Vec::new();
            let mut item_lists: Vec<String> = Vec::new();
            for patch in doc.diff(change.deps(), &[change.hash()]) {
                let (key, scalar) = match (&patch.obj, patch.path.first(), patch.action) {
                    (obj, _, PatchAction::PutMap { key, value, .. }) if *obj == ROOT => {
                        let scalar = matches!(value.0, Value::Scalar(_))
                            .then(|| body::value_text(doc, &value.0, &value.1));
                        (key, scalar)
                    }
                    (_, Some((_, automerge::Prop::Map(key))), _) => (key.clone(), None),
                    _ => continue,
                };
                let items = kind.and_then(|k| body::list_layout(k, &key));
                if let Some(ListLayout::Items { .. }) = items {
                    if !item_lists.contains(&key) {
                        item_lists.push(key);
                    }
                    continue;
                }
                if fields.iter().any(|f| f.field == key) {
                    continue;
                }
                let value = match scalar {
                    Some(text) => text,
                    None => field_text_at(doc, kind, &key, change.hash()),
                };
                fields.push(FieldValue {
                    field: key,
                    value,
                    item: None,
                });
            }
            for list in item_lists {
                fields.extend(item_changes(doc, kind, &list, change));
            }
            Some(HistoryEntry {
                time: change.timestamp(),
                officer: officer_of(change.message()),
                device: change.actor_id().to_hex_string(),
                fields,
            })
        })
        .collect()
}

/// What one change did to the items of a list field, read by comparing the
/// list as it read just before and just after the change: items added,
/// removed, and each field of an item whose value changed.
fn item_changes(
    doc: &mut AutoCommit,
    kind: Option<RecordKind>,
    list: &str,
    change: &automerge::Change,
) -> Vec<FieldValue> {
    let Some(ListLayout::Items { id, uuid }) = kind.and_then(|k| body::list_layout(k, list)) else {
        return Vec::new();
    };
    let read = |doc: &mut AutoCommit, heads: &[automerge::ChangeHash]| {
        let Ok(then) = doc.fork_at(heads) else {
            return Vec::new();
        };
        let doc_id = get_str(&then, ID_KEY).unwrap_or_default();
        body::items(&then, &doc_id, list, id, uuid)
            .map(|held| {
                body::view(&held)
                    .into_iter()
                    .map(|i| (i.id.clone(), i.fields.clone()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let before = read(doc, change.deps());
    let after = read(doc, &[change.hash()]);
    let place = |i: usize| Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
    let mut out = Vec::new();
    for (at, (item, fields)) in after.iter().enumerate() {
        match before.iter().find(|(b, _)| b == item) {
            None => out.push(FieldValue {
                field: format!("{list}/{item}"),
                value: ITEM_ADDED.into(),
                item: place(at),
            }),
            Some((_, was)) => {
                let mut keys: Vec<&String> = fields.keys().chain(was.keys()).collect();
                keys.sort();
                keys.dedup();
                for key in keys {
                    let now = fields.get(key).unwrap_or(&serde_json::Value::Null);
                    if was.get(key).unwrap_or(&serde_json::Value::Null) != now {
                        out.push(FieldValue {
                            field: format!("{list}/{item}/{key}"),
                            value: body::json_text(now),
                            item: place(at),
                        });
                    }
                }
            }
        }
    }
    for (at, (item, _)) in before.iter().enumerate() {
        if after.iter().any(|(a, _)| a == item) {
            continue;
        }
        out.push(FieldValue {
            field: format!("{list}/{item}"),
            value: ITEM_REMOVED.into(),
            item: place(at),
        });
    }
    out
}

/// A list or nested field as it read just after one change.
fn field_text_at(
    doc: &mut AutoCommit,
    kind: Option<RecordKind>,
    key: &str,
    at: automerge::ChangeHash,
) -> String {
    let Ok(then) = doc.fork_at(&[at]) else {
        return String::new();
    };
    let doc_id = get_str(&then, ID_KEY).unwrap_or_default();
    let value = match kind.and_then(|k| body::list_layout(k, key)) {
        Some(layout) => body::read_list(&then, &doc_id, key, layout),
        None => match then.get(ROOT, key) {
            Ok(Some((v, id))) => body::read_json(&then, &v, &id, 0),
            _ => Ok(serde_json::Value::Null),
        },
    };
    value.map(|v| body::json_text(&v)).unwrap_or_default()
}

pub(crate) fn commit(doc: &mut AutoCommit, note: &ChangeNote, time: i64) {
    let message = serde_json::to_string(note).unwrap_or_default();
    doc.commit_with(
        CommitOptions::default()
            .with_message(message)
            .with_time(time),
    );
}

fn put_scalar(doc: &mut AutoCommit, key: &str, value: impl Into<ScalarValue>) {
    // Writing a scalar into the root map of a live document cannot fail.
    let _ = doc.put(ROOT, key, value.into());
}

/// A record's document as schema 1 wrote it (lists and nested objects as
/// JSON in bytes, items without ids), for the tests of migration and of
/// readers that must take both schemas.
#[cfg(any(test, feature = "testing"))]
pub fn schema1_record<R: Record>(id: Uuid, commune: &str, record: &R) -> AutoCommit {
    let mut doc = with_header::<R>(id, commune, ActorId::random(), 1);
    let serde_json::Value::Object(fields) = serde_json::to_value(record).expect("a record") else {
        panic!("a record serializes to an object");
    };
    for (key, mut value) in fields {
        if key == DELETED_KEY {
            continue;
        }
        if let Some(ListLayout::Items { id, uuid: true }) = body::list_layout(R::KIND, &key) {
            for item in value.as_array_mut().into_iter().flatten() {
                item.as_object_mut().map(|m| m.remove(id));
            }
        }
        let scalar = match &value {
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                ScalarValue::Bytes(serde_json::to_vec(&value).expect("JSON"))
            }
            _ => body::json_to_scalar(&value),
        };
        put_scalar(&mut doc, &key, scalar);
    }
    let note = ChangeNote {
        officer: "schema 1".into(),
    };
    commit(&mut doc, &note, 0);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use pcmt_model::{SessionForm, Topic, VenueKind};

    fn input() -> SessionInput {
        SessionInput {
            date: NaiveDate::from_ymd_opt(2026, 6, 26).unwrap(),
            commune: "62-610-23284".into(),
            venue_kind: VenueKind::VillageHall,
            venue_name: "Nhà văn hóa thôn Đăk Ung".into(),
            form: SessionForm::Rally,
            attendees: 80,
            women: 30,
            topics: vec![Topic::NoDrugPlants],
            details: Default::default(),
        }
    }

    fn note() -> ChangeNote {
        ChangeNote {
            officer: "Y Thị Hoa".into(),
        }
    }

    #[test]
    fn a_session_round_trips_through_its_document() {
        let id = Uuid::now_v7();
        let mut doc =
            new_record(id, "62-610-23284", &input(), ActorId::random(), &note(), 1).unwrap();
        let bytes = doc.save();
        let back = load(&bytes).unwrap();
        assert_eq!(read_record::<SessionInput>(&back).unwrap(), input());
        let h = read_header(&back).unwrap();
        assert_eq!(
            (h.id, h.kind, h.commune.as_str()),
            (id, RecordKind::Session, "62-610-23284")
        );
    }

    fn fresh() -> AutoCommit {
        new_record(
            Uuid::now_v7(),
            "62-610-23284",
            &input(),
            ActorId::random(),
            &note(),
            1,
        )
        .unwrap()
    }

    #[test]
    fn an_update_writes_only_changed_fields_and_skips_no_ops() {
        let mut doc = fresh();
        assert!(!update_record(&mut doc, &input(), &note(), 2).unwrap());
        let before = doc.get_heads();
        let edited = SessionInput {
            attendees: 95,
            ..input()
        };
        assert!(update_record(&mut doc, &edited, &note(), 3).unwrap());
        let change = doc.get_changes(&before);
        assert_eq!(change.len(), 1);
        assert_eq!(change[0].len(), 1, "one op: the attendees field");
    }

    #[test]
    fn future_schema_and_garbage_are_refused() {
        let mut doc = fresh();
        doc.put(ROOT, SCHEMA_KEY, ScalarValue::Uint(SCHEMA_VERSION + 1))
            .unwrap();
        assert_eq!(
            read_header(&doc),
            Err(DocError::FutureSchema(SCHEMA_VERSION + 1))
        );
        assert!(matches!(load(b"not automerge"), Err(DocError::Load(_))));
    }

    #[test]
    fn a_body_that_does_not_read_back_names_its_field_never_its_value() {
        let secret = "Nguyễn Văn Bảy 0912345678";
        let kinds = [
            ("attendees", ScalarValue::Str(secret.into())),
            ("venue_kind", ScalarValue::Str(secret.into())),
            ("topics", ScalarValue::Str(secret.into())),
            ("topics", ScalarValue::Bytes(secret.as_bytes().to_vec())),
            ("attendees", ScalarValue::Timestamp(912_345_678)),
        ];
        for (field, value) in kinds {
            let mut doc = fresh();
            doc.put(ROOT, field, value.clone()).unwrap();
            let error = read_record::<SessionInput>(&doc).unwrap_err().to_string();
            assert!(error.contains(field), "{field} {value:?}: {error}");
            assert!(
                !error.contains("Nguyễn") && !error.contains("912345678"),
                "{field} {value:?}: {error}"
            );
        }
    }
}
