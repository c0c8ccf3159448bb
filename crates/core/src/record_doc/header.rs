//! What every record document carries at its root, whatever its kind, and
//! how it is read: the part of a document the body's readers and the
//! migration share.

use automerge::{AutoCommit, ReadDoc, ScalarValue, Value, ROOT};
use pcmt_model::{Labelled, RecordKind, SCHEMA_VERSION};
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

/// Root keys every document carries besides its body. The `@` keeps them
/// apart from body fields (a survey has a `kind` of its own).
pub const ID_KEY: &str = "@id";
pub const KIND_KEY: &str = "@kind";
pub const SCHEMA_KEY: &str = "@schema";
pub const DELETED_KEY: &str = "@deleted";
pub(super) const HEADER_KEYS: &[&str] = &[ID_KEY, KIND_KEY, SCHEMA_KEY, DELETED_KEY];

pub(super) fn get_str(doc: &AutoCommit, key: &'static str) -> Result<String, DocError> {
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

pub(super) fn get_uint(doc: &AutoCommit, key: &'static str) -> Result<u64, DocError> {
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
