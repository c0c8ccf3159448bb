//! A push Automerge panicked on inside the hub (a person's move pushed
//! with a change reusing operation ids, see
//! `contract_tests::panics`), through the route: refused in words (422)
//! with nothing stored, where it was a 500, and the hub serves the next
//! requests. On both stores.

use super::{pull_body, quick_limits, runtime, send, sync_request, AnyHub, Logged, PEK};
use crate::contract_tests::push_of;
use axum::http::StatusCode;
use pcmt_core::http::{PULL_PATH, PUSH_PATH};
use pcmt_core::record_doc::{self, moves, ChangeNote};
use pcmt_core::sync::limits::craft::reusing_op_ids;
use pcmt_core::sync::wire::{self, DocChanges, PushRequest};
use pcmt_model::{fixtures, Move, RecordKind};
use uuid::Uuid;

on_both_hubs!(a_push_automerge_panicked_on_is_refused_and_the_hub_serves_on);

fn a_push_automerge_panicked_on_is_refused_and_the_hub_serves_on(hub: AnyHub) {
    let app = hub.app(quick_limits());
    let rt = runtime();
    let push = |docs: Vec<DocChanges>| {
        let (id, mut doc) = crate::contract_tests::session_doc(PEK);
        let mut req: PushRequest = push_of(id, PEK, &mut doc);
        req.device = hub.device;
        req.docs = docs;
        rt.block_on(send(
            &app,
            sync_request(
                PUSH_PATH,
                Some(&hub.token),
                wire::encode(&req).unwrap(),
                None,
            ),
        ))
        .status()
    };
    let id = Uuid::now_v7();
    let note = ChangeNote {
        officer: "Cán bộ Pék".into(),
    };
    let mut doc = record_doc::new_record(
        id,
        PEK,
        &fixtures::person("Y Đức"),
        automerge::ActorId::from([1u8; 16]),
        &note,
        0,
    )
    .unwrap();
    let person = |doc: &mut automerge::AutoCommit, heads: &[automerge::ChangeHash]| {
        DocChanges::since(id, RecordKind::Person, PEK, doc, heads)
    };
    assert_eq!(push(vec![person(&mut doc, &[])]), StatusCode::OK);
    let heads = doc.get_heads();
    let mut mover = doc.clone();
    mover.set_actor(automerge::ActorId::from([9u8; 16]));
    let the_move = Move {
        id: Uuid::nil(),
        from: PEK.into(),
        to: "62-610-23287".into(),
        on: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        by: "Cán bộ Pék".into(),
    };
    moves::move_to(&mut mover, &the_move, &note, 10).unwrap();
    let mut both = person(&mut mover, &heads);
    both.changes.push(reusing_op_ids(&doc));
    let before = hub.fingerprint(Logged::Everything);
    assert_eq!(push(vec![both]), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        hub.fingerprint(Logged::Everything),
        before,
        "nothing stored"
    );

    // The hub serves on: the move alone, and a pull.
    assert_eq!(push(vec![person(&mut mover, &heads)]), StatusCode::OK);
    let pulled = rt.block_on(send(
        &app,
        sync_request(
            PULL_PATH,
            Some(&hub.token),
            pull_body(&[PEK], 0, hub.device),
            None,
        ),
    ));
    assert_eq!(pulled.status(), StatusCode::OK);
}
