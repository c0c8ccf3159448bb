//! How a record lives in its Automerge document.
//!
//! Each field is its own key at the document root, so two officers editing
//! different fields merge cleanly, and two editing the same field leave both
//! values in the document (a conflict to show, never to hide). An update
//! writes only the fields whose value changed, for the same reason.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, PatchAction, ReadDoc, ScalarValue, Value, ROOT};
use chrono::NaiveDate;
use pcmt_model::api::{FieldConflict, FieldValue, HistoryEntry};
use pcmt_model::{
    Labelled, RecordKind, SessionForm, SessionInput, Topic, VenueKind, SCHEMA_VERSION,
};
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
}

/// Who made a change, written into the change's commit message so that
/// history can be shown field by field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeNote {
    pub officer: String,
}

pub fn load(bytes: &[u8]) -> Result<AutoCommit, DocError> {
    AutoCommit::load(bytes).map_err(|e| DocError::Load(e.to_string()))
}

/// Makes the document of a new session.
pub fn new_session(
    id: Uuid,
    input: &SessionInput,
    actor: ActorId,
    note: &ChangeNote,
    time: i64,
) -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(actor);
    put_scalar(&mut doc, "id", id.to_string());
    put_scalar(&mut doc, "kind", RecordKind::Session.code());
    put_scalar(&mut doc, "schema", ScalarValue::Uint(SCHEMA_VERSION));
    write_session_fields(&mut doc, input);
    commit(&mut doc, note, time);
    doc
}

/// Applies an officer's edit: only the fields that changed are written.
/// Returns false when nothing changed (no empty change is committed).
pub fn update_session(
    doc: &mut AutoCommit,
    input: &SessionInput,
    note: &ChangeNote,
    time: i64,
) -> bool {
    write_session_fields(doc, input);
    if doc.pending_ops() == 0 {
        return false;
    }
    commit(doc, note, time);
    true
}

/// Marks a record deleted (tombstone) or restores it. The document stays, so
/// the delete syncs like any edit and can be undone.
pub fn set_deleted(doc: &mut AutoCommit, deleted: bool, note: &ChangeNote, time: i64) -> bool {
    put_if_changed(doc, "deleted", ScalarValue::Boolean(deleted));
    if doc.pending_ops() == 0 {
        return false;
    }
    commit(doc, note, time);
    true
}

pub fn is_deleted(doc: &AutoCommit) -> bool {
    matches!(doc.get(ROOT, "deleted"), Ok(Some((Value::Scalar(s), _))) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
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
            other => other.to_string(),
        },
        Value::Object(_) => String::new(),
    }
}

fn write_session_fields(doc: &mut AutoCommit, s: &SessionInput) {
    put_if_changed(doc, "commune", s.commune.as_str().into());
    put_if_changed(doc, "date", s.date.format("%Y-%m-%d").to_string().into());
    put_if_changed(doc, "venue_kind", s.venue_kind.code().into());
    put_if_changed(doc, "venue_name", s.venue_name.trim().into());
    put_if_changed(doc, "form", s.form.code().into());
    put_if_changed(doc, "attendees", ScalarValue::Uint(s.attendees.into()));
    put_if_changed(doc, "women", ScalarValue::Uint(s.women.into()));
    put_if_changed(doc, "topic", s.topic.code().into());
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

fn get_code<T: Labelled>(doc: &AutoCommit, key: &'static str) -> Result<T, DocError> {
    T::from_code(&get_str(doc, key)?).ok_or(DocError::BadValue(key))
}

fn get_u32(doc: &AutoCommit, key: &'static str) -> Result<u32, DocError> {
    u32::try_from(get_uint(doc, key)?).map_err(|_| DocError::BadValue(key))
}

/// Reads the header, refusing documents from a newer schema before anything
/// else is interpreted.
pub fn read_header(doc: &AutoCommit) -> Result<Header, DocError> {
    let schema = get_uint(doc, "schema")?;
    if schema > SCHEMA_VERSION {
        return Err(DocError::FutureSchema(schema));
    }
    Ok(Header {
        id: Uuid::parse_str(&get_str(doc, "id")?).map_err(|_| DocError::BadValue("id"))?,
        kind: get_code(doc, "kind")?,
        schema,
        commune: get_str(doc, "commune")?,
    })
}

pub fn read_session(doc: &AutoCommit) -> Result<SessionInput, DocError> {
    let date = NaiveDate::parse_from_str(&get_str(doc, "date")?, "%Y-%m-%d")
        .map_err(|_| DocError::BadValue("date"))?;
    Ok(SessionInput {
        date,
        commune: get_str(doc, "commune")?,
        venue_kind: get_code::<VenueKind>(doc, "venue_kind")?,
        venue_name: get_str(doc, "venue_name")?,
        form: get_code::<SessionForm>(doc, "form")?,
        attendees: get_u32(doc, "attendees")?,
        women: get_u32(doc, "women")?,
        topic: get_code::<Topic>(doc, "topic")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SessionInput {
        SessionInput {
            date: NaiveDate::from_ymd_opt(2026, 6, 26).unwrap(),
            commune: "62-610-23284".into(),
            venue_kind: VenueKind::VillageHall,
            venue_name: "Nhà văn hóa thôn Đăk Ung".into(),
            form: SessionForm::Rally,
            attendees: 80,
            women: 30,
            topic: Topic::NoDrugPlants,
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
        let mut doc = new_session(id, &input(), ActorId::random(), &note(), 1);
        let bytes = doc.save();
        let back = load(&bytes).unwrap();
        assert_eq!(read_session(&back).unwrap(), input());
        let h = read_header(&back).unwrap();
        assert_eq!(
            (h.id, h.kind, h.commune.as_str()),
            (id, RecordKind::Session, "62-610-23284")
        );
    }

    #[test]
    fn an_update_writes_only_changed_fields_and_skips_no_ops() {
        let mut doc = new_session(Uuid::now_v7(), &input(), ActorId::random(), &note(), 1);
        assert!(!update_session(&mut doc, &input(), &note(), 2));
        let before = doc.get_heads();
        let edited = SessionInput {
            attendees: 95,
            ..input()
        };
        assert!(update_session(&mut doc, &edited, &note(), 3));
        let change = doc.get_changes(&before);
        assert_eq!(change.len(), 1);
        assert_eq!(change[0].len(), 1, "one op: the attendees field");
    }

    #[test]
    fn future_schema_and_garbage_are_refused() {
        let mut doc = new_session(Uuid::now_v7(), &input(), ActorId::random(), &note(), 1);
        doc.put(ROOT, "schema", ScalarValue::Uint(SCHEMA_VERSION + 1))
            .unwrap();
        assert_eq!(
            read_header(&doc),
            Err(DocError::FutureSchema(SCHEMA_VERSION + 1))
        );
        assert!(matches!(load(b"not automerge"), Err(DocError::Load(_))));
    }
}
