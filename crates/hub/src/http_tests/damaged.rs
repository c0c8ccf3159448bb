//! A push Automerge panicked on inside the hub (a person's move pushed
//! with a change reusing operation ids, see
//! `contract_tests::panics`), through the route: refused in words (422)
//! with nothing stored, where it was a 500, and the hub serves the next
//! requests. On both stores.

use super::{pek_pull, quick_limits, runtime, send, sync_request, AnyHub, Logged, PEK};
use crate::contract_tests::panics::move_and_crafted;
use crate::contract_tests::{push_of, session_doc};
use axum::http::StatusCode;
use pcmt_core::http::PUSH_PATH;
use pcmt_core::sync::wire::{DocChanges, PushRequest};

on_both_hubs!(a_push_automerge_panicked_on_is_refused_and_the_hub_serves_on);

fn a_push_automerge_panicked_on_is_refused_and_the_hub_serves_on(hub: AnyHub) {
    let app = hub.app(quick_limits());
    let rt = runtime();
    let push = |docs: DocChanges| {
        let (id, mut doc) = session_doc(PEK);
        let mut req: PushRequest = push_of(id, PEK, &mut doc);
        req.device = hub.device;
        req.docs = vec![docs];
        rt.block_on(send(
            &app,
            sync_request(PUSH_PATH, Some(&hub.token), req.encode().unwrap(), None),
        ))
        .status()
    };
    let pushes = move_and_crafted();
    assert_eq!(push(pushes.made), StatusCode::OK);
    let before = hub.fingerprint(Logged::Everything);
    assert_eq!(push(pushes.crafted), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        hub.fingerprint(Logged::Everything),
        before,
        "nothing stored"
    );

    // The hub serves on: the move alone, and a pull.
    assert_eq!(push(pushes.moved), StatusCode::OK);
    let pulled = rt.block_on(send(&app, pek_pull(&hub)));
    assert_eq!(pulled.status(), StatusCode::OK);
}
