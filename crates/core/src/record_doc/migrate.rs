//! From schema 1 (lists and nested objects as JSON values) to schema 2
//! (Automerge lists and maps, see [`super::body`]).
//!
//! Two tablets may migrate the same record before either hears of the
//! other. The migration is therefore one change that depends only on the
//! document: its actor is derived from the record's id, the target schema
//! and the heads it starts from, its time is 0, it has no message, and
//! its operations follow the document's keys in order. Two devices
//! migrating at the same heads make the same change, byte for byte, which
//! sync then holds once. Two devices migrating at different heads (one had
//! an edit the other had not) make two changes with different actors: each
//! writes its own list at `sites`, reading takes the union of their items,
//! and the next write makes the field one list again.
//!
//! The heads are in the actor, not only the record's id and schema, because
//! Automerge names an operation by its actor and counter: two different
//! first changes of one actor could give two different operations one name.

use super::body::{self, list_layout};
use super::header::{read_header, DocError, Header, HEADER_KEYS, SCHEMA_KEY};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ReadDoc, ScalarValue, Value, ROOT};
use pcmt_model::SCHEMA_VERSION;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Migrates a document of an older schema to this one, as its own change.
/// Returns whether it did; a document of this schema is left as it is, and
/// one of a newer schema is refused ([`DocError::FutureSchema`]).
pub(super) fn migrate(doc: &mut AutoCommit) -> Result<bool, DocError> {
    let header = read_header(doc)?;
    if header.schema >= SCHEMA_VERSION {
        return Ok(false);
    }
    let own = doc.get_actor().clone();
    let heads = doc.get_heads();
    doc.set_actor(migration_actor(header.id, SCHEMA_VERSION, &heads));
    let converted = convert(doc, &header);
    // Whatever happened, the officer's own writes carry the device's actor.
    let result = converted.map(|()| {
        doc.commit_with(CommitOptions::default().with_time(0));
    });
    doc.set_actor(own);
    result.map(|()| true)
}

fn convert(doc: &mut AutoCommit, header: &Header) -> Result<(), DocError> {
    let am = |e: automerge::AutomergeError| DocError::Body(e.to_string());
    let doc_id = header.id.to_string();
    let keys: Vec<String> = doc
        .keys(ROOT)
        .filter(|k| !HEADER_KEYS.contains(&k.as_str()))
        .collect();
    for key in keys {
        if let Some(layout) = list_layout(header.kind, &key) {
            body::normalise(doc, &doc_id, &key, layout).map_err(am)?;
            continue;
        }
        // Other nested values become Automerge objects too, so other
        // implementations read them; a field in conflict keeps its values
        // for the officer to settle.
        let values = doc.get_all(ROOT, key.as_str()).unwrap_or_default();
        let [(Value::Scalar(s), id)] = values.as_slice() else {
            continue;
        };
        if !matches!(s.as_ref(), ScalarValue::Bytes(_)) {
            continue;
        }
        if let Ok(json) = body::read_json(doc, &Value::Scalar(s.clone()), id, 0) {
            if json.is_array() || json.is_object() {
                body::put_json(doc, &ROOT, &key, &json).map_err(am)?;
            }
        }
    }
    doc.put(ROOT, SCHEMA_KEY, ScalarValue::Uint(SCHEMA_VERSION))
        .map_err(am)?;
    Ok(())
}

/// The actor of a migration: the same on every device for the same record,
/// target schema and starting heads.
pub(super) fn migration_actor(id: Uuid, schema: u64, heads: &[ChangeHash]) -> ActorId {
    let mut heads = heads.to_vec();
    heads.sort();
    let mut hash = Sha256::new()
        .chain_update(b"pcmt schema migration\0")
        .chain_update(id.as_bytes())
        .chain_update(schema.to_le_bytes());
    for head in &heads {
        hash.update(head.0);
    }
    ActorId::from(&hash.finalize()[..16])
}
