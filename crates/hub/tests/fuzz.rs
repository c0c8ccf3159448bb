//! Fuzzing what the hub reads from tablets: pushes of arbitrary and mutated
//! change chunks, for new records and for records it holds, through the
//! whole merge (weighing, Automerge, the envelope and commune checks, the
//! rows, the citizen ID flags). Each push must be stored or refused, never
//! panic, and the hub must go on serving pulls of everything it stored.
//!
//! One hub serves the whole run, but each input brings records of its own
//! (ids and the citizen ID drawn from the input, actors fixed) and makes a
//! few pushes in a row on them, so that a push meets what the one before
//! stored, and a failure's seed replays it (`PCMT_FUZZ_SEED`, see
//! `pcmt_core::fuzzing`) on a hub holding nothing else. A push that panics
//! is also written out with the pushes of its input before it
//! ([`write_failure`]), for a regression test to replay
//! (`tests/fuzz/*.pushes`).

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use pcmt_core::fuzzing::{fuzz, mutated, Unstructured};
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_core::sync::compact::deps;
use pcmt_core::sync::limits::{apply_untrusted, read_change, read_document};
use pcmt_core::sync::wire::{DocChanges, PullRequest, PushRequest, PROTOCOL_VERSION};
use pcmt_hub::{HubStorage, HubStore, Scope};
use pcmt_model::{fixtures, Labelled, OrgTree, RecordKind};
use std::collections::BTreeSet;
use uuid::Uuid;

const PEK: &str = "62-610-23284";

fn office() -> Scope {
    Scope {
        device: Uuid::from_u128(5),
        communes: OrgTree::demo().communes().map(|c| c.code.clone()).collect(),
        office: None,
    }
}

fn push_of(docs: Vec<DocChanges>) -> PushRequest {
    PushRequest {
        protocol: PROTOCOL_VERSION,
        device: office().device,
        docs,
        pull: None,
        epoch: None,
        office: None,
    }
}

/// An input's records as a tablet first pushes them (a session and two
/// person files sharing a citizen ID, which the hub flags), and the
/// changes that made each and an edit of each after: the seeds its
/// mangled changes are made from. `new` is an id of the input's the hub
/// does not hold.
struct Held {
    pushes: Vec<PushRequest>,
    records: Vec<(Uuid, RecordKind)>,
    new: Uuid,
    seeds: Vec<Vec<u8>>,
}

/// The input's records, their ids drawn from it, four apart from those of
/// any input before (`taken`): an input whose ids were drawn already is
/// skipped, so none writes into another's.
fn held(u: &mut Unstructured<'_>, taken: &mut BTreeSet<u128>) -> pcmt_core::fuzzing::Result<Held> {
    let base = u.arbitrary::<u128>()? & !3;
    if !taken.insert(base) {
        return Err(pcmt_core::fuzzing::Error::IncorrectFormat);
    }
    let note = ChangeNote {
        officer: "Cán bộ thử".into(),
    };
    let mut person = fixtures::person("Y Đức");
    person.citizen_id = Some(format!("{:012}", u.int_in_range(0..=999_999_999_999u64)?));
    let records = [
        (RecordKind::Session, None),
        (RecordKind::Person, Some(&person)),
        (RecordKind::Person, Some(&person)),
    ];
    let mut out = Held {
        pushes: Vec::new(),
        records: Vec::new(),
        new: Uuid::from_u128(base | 3),
        seeds: Vec::new(),
    };
    for (n, (kind, person)) in records.into_iter().enumerate() {
        let id = Uuid::from_u128(base | n as u128);
        let actor = ActorId::from([n as u8 + 1; 16]);
        let mut doc = match person {
            None => {
                record_doc::new_record(id, PEK, &fixtures::session("Trường TH"), actor, &note, 0)
            }
            Some(p) => record_doc::new_record(id, PEK, p, actor, &note, 0),
        }
        .expect("a fixture makes a record");
        out.pushes.push(push_of(vec![DocChanges::since(
            id,
            kind,
            PEK,
            &mut doc,
            &[],
        )]));
        let heads = doc.get_heads();
        doc.put(ROOT, "notes", "Ghi chú sau buổi gặp. ".repeat(30))
            .expect("a note is written");
        doc.commit();
        out.seeds.extend(
            doc.get_changes(&[])
                .into_iter()
                .map(|mut c| c.bytes().to_vec()),
        );
        out.seeds.extend(
            doc.get_changes(&heads)
                .iter()
                .map(|c| c.raw_bytes().to_vec()),
        );
        out.records.push((id, kind));
    }
    // As a tablet of protocol 3 sends an edit: its dependencies by the
    // start of their hashes, found again by the hub among the record's.
    let abbreviated: Vec<Vec<u8>> = out
        .seeds
        .iter()
        .filter_map(|c| deps::abbreviate(c))
        .collect();
    assert!(!abbreviated.is_empty());
    out.seeds.extend(abbreviated);
    Ok(out)
}

#[test]
fn pushes_of_mangled_changes_are_stored_or_refused_never_a_panic() {
    let hub = HubStore::open_in_memory().unwrap();
    let office = office();
    let mut stored = 0u64;
    let mut taken = BTreeSet::new();
    let mut all = Vec::new();
    fuzz("hub-push", |u| {
        let Held {
            pushes,
            records,
            new,
            seeds,
        } = held(u, &mut taken)?;
        let mut made = Vec::new();
        for push in pushes {
            hub.push(&office, &push).unwrap();
            made.push(push);
        }
        all.extend(records.iter().map(|(id, _)| *id));
        for _ in 0..u.int_in_range(1..=3)? {
            let (id, kind) = if u.ratio(2, 3)? {
                *u.choose(&records)?
            } else {
                (new, RecordKind::Session)
            };
            let mut changes = Vec::new();
            for _ in 0..u.int_in_range(1..=3)? {
                changes.push(mutated(u, &seeds)?);
            }
            let push = push_of(vec![DocChanges {
                id,
                kind: kind.code().into(),
                commune: PEK.into(),
                changes,
            }]);
            let pushed =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hub.push(&office, &push)));
            made.push(push);
            match pushed {
                Ok(Ok(_)) => stored += 1,
                Ok(Err(_)) => {}
                Err(panic) => {
                    write_failure(&made);
                    std::panic::resume_unwind(panic);
                }
            }
        }
        Ok(())
    });
    println!("{stored} mangled pushes were stored");
    serves_all(&hub, &all);
}

/// Writes the pushes of a failing input (the last one panicked), one
/// document a push, where `PCMT_FUZZ_DUMP` says or in the temporary
/// directory, as `pcmt_hub::testing::pushes_to_text` writes them.
fn write_failure(pushes: &[PushRequest]) {
    let path = std::env::var_os("PCMT_FUZZ_DUMP")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("hub-push-failure.pushes"));
    let docs: Vec<DocChanges> = pushes.iter().flat_map(|p| p.docs.clone()).collect();
    let text = pcmt_hub::testing::pushes_to_text(&docs);
    match std::fs::write(&path, text) {
        Ok(()) => eprintln!("the failing input's pushes: {}", path.display()),
        Err(e) => eprintln!("could not write {}: {e}", path.display()),
    }
}

/// Everything stored still loads and is served, batch after batch.
fn serves_all(hub: &HubStore, records: &[Uuid]) {
    let reader = Scope {
        device: Uuid::from_u128(6),
        ..office()
    };
    let mut served = BTreeSet::new();
    let mut cursor = 0;
    loop {
        let pull = hub
            .pull(
                &reader,
                &PullRequest {
                    protocol: PROTOCOL_VERSION,
                    device: reader.device,
                    communes: reader.communes.clone(),
                    cursor,
                    max_bytes: 1 << 20,
                },
            )
            .unwrap();
        // Served as changes or, since protocol 2, whole: a held document
        // that a mangled push added to may come as a snapshot, which must
        // load too.
        for snapshot in &pull.snapshots {
            read_document(&snapshot.bytes).unwrap();
            served.insert(snapshot.id);
        }
        for dc in &pull.docs {
            let mut doc = AutoCommit::new();
            for bytes in &dc.changes {
                apply_untrusted(&mut doc, vec![read_change(bytes).unwrap().change]).unwrap();
            }
            served.insert(dc.id);
        }
        cursor = pull.cursor;
        if !pull.more {
            break;
        }
    }
    assert!(records.iter().all(|id| served.contains(id)));
}
