//! A Đăk Pék tablet hand-building requests about Đăk Choong; withdrawn
//! devices told apart; the limits on wrong codes and unknown tokens.

use super::{
    body_of, enrol_body, fingerprint, header_of, hub, hub_with, pull_body, quick_limits, runtime,
    send, sync_request, CHOONG, PEK,
};
use crate::contract_tests::{push_of, session_doc};
use crate::storage::HubStorage;
use crate::web::Limits;
use axum::http::StatusCode;
use pcmt_core::http::{ENROL_PATH, PULL_PATH, PUSH_PATH};
use pcmt_core::sync::wire::{self, EnrolRequest, Enrolment, PullResponse, PROTOCOL_VERSION};
use pcmt_core::sync::{REFUSAL_HEADER, REFUSAL_LOST, REFUSAL_RATE_LIMITED, REFUSAL_REVOKED};
use uuid::Uuid;

#[test]
fn a_tablet_hand_building_requests_about_another_commune_gets_nothing_of_it() {
    let hub = hub();
    let rt = runtime();
    let token = Some(hub.token.as_str());
    let other_device = Uuid::now_v7();
    let before = fingerprint(&hub.store);

    // Pushes: a record declared as Đăk Choong's; Đăk Choong's record under
    // Đăk Pék's envelope; a push naming another device.
    let (id, mut doc) = session_doc(CHOONG);
    let mut declared = push_of(id, CHOONG, &mut doc);
    declared.device = hub.device;
    let (_, mut forged) = session_doc(PEK);
    let mut hijack = push_of(hub.choong_record, PEK, &mut forged);
    hijack.device = hub.device;
    let (id, mut doc) = session_doc(PEK);
    let mut impostor = push_of(id, PEK, &mut doc);
    impostor.device = other_device;
    for (what, push) in [
        ("a record declared as another commune's", declared),
        ("another commune's record under its own envelope", hijack),
        ("a push naming another device", impostor),
    ] {
        let r = rt.block_on(send(
            &hub.app,
            sync_request(PUSH_PATH, token, push.encode().unwrap(), None),
        ));
        let status = r.status();
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {status}"
        );
        assert_eq!(fingerprint(&hub.store), before, "{what} stored something");
    }

    // Pulls: asking for Đăk Choong, alone or beside Đăk Pék, as itself or
    // naming another device, from the start or from far ahead.
    for (what, communes, cursor, device) in [
        ("Đăk Choong alone", vec![CHOONG], 0, hub.device),
        ("both communes", vec![PEK, CHOONG], 0, hub.device),
        ("naming another device", vec![PEK, CHOONG], 0, other_device),
        (
            "every commune of the district",
            vec!["62-610", PEK, CHOONG, "62-610-23290"],
            0,
            Uuid::nil(),
        ),
        (
            "from far ahead",
            vec![PEK, CHOONG],
            i64::MAX as u64,
            hub.device,
        ),
    ] {
        let r = rt.block_on(send(
            &hub.app,
            sync_request(PULL_PATH, token, pull_body(&communes, cursor, device), None),
        ));
        assert_eq!(r.status(), StatusCode::OK, "{what}");
        let batch = PullResponse::decode_for(&rt.block_on(body_of(r)), PROTOCOL_VERSION).unwrap();
        assert!(
            batch.docs.iter().all(|d| d.commune == PEK),
            "{what}: {:?}",
            batch.docs.iter().map(|d| &d.commune).collect::<Vec<_>>()
        );
        assert!(
            batch.docs.iter().all(|d| d.id != hub.choong_record),
            "{what}"
        );
        if cursor == 0 && communes.contains(&PEK) {
            assert!(!batch.docs.is_empty(), "{what}: its own commune is served");
        }
    }
    // A cursor past what the feed can number is refused, not wrapped.
    let r = rt.block_on(send(
        &hub.app,
        sync_request(
            PULL_PATH,
            token,
            pull_body(&[CHOONG], u64::MAX, hub.device),
            None,
        ),
    ));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fingerprint(&hub.store), before);
}

#[test]
fn a_revoked_and_a_lost_device_are_refused_with_the_reason_the_tablet_shows() {
    let hub = hub();
    let rt = runtime();
    let enrol = |code: &str, device: Uuid, previous_token: Option<&str>| {
        let body = wire::encode(&EnrolRequest {
            protocol: PROTOCOL_VERSION,
            code: code.into(),
            device,
            previous_token: previous_token.map(str::to_string),
        })
        .unwrap();
        rt.block_on(send(&hub.app, sync_request(ENROL_PATH, None, body, None)))
    };
    let pull = |token: &str| {
        rt.block_on(send(
            &hub.app,
            sync_request(
                PULL_PATH,
                Some(token),
                pull_body(&[PEK], 0, Uuid::nil()),
                None,
            ),
        ))
    };
    let new_code = || hub.store.issue_code(&[PEK.into()], "A Lưu", 3600).unwrap();

    assert!(hub.store.revoke(hub.device).unwrap());
    let r = pull(&hub.token);
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(header_of(&r, REFUSAL_HEADER), REFUSAL_REVOKED);
    // Another tablet cannot take the revoked id over: without the token
    // the hub gave it, the id is refused in Vietnamese first, naming no one.
    let code = new_code();
    let r = enrol(&code, hub.device, None);
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let reason = String::from_utf8(rt.block_on(body_of(r))).unwrap();
    assert!(
        reason.contains("Mã thiết bị này đã được đăng ký cho một máy khác")
            && reason.contains("enrolled to another tablet")
            && !reason.contains("A Lưu"),
        "{reason}"
    );
    // Revoked, the officer enrols the same tablet again with a new code;
    // the tablet proves the id with its revoked token.
    let r = enrol(&code, hub.device, Some(&hub.token));
    assert_eq!(r.status(), StatusCode::OK);
    let again: Enrolment = wire::decode(&rt.block_on(body_of(r))).unwrap();
    assert_eq!(pull(&again.token).status(), StatusCode::OK);

    assert!(hub.store.mark_lost(hub.device).unwrap());
    let r = pull(&again.token);
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(header_of(&r, REFUSAL_HEADER), REFUSAL_LOST);
    let code = new_code();
    let before = fingerprint(&hub.store);
    let r = enrol(&code, hub.device, Some(&again.token));
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(header_of(&r, REFUSAL_HEADER), REFUSAL_LOST);
    let reason = String::from_utf8(rt.block_on(body_of(r))).unwrap();
    assert!(
        reason.starts_with("Văn phòng đã báo máy này bị mất") && reason.contains("lost"),
        "{reason}"
    );
    assert_eq!(fingerprint(&hub.store), before, "the code was not used");
    assert_eq!(enrol(&code, Uuid::now_v7(), None).status(), StatusCode::OK);
}

#[test]
fn wrong_codes_from_one_address_are_limited_and_another_address_enrols() {
    let hub = hub_with(Limits {
        enrol_per_address: 3,
        ..quick_limits()
    });
    let rt = runtime();
    let (attacker, office) = (Some([203, 0, 113, 7]), Some([198, 51, 100, 2]));
    let enrol = |code: &str, from| {
        rt.block_on(send(
            &hub.app,
            sync_request(ENROL_PATH, None, enrol_body(code), from),
        ))
    };
    for guess in ["AAAAA-AAAAA", "BBBBB-BBBBB", "CCCCC-CCCCC"] {
        assert_eq!(enrol(guess, attacker).status(), StatusCode::UNAUTHORIZED);
    }
    let before = fingerprint(&hub.store);
    let r = enrol(&hub.code, attacker);
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even a right code"
    );
    assert_eq!(header_of(&r, REFUSAL_HEADER), REFUSAL_RATE_LIMITED);
    let retry: u64 = header_of(&r, "retry-after").parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    let reason = String::from_utf8(rt.block_on(body_of(r))).unwrap();
    assert!(
        reason.starts_with("Quá nhiều lần thử sai") && reason.contains("Too many"),
        "{reason}"
    );
    assert_eq!(fingerprint(&hub.store), before, "the code was not used");

    let r = enrol(&hub.code, office);
    assert_eq!(r.status(), StatusCode::OK, "another address is unaffected");
    // Malformed requests are refused but not counted as guesses.
    for _ in 0..5 {
        assert_eq!(
            rt.block_on(send(
                &hub.app,
                sync_request(ENROL_PATH, None, b"x".to_vec(), office)
            ))
            .status(),
            StatusCode::BAD_REQUEST
        );
    }
    let code = hub.store.issue_code(&[PEK.into()], "A Lưu", 3600).unwrap();
    assert_eq!(enrol(&code, office).status(), StatusCode::OK);
}

#[test]
fn unknown_tokens_from_one_address_are_limited_and_a_good_tablet_syncs() {
    let hub = hub_with(Limits {
        tokens_per_address: 3,
        ..quick_limits()
    });
    let rt = runtime();
    let (attacker, commune) = (Some([203, 0, 113, 9]), Some([198, 51, 100, 3]));
    let pull = |token: Option<&str>, from| {
        rt.block_on(send(
            &hub.app,
            sync_request(PULL_PATH, token, pull_body(&[PEK], 0, Uuid::nil()), from),
        ))
    };
    // A good tablet's syncs count nothing, however many.
    for _ in 0..5 {
        assert_eq!(pull(Some(&hub.token), commune).status(), StatusCode::OK);
    }
    assert_eq!(pull(None, attacker).status(), StatusCode::UNAUTHORIZED);
    for forged in ["00", "11"] {
        assert_eq!(
            pull(Some(&forged.repeat(32)), attacker).status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = pull(Some(&"22".repeat(32)), attacker);
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header_of(&r, REFUSAL_HEADER), REFUSAL_RATE_LIMITED);
    assert!(!header_of(&r, "retry-after").is_empty());
    let r = rt.block_on(send(
        &hub.app,
        sync_request(PUSH_PATH, Some("33"), Vec::new(), attacker),
    ));
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "push too");
    assert_eq!(pull(Some(&hub.token), commune).status(), StatusCode::OK);
    // A withdrawn tablet is refused for what it is, and not counted: the
    // commune's other tablets behind the same address keep syncing.
    hub.store.revoke(hub.device).unwrap();
    for _ in 0..5 {
        assert_eq!(
            pull(Some(&hub.token), commune).status(),
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        header_of(&pull(Some(&hub.token), commune), REFUSAL_HEADER),
        REFUSAL_REVOKED
    );
}
