//! How a record lives in its Automerge document.
//!
//! Each field is its own key at the document root, so two officers editing
//! different fields merge cleanly, and two editing the same field leave both
//! values in the document (a conflict to show, never to hide). An update
//! writes only the fields whose value changed, for the same reason.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, PatchAction, ReadDoc, ScalarValue, Value, ROOT};
use pcmt_model::api::{FieldConflict, FieldValue, HistoryEntry};
use pcmt_model::{
    CheckInInput, Labelled, PersonInput, RecordKind, SessionInput, SurveyInput, SCHEMA_VERSION,
};
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

/// What every record document carries at its root, whatever its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub id: Uuid,
    pub kind: RecordKind,
    pub schema: u64,
    pub commune: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    #[error("not an Automerge document: {0}")]
    Load(String),
    #[error("field `{0}` is missing")]
    Missing(&'static str),
    #[error("field `{0}` has an unexpected value")]
    BadValue(&'static str),
    #[error("schema version {0} is newer than this app's")]
    FutureSchema(u64),
    #[error("the record's fields do not read back: {0}")]
    Body(String),
}

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

pub fn load(bytes: &[u8]) -> Result<AutoCommit, DocError> {
    AutoCommit::load(bytes).map_err(|e| DocError::Load(e.to_string()))
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

/// Root keys every document carries besides its body. The `@` keeps them
/// apart from body fields (a survey has a `kind` of its own).
pub const ID_KEY: &str = "@id";
pub const KIND_KEY: &str = "@kind";
pub const SCHEMA_KEY: &str = "@schema";
pub const DELETED_KEY: &str = "@deleted";
const HEADER_KEYS: &[&str] = &[ID_KEY, KIND_KEY, SCHEMA_KEY, DELETED_KEY];

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
    let mut doc = AutoCommit::new().with_actor(actor);
    put_scalar(&mut doc, ID_KEY, id.to_string());
    put_scalar(&mut doc, KIND_KEY, R::KIND.code());
    put_scalar(&mut doc, SCHEMA_KEY, ScalarValue::Uint(SCHEMA_VERSION));
    put_scalar(&mut doc, "commune", commune);
    write_body(&mut doc, record)?;
    commit(&mut doc, note, time);
    Ok(doc)
}

/// Applies an officer's edit: only the fields that changed are written.
/// Returns false when nothing changed (no empty change is committed).
pub fn update_record<R: Record>(
    doc: &mut AutoCommit,
    record: &R,
    note: &ChangeNote,
    time: i64,
) -> Result<bool, DocError> {
    write_body(doc, record)?;
    if doc.pending_ops() == 0 {
        return Ok(false);
    }
    commit(doc, note, time);
    Ok(true)
}

/// Reads the body back into its type; a field the type does not know (from
/// a later minor version) is ignored, a field it needs and lacks is an error.
pub fn read_record<R: Record>(doc: &AutoCommit) -> Result<R, DocError> {
    let mut body = serde_json::Map::new();
    for key in doc.keys(ROOT) {
        if HEADER_KEYS.contains(&key.as_str()) {
            continue;
        }
        if let Ok(Some((Value::Scalar(s), _))) = doc.get(ROOT, key.as_str()) {
            let value = scalar_to_json(&s).map_err(|what| body_error(&key, what))?;
            body.insert(key, value);
        }
    }
    serde_path_to_error::deserialize(serde_json::Value::Object(body)).map_err(|e| {
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
    for (key, value) in fields {
        if !HEADER_KEYS.contains(&key.as_str()) {
            put_if_changed(doc, &key, json_to_scalar(&value));
        }
    }
    Ok(())
}

/// Lists and nested objects are stored as one JSON value in a bytes scalar:
/// the field is the unit of merge and of conflict, as officers see it.
fn json_to_scalar(v: &serde_json::Value) -> ScalarValue {
    use serde_json::Value as J;
    match v {
        J::Null => ScalarValue::Null,
        J::Bool(b) => ScalarValue::Boolean(*b),
        J::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => ScalarValue::Uint(u),
            (_, Some(i), _) => ScalarValue::Int(i),
            (_, _, f) => ScalarValue::F64(f.unwrap_or_default()),
        },
        J::String(t) => ScalarValue::Str(t.as_str().into()),
        J::Array(_) | J::Object(_) => ScalarValue::Bytes(serde_json::to_vec(v).unwrap_or_default()),
    }
}

/// A field's value as JSON; what is wrong with it, if it is not one.
fn scalar_to_json(s: &ScalarValue) -> Result<serde_json::Value, &'static str> {
    use serde_json::Value as J;
    Ok(match s {
        ScalarValue::Null => J::Null,
        ScalarValue::Boolean(b) => J::Bool(*b),
        ScalarValue::Uint(u) => J::from(*u),
        ScalarValue::Int(i) => J::from(*i),
        ScalarValue::F64(f) => J::from(*f),
        ScalarValue::Str(t) => J::String(t.to_string()),
        ScalarValue::Bytes(b) => {
            serde_json::from_slice(b).map_err(|_| "bytes that are not JSON")?
        }
        _ => return Err("a kind of value no record holds"),
    })
}

/// Marks a record deleted (tombstone) or restores it. The document stays, so
/// the delete syncs like any edit and can be undone.
pub fn set_deleted(doc: &mut AutoCommit, deleted: bool, note: &ChangeNote, time: i64) -> bool {
    put_if_changed(doc, DELETED_KEY, ScalarValue::Boolean(deleted));
    if doc.pending_ops() == 0 {
        return false;
    }
    commit(doc, note, time);
    true
}

pub fn is_deleted(doc: &AutoCommit) -> bool {
    matches!(doc.get(ROOT, DELETED_KEY), Ok(Some((Value::Scalar(s), _))) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
}

/// Fields holding more than one concurrent value.
pub fn conflicts(doc: &AutoCommit) -> Vec<FieldConflict> {
    doc.keys(ROOT)
        .filter_map(|key| {
            let values = doc.get_all(ROOT, key.as_str()).ok()?;
            (values.len() > 1).then(|| FieldConflict {
                values: values.iter().map(|(v, _)| value_text(v)).collect(),
                field: key,
            })
        })
        .collect()
}

/// Settles a conflicted field with `value`: one write that has seen every
/// concurrent value supersedes them all. The value takes the type the
/// conflicting values have (a count stays a number).
pub fn resolve(
    doc: &mut AutoCommit,
    field: &str,
    value: &str,
    note: &ChangeNote,
    time: i64,
) -> Result<(), DocError> {
    let current = doc
        .get_all(ROOT, field)
        .map_err(|_| DocError::BadValue("field"))?;
    let numeric = !current.is_empty()
        && current
            .iter()
            .all(|(v, _)| matches!(v, Value::Scalar(s) if matches!(s.as_ref(), ScalarValue::Uint(_) | ScalarValue::Int(_))));
    let scalar = if numeric {
        ScalarValue::Uint(
            value
                .trim()
                .parse()
                .map_err(|_| DocError::BadValue("value"))?,
        )
    } else {
        ScalarValue::Str(value.into())
    };
    put_scalar(doc, field, scalar);
    commit(doc, note, time);
    Ok(())
}

/// Every change of the document in causal order, with the root fields it set.
pub fn history(doc: &mut AutoCommit) -> Vec<HistoryEntry> {
    let changes = doc.get_changes(&[]);
    changes
        .iter()
        .map(|change| {
            let fields = doc
                .diff(change.deps(), &[change.hash()])
                .into_iter()
                .filter(|p| p.obj == ROOT)
                .filter_map(|p| match p.action {
                    PatchAction::PutMap { key, value, .. } => Some(FieldValue {
                        field: key,
                        value: value_text(&value.0),
                    }),
                    _ => None,
                })
                .collect();
            let officer = change
                .message()
                .and_then(|m| serde_json::from_str::<ChangeNote>(m).ok())
                .map(|n| n.officer)
                .unwrap_or_default();
            HistoryEntry {
                time: change.timestamp(),
                officer,
                device: change.actor_id().to_hex_string(),
                fields,
            }
        })
        .collect()
}

fn value_text(v: &Value<'_>) -> String {
    match v {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(t) => t.to_string(),
            ScalarValue::Uint(n) => n.to_string(),
            ScalarValue::Int(n) => n.to_string(),
            ScalarValue::Boolean(b) => b.to_string(),
            // Automerge's own Display pads floats to dozens of digits.
            ScalarValue::F64(f) => f.to_string(),
            ScalarValue::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            other => other.to_string(),
        },
        Value::Object(_) => String::new(),
    }
}

fn commit(doc: &mut AutoCommit, note: &ChangeNote, time: i64) {
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

fn put_if_changed(doc: &mut AutoCommit, key: &str, value: ScalarValue) {
    // An unchanged value is not written, even when the field is in conflict:
    // resolving a conflict is an officer's decision, not a side effect of
    // saving another field.
    let same = matches!(doc.get(ROOT, key), Ok(Some((Value::Scalar(old), _))) if *old == value);
    if !same {
        put_scalar(doc, key, value);
    }
}

fn get_str(doc: &AutoCommit, key: &'static str) -> Result<String, DocError> {
    match doc.get(ROOT, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(t) => Ok(t.to_string()),
            _ => Err(DocError::BadValue(key)),
        },
        Ok(Some(_)) => Err(DocError::BadValue(key)),
        Ok(None) => Err(DocError::Missing(key)),
        Err(_) => Err(DocError::BadValue(key)),
    }
}

fn get_uint(doc: &AutoCommit, key: &'static str) -> Result<u64, DocError> {
    match doc.get(ROOT, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Uint(n) => Ok(*n),
            ScalarValue::Int(n) if *n >= 0 => Ok(*n as u64),
            _ => Err(DocError::BadValue(key)),
        },
        Ok(Some(_)) => Err(DocError::BadValue(key)),
        Ok(None) => Err(DocError::Missing(key)),
        Err(_) => Err(DocError::BadValue(key)),
    }
}

/// Reads the header, refusing documents from a newer schema before anything
/// else is interpreted.
pub fn read_header(doc: &AutoCommit) -> Result<Header, DocError> {
    let schema = get_uint(doc, SCHEMA_KEY)?;
    if schema > SCHEMA_VERSION {
        return Err(DocError::FutureSchema(schema));
    }
    Ok(Header {
        id: Uuid::parse_str(&get_str(doc, ID_KEY)?).map_err(|_| DocError::BadValue(ID_KEY))?,
        kind: RecordKind::from_code(&get_str(doc, KIND_KEY)?)
            .ok_or(DocError::BadValue(KIND_KEY))?,
        schema,
        commune: get_str(doc, "commune")?,
    })
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
