//! Fuzzing what a tablet reads from other machines: the wire decoder, the
//! change chunks of a pull (weighed, then loaded and applied by Automerge),
//! and the record readers over documents built of arbitrary values. Inputs
//! are arbitrary bytes, or valid ones mutated (bits flipped, bytes
//! overwritten, cut, inserted, repeated); the property is that each reader
//! returns, an error or a value, and never panics.
//!
//! [`pcmt_core::fuzzing`] drives each target for a time budget. Crashes
//! found are kept as regression tests beside the code they concern (see
//! `sync::limits`).

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ScalarValue, ROOT};
use pcmt_core::fuzzing::{fuzz, mutated as input, Result, Unstructured};
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_core::sync::compact::chunk;
use pcmt_core::sync::limits::{
    apply_untrusted, changes_of, craft::crafted_change, read_change, read_document,
};
use pcmt_core::sync::wire::{
    self, DocChanges, DocSnapshot, EnrolRequest, Enrolment, PullRequest, PullResponse, PushAck,
    PushRequest, Request, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, SNAPSHOT_PROTOCOL,
};
use pcmt_model::{
    fixtures, CheckInInput, Labelled, PersonInput, RecordKind, SessionInput, SurveyInput,
};
use uuid::Uuid;

fn note() -> ChangeNote {
    ChangeNote {
        officer: "Cán bộ thử".into(),
    }
}

/// One document of each kind, as a tablet saves it.
fn records() -> Vec<(Uuid, RecordKind, AutoCommit)> {
    let commune = "62-610-23284";
    let actor = || automerge::ActorId::random();
    let person = Uuid::now_v7();
    let mut out = Vec::new();
    let mut add = |id: Uuid, kind: RecordKind, doc: AutoCommit| out.push((id, kind, doc));
    let id = Uuid::now_v7();
    add(
        id,
        RecordKind::Session,
        record_doc::new_record(
            id,
            commune,
            &fixtures::session("Trường TH"),
            actor(),
            &note(),
            0,
        )
        .unwrap(),
    );
    add(
        person,
        RecordKind::Person,
        record_doc::new_record(
            person,
            commune,
            &fixtures::person("Y Đức"),
            actor(),
            &note(),
            0,
        )
        .unwrap(),
    );
    let id = Uuid::now_v7();
    let checkin = fixtures::checkin(person, fixtures::day(2026, 11, 20));
    add(
        id,
        RecordKind::CheckIn,
        record_doc::new_record(id, commune, &checkin, actor(), &note(), 0).unwrap(),
    );
    let id = Uuid::now_v7();
    add(
        id,
        RecordKind::Survey,
        record_doc::new_record(
            id,
            commune,
            &fixtures::survey_with_site(),
            actor(),
            &note(),
            0,
        )
        .unwrap(),
    );
    out
}

/// Every reader of a record, as the screens and the projections call them.
fn read_all(doc: &mut AutoCommit) {
    let _ = record_doc::read_header(doc);
    let _ = record_doc::read_record::<SessionInput>(doc);
    let _ = record_doc::read_record::<PersonInput>(doc);
    let _ = record_doc::read_record::<CheckInInput>(doc);
    let _ = record_doc::read_record::<SurveyInput>(doc);
    let _ = record_doc::is_deleted(doc);
    let _ = record_doc::conflicts(doc);
    let _ = record_doc::history(doc);
}

#[test]
fn wire_decoders_never_panic() {
    let mut records = records();
    let docs: Vec<DocChanges> = records
        .iter_mut()
        .map(|(id, kind, doc)| DocChanges::since(*id, *kind, "62-610-23284", doc, &[]))
        .collect();
    let push = PushRequest {
        protocol: PROTOCOL_VERSION,
        device: Uuid::now_v7(),
        docs: docs.clone(),
        pull: None,
        epoch: None,
        office: None,
    };
    let pull = PullRequest {
        protocol: PROTOCOL_VERSION,
        device: Uuid::now_v7(),
        communes: vec!["62-610-23284".into()],
        cursor: 7,
        max_bytes: 1 << 20,
    };
    let batch = PullResponse {
        docs: docs.clone(),
        cursor: 42,
        more: true,
        snapshots: snapshots(),
        epoch: None,
    };
    let ack = PushAck {
        stored: docs.iter().map(|d| d.id).collect(),
        new_changes: 3,
        pull: Some(batch.clone()),
        epoch: None,
        office: None,
    };
    // Every shape a tablet reads, asked at protocol 3 and at 2.
    let older = |r: Request| r.at_most(SNAPSHOT_PROTOCOL);
    let asked = [
        Request::Push(push.clone()),
        Request::Pull(pull.clone()),
        older(Request::Push(push.clone())),
        older(Request::Pull(pull.clone())),
    ];
    let unzstd = |b: Vec<u8>| zstd::bulk::decompress(&b, MAX_MESSAGE_BYTES).unwrap();
    let seeds = vec![
        plain(&push),
        unzstd(Request::Push(push.clone()).encode().unwrap()),
        unzstd(ack.clone().encode_for(&push).unwrap()),
        unzstd(batch.clone().encode_for(PROTOCOL_VERSION).unwrap()),
        plain(&PullResponse {
            docs,
            cursor: 42,
            more: true,
            snapshots: snapshots(),
            epoch: None,
        }),
        plain(&PullRequest {
            protocol: PROTOCOL_VERSION,
            device: Uuid::now_v7(),
            communes: vec!["62-610-23284".into()],
            cursor: 7,
            max_bytes: 1 << 20,
        }),
        plain(&PushAck {
            stored: vec![Uuid::now_v7()],
            new_changes: 3,
            pull: None,
            epoch: None,
            office: None,
        }),
    ];
    fuzz("wire", |u| {
        let bytes = input(u, &seeds)?;
        // Through zstd, as it arrives, so that the message layer is reached
        // and not only the decompressor's checks; and raw, for those.
        for framed in [zstd::bulk::compress(&bytes, 1).unwrap_or_default(), bytes] {
            let _ = PushRequest::decode(&framed);
            for request in &asked {
                let _ = request.read_answer(&framed);
            }
            let _ = wire::decode::<PushRequest>(&framed);
            let _ = wire::decode::<PullRequest>(&framed);
            let _ = wire::decode::<PullResponse>(&framed);
            let _ = wire::decode::<PushAck>(&framed);
            let _ = wire::decode::<Enrolment>(&framed);
            let _ = EnrolRequest::decode(&framed);
        }
        Ok(())
    });
}

/// A message without the zstd frame, for mutation.
fn plain<T: serde::Serialize>(msg: &T) -> Vec<u8> {
    postcard::to_stdvec(msg).expect("a test message encodes")
}

/// Changes from other machines, read and applied a few times in a row to
/// one record (pull after pull on a tablet, push after push on the hub),
/// and after each, what the tablet and the hub do with the document:
/// read it, list its changes (a push, the hub's feed), save it and load
/// it again. Automerge 0.12 applies some changes it later panics on when
/// listing or loading the document (`sync::limits::apply_untrusted`), so a
/// change applied must leave a document that lists and loads, as it was.
#[test]
fn pulled_changes_never_panic_when_weighed_loaded_and_applied() {
    let mut records = records();
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    // Each record as stored, before an edit its seeds carry.
    let bases: Vec<AutoCommit> = records.iter().map(|(_, _, d)| d.clone()).collect();
    for (_, _, doc) in &mut records {
        let heads = doc.get_heads();
        doc.put(ROOT, "notes", "Ghi chú thêm sau buổi gặp. ".repeat(20))
            .unwrap();
        doc.commit();
        seeds.extend(doc.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()));
        seeds.extend(
            doc.get_changes(&heads)
                .into_iter()
                .map(|mut c| c.bytes().to_vec()),
        );
    }
    seeds.push(crafted_change(3, false, 0));
    seeds.push(crafted_change(3, true, 64));
    // As protocol 3 sends them: without magic bytes and checksum.
    let stripped: Vec<Vec<u8>> = seeds.iter().map(|c| chunk::strip(c).to_vec()).collect();
    seeds.extend(stripped);
    fuzz("changes", |u| {
        let mut doc = if u.ratio(3, 4)? {
            u.choose(&bases)?.clone()
        } else {
            AutoCommit::new()
        };
        for _ in 0..u.int_in_range(1..=3)? {
            let mut changes = Vec::new();
            for _ in 0..u.int_in_range(1..=3)? {
                let mut bytes = input(u, &seeds)?;
                if u.arbitrary()? {
                    bytes = chunk::restore(bytes);
                }
                if let Ok(checked) = read_change(&bytes) {
                    changes.push(checked.change);
                }
            }
            // A refused change leaves the document as it was: the caller
            // drops the one it was applied to.
            let mut next = doc.clone();
            let before = next.get_heads();
            if apply_untrusted(&mut next, changes).is_err() {
                continue;
            }
            read_all(&mut next);
            let listed = next.get_changes(&before).len() + next.get_changes(&[]).len();
            let saved = record_doc::save(&mut next);
            let mut loaded = record_doc::load(&saved).expect("a saved document loads");
            assert_eq!(loaded.get_heads(), next.get_heads());
            assert_eq!(
                loaded.get_changes(&before).len() + loaded.get_changes(&[]).len(),
                listed
            );
            doc = loaded;
        }
        Ok(())
    });
}

/// The records as a hub sends them whole on a first sync.
fn snapshots() -> Vec<DocSnapshot> {
    records()
        .into_iter()
        .map(|(id, kind, mut doc)| DocSnapshot {
            id,
            kind: kind.code().into(),
            commune: "62-610-23284".into(),
            bytes: record_doc::save(&mut doc),
        })
        .collect()
}

#[test]
fn pulled_snapshots_never_panic_when_weighed_loaded_and_merged() {
    let seeds: Vec<Vec<u8>> = snapshots().into_iter().map(|s| s.bytes).collect();
    let bases: Vec<AutoCommit> = records().into_iter().map(|(_, _, d)| d).collect();
    fuzz("snapshots", |u| {
        if let Ok(mut checked) = read_document(&input(u, &seeds)?) {
            read_all(&mut checked.doc);
            if let Ok(changes) = changes_of(&mut checked) {
                let mut doc = u.choose(&bases)?.clone();
                let changes = changes.into_iter().map(|c| c.change).collect();
                if apply_untrusted(&mut doc, changes).is_ok() {
                    read_all(&mut doc);
                }
            }
        }
        Ok(())
    });
}

#[test]
fn stored_documents_never_panic_when_loaded_and_read() {
    let seeds: Vec<Vec<u8>> = records()
        .into_iter()
        .flat_map(|(_, _, mut d)| [d.save(), record_doc::save(&mut d)])
        .collect();
    fuzz("documents", |u| {
        if let Ok(mut doc) = record_doc::load(&input(u, &seeds)?) {
            read_all(&mut doc);
        }
        Ok(())
    });
}

/// Field names the records use, so that arbitrary values land where the
/// readers look.
const FIELDS: &[&str] = &[
    "@id",
    "@kind",
    "@schema",
    "@deleted",
    "commune",
    "date",
    "attendees",
    "women",
    "topics",
    "statuses",
    "sites",
    "person",
    "full_name",
    "birth_date",
    "citizen_id",
    "boundary",
    "point",
    "notes",
    "venue_kind",
    "form",
    "drug_test",
    "next_visit",
    "area_covered_ha",
    "details",
];

fn scalar(u: &mut Unstructured<'_>) -> Result<ScalarValue> {
    Ok(match u.int_in_range(0..=7)? {
        0 => ScalarValue::Str(u.arbitrary::<String>()?.into()),
        1 => ScalarValue::Int(u.arbitrary()?),
        2 => ScalarValue::Uint(u.arbitrary()?),
        3 => ScalarValue::F64(u.arbitrary()?),
        4 => ScalarValue::Boolean(u.arbitrary()?),
        5 => ScalarValue::Null,
        6 => ScalarValue::Bytes(u.arbitrary()?),
        // A value of the right shape: JSON, as lists and objects are kept.
        _ => ScalarValue::Str(
            serde_json::to_string(&serde_json::json!([
                u.arbitrary::<i64>()?,
                u.arbitrary::<String>()?
            ]))
            .unwrap_or_default()
            .into(),
        ),
    })
}

#[test]
fn records_of_arbitrary_values_never_panic_when_read() {
    let bases: Vec<AutoCommit> = records().into_iter().map(|(_, _, d)| d).collect();
    fuzz("values", |u| {
        let mut doc = u.choose(&bases)?.clone();
        for _ in 0..u.int_in_range(1..=8)? {
            let key = if u.ratio(1, 8)? {
                u.arbitrary::<String>()?
            } else {
                u.choose(FIELDS)?.to_string()
            };
            let value = scalar(u)?;
            let _ = doc.put(ROOT, key, value);
        }
        doc.commit();
        read_all(&mut doc);
        Ok(())
    });
}
