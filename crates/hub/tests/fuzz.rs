//! Fuzzing what the hub reads from tablets: pushes of arbitrary and mutated
//! change chunks, for new records and for records it holds, through the
//! whole merge (weighing, Automerge, the envelope and commune checks, the
//! rows). Each push must be stored or refused, never panic, and the hub
//! must go on serving pulls of everything it stored.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use pcmt_core::fuzzing::{fuzz, mutated};
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_core::sync::compact::deps;
use pcmt_core::sync::wire::{DocChanges, PullRequest, PushRequest, PROTOCOL_VERSION};
use pcmt_hub::{HubStorage, HubStore, Scope};
use pcmt_model::{fixtures, Labelled, OrgTree, RecordKind};
use uuid::Uuid;

const PEK: &str = "62-610-23284";

#[test]
fn pushes_of_mangled_changes_are_stored_or_refused_never_a_panic() {
    let hub = HubStore::open_in_memory().unwrap();
    let office = Scope {
        device: Uuid::from_u128(5),
        communes: OrgTree::demo().communes().map(|c| c.code.clone()).collect(),
    };
    let note = ChangeNote {
        officer: "Cán bộ thử".into(),
    };
    // Two records the hub holds, and the changes that made and edited them.
    let mut seeds = Vec::new();
    let mut held = Vec::new();
    for (kind, mut doc) in [
        (
            RecordKind::Session,
            record_doc::new_record(
                Uuid::now_v7(),
                PEK,
                &fixtures::session("Trường TH"),
                automerge::ActorId::random(),
                &note,
                0,
            )
            .unwrap(),
        ),
        (
            RecordKind::Person,
            record_doc::new_record(
                Uuid::now_v7(),
                PEK,
                &fixtures::person("Y Đức"),
                automerge::ActorId::random(),
                &note,
                0,
            )
            .unwrap(),
        ),
    ] {
        let id = record_doc::read_header(&doc).unwrap().id;
        let push = PushRequest {
            protocol: PROTOCOL_VERSION,
            device: office.device,
            docs: vec![DocChanges::since(id, kind, PEK, &mut doc, &[])],
            pull: None,
            epoch: None,
            office: None,
        };
        hub.push(&office, &push).unwrap();
        let heads = doc.get_heads();
        doc.put(ROOT, "notes", "Ghi chú sau buổi gặp. ".repeat(30))
            .unwrap();
        doc.commit();
        seeds.extend(
            doc.get_changes(&[])
                .into_iter()
                .map(|mut c| c.bytes().to_vec()),
        );
        seeds.extend(
            doc.get_changes(&heads)
                .iter()
                .map(|c| c.raw_bytes().to_vec()),
        );
        held.push((id, kind));
    }
    // As a tablet of protocol 3 sends an edit: its dependencies by the
    // start of their hashes, found again by the hub among the record's.
    let abbreviated: Vec<Vec<u8>> = seeds.iter().filter_map(|c| deps::abbreviate(c)).collect();
    assert!(!abbreviated.is_empty());
    seeds.extend(abbreviated);
    let mut stored = 0u64;
    fuzz("hub-push", |u| {
        let (id, kind) = if u.ratio(2, 3)? {
            *u.choose(&held)?
        } else {
            (Uuid::now_v7(), RecordKind::Session)
        };
        let mut changes = Vec::new();
        for _ in 0..u.int_in_range(1..=3)? {
            changes.push(mutated(u, &seeds)?);
        }
        let push = PushRequest {
            protocol: PROTOCOL_VERSION,
            device: office.device,
            docs: vec![DocChanges {
                id,
                kind: kind.code().into(),
                commune: PEK.into(),
                changes,
            }],
            pull: None,
            epoch: None,
            office: None,
        };
        if hub.push(&office, &push).is_ok() {
            stored += 1;
        }
        Ok(())
    });
    println!("{stored} mangled pushes were stored");
    // Everything stored still loads and is served.
    let pull = hub
        .pull(
            &Scope {
                device: Uuid::from_u128(6),
                ..office.clone()
            },
            &PullRequest {
                protocol: PROTOCOL_VERSION,
                device: Uuid::from_u128(6),
                communes: vec![PEK.into()],
                cursor: 0,
                max_bytes: 1 << 20,
            },
        )
        .unwrap();
    // Served as changes or, since protocol 2, whole: a held document that
    // a mangled push added to may come as a snapshot, which must load too.
    let served: std::collections::BTreeSet<Uuid> = pull
        .docs
        .iter()
        .map(|d| d.id)
        .chain(pull.snapshots.iter().map(|s| s.id))
        .collect();
    assert!(held.iter().all(|(id, _)| served.contains(id)));
    for snapshot in &pull.snapshots {
        pcmt_core::sync::limits::read_document(&snapshot.bytes).unwrap();
    }
    for dc in &pull.docs {
        let mut doc = AutoCommit::new();
        for bytes in &dc.changes {
            let change = pcmt_core::sync::limits::read_change(bytes).unwrap().change;
            pcmt_core::sync::limits::apply_untrusted(&mut doc, vec![change]).unwrap();
        }
    }
}
