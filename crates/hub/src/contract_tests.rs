//! The hub's storage contract, run against both stores: every test here
//! takes a `&dyn HubStorage` and runs once on SQLite (in memory) and once
//! on PostgreSQL (a database of its own on the server `PCMT_TEST_PG` names;
//! skipped, with a line saying so, when it is not set: `cargo xtask test`
//! always sets it).

use crate::error::HubError;
use crate::rules::audit::{self, Action, ActorKind, Entry, Logged};
use crate::rules::devices::Scope;
use crate::storage::HubStorage;
use automerge::{ActorId, AutoCommit};
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_core::sync::wire::{DocChanges, PullRequest, PullResponse, PushRequest, PROTOCOL_VERSION};
use pcmt_model::{OrgTree, RecordKind, SessionInput};
use std::sync::Mutex;
use uuid::Uuid;

/// Each test as two, `sqlite::name` and `postgres::name`: the first given
/// what `sqlite` makes, the second what `postgres` makes of a database of
/// its own (`TestDatabase`, named `db` there) — skipped, with a line saying
/// so, when `PCMT_TEST_PG` is not set. Also for `http_tests`.
macro_rules! on_both {
    (sqlite: $sqlite:expr, postgres: |$db:ident| $pg:expr; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name($sqlite);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let Some($db) = crate::testing::TestDatabase::from_env(stringify!($name))
                        .expect("the PostgreSQL server of PCMT_TEST_PG")
                    else {
                        return;
                    };
                    super::$name($pg);
                }
            )*
        }
    };
}

/// Each test, given a `&dyn HubStorage`, as two: on SQLite in memory and
/// on PostgreSQL.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        on_both!(
            sqlite: &crate::sqlite::HubStore::open_in_memory().expect("an in-memory hub"),
            postgres: |db| &db.store().expect("a PostgreSQL hub store");
            $($name),*
        );
    };
}

mod attachments;
mod moves;
mod office;
pub(crate) mod panics;
mod units;

on_both_stores!(
    a_push_twice_stores_once_and_the_feed_is_scoped,
    a_lie_about_the_commune_or_garbage_is_refused_and_stores_nothing,
    a_device_is_not_sent_back_its_own_changes,
    a_device_cannot_write_or_read_outside_its_communes,
    a_pull_is_cut_into_batches_that_resume_from_the_cursor,
    a_code_enrols_one_device_once_and_the_token_authenticates,
    an_expired_code_is_refused_and_a_revoked_token_too,
    a_revoked_device_enrols_again_with_a_new_code,
    a_lost_device_is_refused_for_good_and_never_enrols_again,
    a_colleagues_device_id_is_not_taken_over_with_another_code,
    the_office_and_uplink_ids_are_never_enrolled,
    a_write_to_another_communes_record_is_refused_even_when_the_envelope_lies,
    concurrent_pushes_never_let_a_cursor_skip_or_repeat_a_change,
    a_push_logs_one_entry_per_changed_document_with_its_tablet_and_officer,
    a_repeated_or_refused_push_logs_nothing,
    the_audit_log_is_read_within_the_staff_members_unit_filtered_and_paged,
    a_newer_apps_record_is_refused_until_the_hub_is_updated,
    a_change_over_the_record_limit_is_refused_and_stores_nothing,
    a_push_naming_one_document_twice_stores_both_parts,
    the_hub_above_writes_only_into_the_communes_this_hub_serves,
    a_first_pull_sends_edited_records_whole_and_an_older_tablet_their_changes,
    every_change_up_to_a_batchs_cursor_arrives_whatever_the_batch_size,
    a_push_that_asks_for_a_pull_is_answered_with_the_batch_after_it,
    every_answer_names_the_epoch_and_a_restore_draws_a_new_one_in_the_log,
    an_offer_names_what_the_hub_lacks_of_the_devices_communes_only,
    an_offer_of_runs_answers_each_by_its_digest,
    a_cursor_past_the_feeds_end_is_answered_with_the_end,
);

/// What the hub logs while a test runs, as text: what a log line must say,
/// and what it must not quote.
#[derive(Clone, Default)]
pub(crate) struct Logs(std::sync::Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// A subscriber writing into these logs, to install on the threads
    /// that do the work (`tracing::dispatcher::with_default`).
    pub fn dispatch(&self) -> tracing::Dispatch {
        let logs = self.clone();
        tracing::Dispatch::new(
            tracing_subscriber::fmt()
                .with_ansi(false)
                .with_writer(move || logs.clone())
                .finish(),
        )
    }

    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) use crate::testing::session_doc;

/// The whole demo district, as the office's own tools see it.
pub(crate) fn office() -> Scope {
    Scope {
        device: Uuid::nil(),
        communes: pcmt_model::OrgTree::demo()
            .communes()
            .map(|c| c.code.clone())
            .collect(),
        office: None,
    }
}

/// Another tablet of the district: a pull never returns a device's own
/// changes, so reads are made as someone else.
pub(crate) fn reader() -> Scope {
    Scope {
        device: Uuid::from_u128(1),
        ..office()
    }
}

pub(crate) fn push_of(id: Uuid, commune: &str, doc: &mut AutoCommit) -> PushRequest {
    PushRequest {
        protocol: PROTOCOL_VERSION,
        device: Uuid::nil(),
        docs: vec![DocChanges::since(
            id,
            RecordKind::Session,
            commune,
            doc,
            &[],
        )],
        pull: None,
        epoch: None,
        office: None,
    }
}

pub(crate) fn pull(hub: &dyn HubStorage, communes: &[&str], cursor: u64) -> PullResponse {
    hub.pull(
        &reader(),
        &PullRequest {
            protocol: PROTOCOL_VERSION,
            device: Uuid::nil(),
            communes: communes.iter().map(|c| c.to_string()).collect(),
            cursor,
            max_bytes: 1 << 20,
        },
    )
    .unwrap()
}

fn a_push_twice_stores_once_and_the_feed_is_scoped(hub: &dyn HubStorage) {
    let (id, mut doc) = session_doc("62-610-23284");
    let req = push_of(id, "62-610-23284", &mut doc);
    assert_eq!(hub.push(&office(), &req).unwrap().new_changes, 1);
    assert_eq!(hub.push(&office(), &req).unwrap().new_changes, 0);
    let feed = pull(hub, &["62-610-23284"], 0);
    assert_eq!(feed.docs.len(), 1);
    assert_eq!(feed.docs[0].id, id);
    assert!(!feed.more);
    assert!(pull(hub, &["62-610-23287"], 0).docs.is_empty());
    assert!(pull(hub, &["62-610-23284"], feed.cursor).docs.is_empty());
}

fn a_lie_about_the_commune_or_garbage_is_refused_and_stores_nothing(hub: &dyn HubStorage) {
    let (id, mut doc) = session_doc("62-610-23284");
    let lie = push_of(id, "62-610-23287", &mut doc);
    assert!(matches!(
        hub.push(&office(), &lie),
        Err(HubError::Rejected { .. })
    ));
    let mut garbage = push_of(id, "62-610-23284", &mut doc);
    garbage.docs[0].changes = vec![vec![1, 2, 3]];
    assert!(matches!(
        hub.push(&office(), &garbage),
        Err(HubError::Malformed(_))
    ));
    let mut old = push_of(id, "62-610-23284", &mut doc);
    old.protocol = 0;
    assert!(matches!(
        hub.push(&office(), &old),
        Err(HubError::Protocol(0))
    ));
    assert_eq!(hub.document_count().unwrap(), 0);
    assert!(pull(hub, &["62-610-23284", "62-610-23287"], 0)
        .docs
        .is_empty());
}

fn a_device_is_not_sent_back_its_own_changes(hub: &dyn HubStorage) {
    let (id, mut doc) = session_doc("62-610-23284");
    hub.push(&office(), &push_of(id, "62-610-23284", &mut doc))
        .unwrap();
    let own = hub
        .pull(
            &office(),
            &PullRequest {
                protocol: PROTOCOL_VERSION,
                device: Uuid::nil(),
                communes: vec!["62-610-23284".into()],
                cursor: 0,
                max_bytes: 1 << 20,
            },
        )
        .unwrap();
    assert!(own.docs.is_empty());
    assert_eq!(
        pull(hub, &["62-610-23284"], 0).docs.len(),
        1,
        "others get it"
    );
}

fn a_device_cannot_write_or_read_outside_its_communes(hub: &dyn HubStorage) {
    let pek = Scope {
        device: Uuid::nil(),
        communes: vec!["62-610-23284".into()],
        office: None,
    };
    let (id, mut doc) = session_doc("62-610-23287");
    let outside = push_of(id, "62-610-23287", &mut doc);
    assert!(matches!(
        hub.push(&pek, &outside),
        Err(HubError::Forbidden(_))
    ));
    assert_eq!(
        hub.document_count().unwrap(),
        0,
        "nothing of a refused push is stored"
    );
    hub.push(&office(), &outside).unwrap();
    let asked = hub
        .pull(
            &pek,
            &PullRequest {
                protocol: PROTOCOL_VERSION,
                device: Uuid::nil(),
                communes: vec!["62-610-23287".into(), "62-610-23284".into()],
                cursor: 0,
                max_bytes: 1 << 20,
            },
        )
        .unwrap();
    assert!(
        asked.docs.is_empty(),
        "another commune's records never reach this device"
    );
    let mut forged = push_of(id, "62-610-23284", &mut doc);
    forged.device = Uuid::now_v7();
    assert!(matches!(
        hub.push(&pek, &forged),
        Err(HubError::Forbidden(_))
    ));
}

fn a_pull_is_cut_into_batches_that_resume_from_the_cursor(hub: &dyn HubStorage) {
    let mut ids = Vec::new();
    for _ in 0..5 {
        let (id, mut doc) = session_doc("62-610-23284");
        hub.push(&office(), &push_of(id, "62-610-23284", &mut doc))
            .unwrap();
        ids.push(id);
    }
    let (mut cursor, mut seen) = (0, Vec::new());
    loop {
        let batch = hub
            .pull(
                &reader(),
                &PullRequest {
                    protocol: PROTOCOL_VERSION,
                    device: Uuid::nil(),
                    communes: vec!["62-610-23284".into()],
                    cursor,
                    max_bytes: 1,
                },
            )
            .unwrap();
        assert_eq!(batch.docs.len(), 1, "a tiny budget still moves one change");
        seen.extend(batch.docs.iter().map(|d| d.id));
        cursor = batch.cursor;
        if !batch.more {
            break;
        }
    }
    assert_eq!(seen, ids);
}

fn communes() -> Vec<String> {
    vec!["62-610-23284".into()]
}

fn a_code_enrols_one_device_once_and_the_token_authenticates(hub: &dyn HubStorage) {
    let code = hub.issue_code(&communes(), "A Lưu", 3600).unwrap();
    assert_eq!(code.len(), "XXXXX-XXXXX".len());
    let device = Uuid::now_v7();
    let e = hub.enrol(&code.to_lowercase(), device, None).unwrap();
    assert_eq!(
        (e.communes.clone(), e.officer.as_str()),
        (communes(), "A Lưu")
    );
    let scope = hub.authenticate(&e.token).unwrap();
    assert_eq!((scope.device, scope.communes), (device, communes()));
    assert!(matches!(
        hub.enrol(&code, Uuid::now_v7(), None),
        Err(HubError::Unauthorized(_))
    ));
    assert!(matches!(
        hub.authenticate("forged"),
        Err(HubError::Unauthorized(_))
    ));
}

fn an_expired_code_is_refused_and_a_revoked_token_too(hub: &dyn HubStorage) {
    let old = hub.issue_code(&communes(), "A Lưu", -1).unwrap();
    assert!(matches!(
        hub.enrol(&old, Uuid::now_v7(), None),
        Err(HubError::Unauthorized(_))
    ));
    let code = hub.issue_code(&communes(), "A Lưu", 3600).unwrap();
    let device = Uuid::now_v7();
    let e = hub.enrol(&code, device, None).unwrap();
    assert!(hub.revoke(device).unwrap());
    assert!(matches!(hub.authenticate(&e.token), Err(HubError::Revoked)));
}

fn a_revoked_device_enrols_again_with_a_new_code(hub: &dyn HubStorage) {
    let device = Uuid::now_v7();
    let first = hub
        .enrol(
            &hub.issue_code(&communes(), "A Lưu", 3600).unwrap(),
            device,
            None,
        )
        .unwrap();
    assert!(hub.revoke(device).unwrap());
    assert!(!hub.revoke(device).unwrap(), "already revoked");
    // It proves it is that device with its previous (revoked) token.
    let again = hub
        .enrol(
            &hub.issue_code(&communes(), "A Lưu", 3600).unwrap(),
            device,
            Some(&first.token),
        )
        .unwrap();
    assert_eq!(hub.authenticate(&again.token).unwrap().device, device);
    assert!(
        matches!(
            hub.authenticate(&first.token),
            Err(HubError::Unauthorized(_))
        ),
        "the old token is gone"
    );
}

fn a_lost_device_is_refused_for_good_and_never_enrols_again(hub: &dyn HubStorage) {
    let (lost, other) = (Uuid::now_v7(), Uuid::now_v7());
    let e = hub
        .enrol(
            &hub.issue_code(&communes(), "A Lưu", 3600).unwrap(),
            lost,
            None,
        )
        .unwrap();
    let other_first = hub
        .enrol(
            &hub.issue_code(&communes(), "Y Hoa", 3600).unwrap(),
            other,
            None,
        )
        .unwrap();
    assert!(!hub.mark_lost(Uuid::now_v7()).unwrap(), "no such device");
    assert!(hub.mark_lost(lost).unwrap());
    assert!(!hub.mark_lost(lost).unwrap(), "already marked");
    let logged = district_log(hub);
    assert_eq!(
        (logged[0].entry.action, logged[0].entry.device),
        (Action::DeviceLost, Some(lost)),
        "logged once, with the office as actor"
    );
    assert_eq!(logged[0].entry.actor.kind, ActorKind::Office);
    assert_eq!(
        logged
            .iter()
            .filter(|l| l.entry.action == Action::DeviceLost)
            .count(),
        1
    );
    assert!(matches!(hub.authenticate(&e.token), Err(HubError::Lost)));
    assert!(!hub.revoke(lost).unwrap(), "marking lost also revoked it");

    let code = hub.issue_code(&communes(), "A Lưu", 3600).unwrap();
    assert!(matches!(hub.enrol(&code, lost, None), Err(HubError::Lost)));
    assert!(matches!(hub.authenticate(&e.token), Err(HubError::Lost)));
    // The refused enrolment did not use the code up: another device may.
    let fresh = hub.enrol(&code, Uuid::now_v7(), None).unwrap();
    assert!(hub.authenticate(&fresh.token).is_ok());
    // Revoking is not losing: a revoked device still enrols again.
    assert!(hub.revoke(other).unwrap());
    let again = hub
        .enrol(
            &hub.issue_code(&communes(), "Y Hoa", 3600).unwrap(),
            other,
            Some(&other_first.token),
        )
        .unwrap();
    assert_eq!(hub.authenticate(&again.token).unwrap().device, other);
}

/// A tablet chooses its own device id. An officer holding a valid code
/// (their own, for their own communes) sends a colleague's device id, known
/// from a shared report or the audit page, to take over the id that marks
/// the colleague's changes and to cut the colleague off. Refused, with or
/// without a wrong token, and whether the colleague is revoked or not;
/// nothing changes and the code stays unused.
fn a_colleagues_device_id_is_not_taken_over_with_another_code(hub: &dyn HubStorage) {
    let colleague = Uuid::now_v7();
    let theirs = hub
        .enrol(
            &hub.issue_code(&communes(), "A Lưu", 3600).unwrap(),
            colleague,
            None,
        )
        .unwrap();
    let mine = hub
        .enrol(
            &hub.issue_code(&communes(), "Y Hoa", 3600).unwrap(),
            Uuid::now_v7(),
            None,
        )
        .unwrap();
    let logged = district_log(hub).len();
    let code = hub.issue_code(&communes(), "Y Hoa", 3600).unwrap();
    let logged_with_code = district_log(hub).len();
    assert_eq!(logged_with_code, logged + 1, "the code's issue is logged");

    for proof in [None, Some(mine.token.as_str()), Some("forged")] {
        let refused = hub.enrol(&code, colleague, proof);
        let Err(HubError::Unauthorized(why)) = refused else {
            panic!("a takeover with {proof:?} as proof: {refused:?}");
        };
        assert!(!why.contains("A Lưu"), "names no one: {why}");
    }
    assert_eq!(hub.authenticate(&theirs.token).unwrap().device, colleague);
    assert_eq!(district_log(hub).len(), logged_with_code, "nothing logged");

    // Revoked, the colleague's id is no freer.
    assert!(hub.revoke(colleague).unwrap());
    let logged_revoked = district_log(hub).len();
    assert!(matches!(
        hub.enrol(&code, colleague, None),
        Err(HubError::Unauthorized(_))
    ));
    assert!(matches!(
        hub.authenticate(&theirs.token),
        Err(HubError::Revoked)
    ));
    assert_eq!(district_log(hub).len(), logged_revoked);

    // The refusals did not use the code up.
    let fresh = hub.enrol(&code, Uuid::now_v7(), None).unwrap();
    assert!(hub.authenticate(&fresh.token).is_ok());
}

/// The nil id marks the office's own tools in the feed and the audit log,
/// `UPLINK_ORIGIN` the changes of the hub above: no tablet may be either.
fn the_office_and_uplink_ids_are_never_enrolled(hub: &dyn HubStorage) {
    let code = hub.issue_code(&communes(), "A Lưu", 3600).unwrap();
    for reserved in [Uuid::nil(), crate::rules::devices::UPLINK_ORIGIN] {
        let refused = hub.enrol(&code, reserved, None);
        assert!(
            matches!(refused, Err(HubError::Unauthorized(_))),
            "{reserved}: {refused:?}"
        );
    }
    let fresh = hub.enrol(&code, Uuid::now_v7(), None).unwrap();
    assert!(hub.authenticate(&fresh.token).is_ok(), "the code is unused");
}

/// A device of Đăk Pék knows the id of a Đăk Choong record (say, from a
/// shared report) and sends changes to it under its own commune, with a
/// change that rewrites the document's commune so that the merged header
/// agrees with the envelope. Refused whole; the record and the feed stay.
fn a_write_to_another_communes_record_is_refused_even_when_the_envelope_lies(hub: &dyn HubStorage) {
    use automerge::transaction::Transactable;
    const PEK: &str = "62-610-23284";
    const CHOONG: &str = "62-610-23287";
    let (id, mut theirs) = session_doc(CHOONG);
    hub.push(&office(), &push_of(id, CHOONG, &mut theirs))
        .unwrap();
    let before = pull(hub, &[PEK, CHOONG], 0);

    // A fresh document with the same id whose every field says Đăk Pék,
    // from an actor that sorts after any other, its operations numbered
    // past the record's, so its values win the merge.
    let mut forged = AutoCommit::new().with_actor(ActorId::from(vec![0xff; 16]));
    for n in 0..200 {
        forged.put(automerge::ROOT, "padding", n).unwrap();
    }
    for (key, value) in [
        ("@id", id.to_string()),
        ("@kind", "session".into()),
        ("commune", PEK.into()),
    ] {
        forged.put(automerge::ROOT, key, value).unwrap();
    }
    forged.put(automerge::ROOT, "@schema", 1).unwrap();
    forged.put(automerge::ROOT, "attendees", 1).unwrap();
    let pek = Scope {
        device: Uuid::from_u128(7),
        communes: vec![PEK.into()],
        office: None,
    };
    let mut push = push_of(id, PEK, &mut forged);
    push.device = pek.device;
    let refused = hub.push(&pek, &push);
    assert!(
        matches!(refused, Err(HubError::Forbidden(_))),
        "{refused:?}"
    );
    let after = pull(hub, &[PEK, CHOONG], 0);
    assert_eq!(after.cursor, before.cursor, "nothing added to the feed");
    assert_eq!(after.docs.len(), 1);
    assert_eq!(after.docs[0].commune, CHOONG);
    assert_eq!(hub.document_count().unwrap(), 1);
}

/// Several writers push at once (new records, and edits of one shared
/// record from each writer's copy) while readers pull with small batches.
/// Every reader must end with every change exactly once: a feed position
/// handed out before another but committed after it would be skipped by a
/// reader whose cursor already passed it. Then one edit that depends on all
/// the writers' edits must be accepted: no writer's merge of the shared
/// document overwrote another's.
fn concurrent_pushes_never_let_a_cursor_skip_or_repeat_a_change(hub: &dyn HubStorage) {
    use automerge::transaction::Transactable;
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicBool, Ordering};
    const WRITERS: u128 = 4;
    const READERS: u128 = 2;
    const ROUNDS: i64 = 40;
    const SHARED_EVERY: i64 = 8;
    const NEW_PER_PUSH: i64 = 4;
    const COMMUNE: &str = "62-610-23284";

    let hash_of = |bytes: &[u8]| {
        automerge::Change::from_bytes(bytes.to_vec())
            .expect("a change")
            .hash()
    };
    let (shared_id, mut base) = session_doc(COMMUNE);
    let first = push_of(shared_id, COMMUNE, &mut base);
    hub.push(&office(), &first).unwrap();
    let pushed = Mutex::new(
        first.docs[0]
            .changes
            .iter()
            .map(|c| hash_of(c))
            .collect::<Vec<_>>(),
    );
    let writing_done = AtomicBool::new(false);

    let (forks, seen) = std::thread::scope(|s| {
        let readers: Vec<_> = (0..READERS)
            .map(|r| {
                let writing_done = &writing_done;
                s.spawn(move || {
                    let scope = Scope {
                        device: Uuid::from_u128(1000 + r),
                        ..office()
                    };
                    let (mut cursor, mut seen) = (0u64, Vec::new());
                    loop {
                        // Read before pulling: after the writers finish,
                        // one pull that ends the feed is the last.
                        let done = writing_done.load(Ordering::SeqCst);
                        let batch = hub
                            .pull(
                                &scope,
                                &PullRequest {
                                    protocol: PROTOCOL_VERSION,
                                    device: scope.device,
                                    communes: vec![COMMUNE.into()],
                                    cursor,
                                    max_bytes: 2048,
                                },
                            )
                            .unwrap();
                        assert!(batch.cursor >= cursor, "a cursor never goes back");
                        cursor = batch.cursor;
                        seen.extend(
                            batch
                                .docs
                                .iter()
                                .flat_map(|d| d.changes.iter().map(|c| hash_of(c))),
                        );
                        if done && !batch.more {
                            return seen;
                        }
                    }
                })
            })
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (pushed, mut fork) = (&pushed, base.fork());
                s.spawn(move || {
                    let scope = Scope {
                        device: Uuid::from_u128(1 + w),
                        ..office()
                    };
                    let mut heads = fork.get_heads();
                    for round in 0..ROUNDS {
                        let mut docs = Vec::new();
                        // Mostly pushes with nothing in common, which only
                        // the feed lock orders; now and then the shared record.
                        if round % SHARED_EVERY == 0 {
                            fork.put(automerge::ROOT, "attendees", 300 + round).unwrap();
                            docs.push(DocChanges::since(
                                shared_id,
                                RecordKind::Session,
                                COMMUNE,
                                &mut fork,
                                &heads,
                            ));
                            heads = fork.get_heads();
                        }
                        for _ in 0..NEW_PER_PUSH {
                            let (id, mut doc) = session_doc(COMMUNE);
                            docs.push(DocChanges::since(
                                id,
                                RecordKind::Session,
                                COMMUNE,
                                &mut doc,
                                &[],
                            ));
                        }
                        let req = PushRequest {
                            protocol: PROTOCOL_VERSION,
                            device: scope.device,
                            docs,
                            pull: None,
                            epoch: None,
                            office: None,
                        };
                        hub.push(&scope, &req).unwrap();
                        pushed.lock().unwrap().extend(
                            req.docs
                                .iter()
                                .flat_map(|d| d.changes.iter().map(|c| hash_of(c))),
                        );
                    }
                    fork
                })
            })
            .collect();
        let forks: Vec<AutoCommit> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        writing_done.store(true, Ordering::SeqCst);
        let seen: Vec<_> = readers.into_iter().map(|r| r.join().unwrap()).collect();
        (forks, seen)
    });

    let pushed: HashSet<_> = pushed.into_inner().unwrap().into_iter().collect();
    assert_eq!(
        pushed.len() as i64,
        1 + WRITERS as i64 * (ROUNDS * NEW_PER_PUSH + ROUNDS / SHARED_EVERY)
    );
    for (r, seen) in seen.iter().enumerate() {
        let unique: HashSet<_> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "reader {r} got a change twice");
        assert_eq!(unique, pushed, "reader {r} missed a change");
    }

    let mut merged = base.fork();
    for mut fork in forks {
        merged.merge(&mut fork).unwrap();
    }
    let heads = merged.get_heads();
    merged.put(automerge::ROOT, "attendees", 999).unwrap();
    let last = PushRequest {
        protocol: PROTOCOL_VERSION,
        device: Uuid::nil(),
        docs: vec![DocChanges::since(
            shared_id,
            RecordKind::Session,
            COMMUNE,
            &mut merged,
            &heads,
        )],
        pull: None,
        epoch: None,
        office: None,
    };
    assert_eq!(last.docs[0].changes.len(), 1);
    assert_eq!(
        hub.push(&office(), &last).unwrap().new_changes,
        1,
        "the shared record holds every writer's edit"
    );
}

// The audit log (crate::audit).

const PEK: &str = "62-610-23284";
const CHOONG: &str = "62-610-23287";

/// Everything the district office may read.
fn district_log(hub: &dyn HubStorage) -> Vec<Logged> {
    hub.audit_log(&audit::Query::visible_to(&OrgTree::demo(), "62-610"))
        .unwrap()
        .entries
}

/// A tablet enrolled for `officer` in `communes`, as the hub sees it.
fn enrolled(hub: &dyn HubStorage, communes: &[&str], officer: &str) -> Scope {
    let communes: Vec<String> = communes.iter().map(|c| c.to_string()).collect();
    let code = hub.issue_code(&communes, officer, 3600).unwrap();
    let e = hub.enrol(&code, Uuid::now_v7(), None).unwrap();
    // Kept for the test's every sync, so without the versions read by
    // this one check: each push reads them, as each sync's own check would.
    Scope {
        office: None,
        ..hub.authenticate(&e.token).unwrap()
    }
}

/// A push from `scope`'s tablet of the changes of `docs` since `heads`.
fn push_from(scope: &Scope, docs: Vec<DocChanges>) -> PushRequest {
    PushRequest {
        protocol: PROTOCOL_VERSION,
        device: scope.device,
        docs,
        pull: None,
        epoch: None,
        office: None,
    }
}

fn new_doc(id: Uuid, commune: &str, doc: &mut AutoCommit) -> DocChanges {
    DocChanges::since(id, RecordKind::Session, commune, doc, &[])
}

fn a_push_logs_one_entry_per_changed_document_with_its_tablet_and_officer(hub: &dyn HubStorage) {
    use automerge::transaction::Transactable;
    let tablet = enrolled(hub, &[PEK], "A Lưu");
    let start = district_log(hub);
    assert_eq!(
        start.iter().map(|l| l.entry.action).collect::<Vec<_>>(),
        [Action::DeviceEnrolled, Action::CodeIssued],
        "newest first"
    );
    assert_eq!(start[0].entry.actor.name.as_deref(), Some("A Lưu"));
    assert_eq!(start[0].entry.device, Some(tablet.device));
    assert_eq!(start[1].entry.actor.kind, ActorKind::Office);
    assert_eq!(start[1].entry.detail.officer.as_deref(), Some("A Lưu"));

    let (a, mut doc_a) = session_doc(PEK);
    let (b, mut doc_b) = session_doc(PEK);
    let first = push_from(
        &tablet,
        vec![new_doc(a, PEK, &mut doc_a), new_doc(b, PEK, &mut doc_b)],
    );
    hub.push(&tablet, &first).unwrap();
    let log = district_log(hub);
    assert_eq!(log.len(), start.len() + 2, "one entry per document");
    let mut records = Vec::new();
    for l in &log[..2] {
        let e = &l.entry;
        assert_eq!(e.actor.kind, ActorKind::Device);
        assert_eq!(
            e.actor.name.as_deref(),
            Some("A Lưu"),
            "the enrolled officer"
        );
        assert_eq!(e.device, Some(tablet.device));
        assert_eq!(e.action, Action::RecordCreated);
        assert_eq!(e.record_kind, Some(RecordKind::Session));
        assert_eq!(e.scope, [PEK]);
        assert_eq!(e.detail.changes, Some(1));
        assert!(
            (l.at - chrono::Utc::now().timestamp()).abs() < 60,
            "{}",
            l.at
        );
        records.extend(e.record);
    }
    records.sort();
    let mut pushed = vec![a, b];
    pushed.sort();
    assert_eq!(records, pushed);

    // Two edits of one record in one push: one entry that counts them.
    let heads = doc_a.get_heads();
    doc_a.put(automerge::ROOT, "attendees", 250).unwrap();
    doc_a.commit();
    doc_a.put(automerge::ROOT, "women", 120).unwrap();
    let edit = push_from(
        &tablet,
        vec![DocChanges::since(
            a,
            RecordKind::Session,
            PEK,
            &mut doc_a,
            &heads,
        )],
    );
    assert_eq!(edit.docs[0].changes.len(), 2);
    hub.push(&tablet, &edit).unwrap();
    let heads = doc_a.get_heads();
    record_doc::set_deleted(
        &mut doc_a,
        true,
        &ChangeNote {
            officer: "t".into(),
        },
        0,
    );
    let delete = push_from(
        &tablet,
        vec![DocChanges::since(
            a,
            RecordKind::Session,
            PEK,
            &mut doc_a,
            &heads,
        )],
    );
    hub.push(&tablet, &delete).unwrap();
    let log = district_log(hub);
    assert_eq!(log.len(), start.len() + 4);
    let (deleted, changed) = (&log[0].entry, &log[1].entry);
    assert_eq!(
        (changed.action, changed.record, changed.detail.changes),
        (Action::RecordChanged, Some(a), Some(2))
    );
    assert_eq!(
        (deleted.action, deleted.record),
        (Action::RecordDeleted, Some(a))
    );

    // The office's own tools (the demo seed) and revocation.
    let (c, mut doc_c) = session_doc(CHOONG);
    hub.push(&office(), &push_of(c, CHOONG, &mut doc_c))
        .unwrap();
    assert!(hub.revoke(tablet.device).unwrap());
    assert!(!hub.revoke(tablet.device).unwrap(), "no second entry");
    let log = district_log(hub);
    assert_eq!(log.len(), start.len() + 6);
    let (revoked, seeded) = (&log[0].entry, &log[1].entry);
    assert_eq!(
        (revoked.action, revoked.actor.kind, revoked.device),
        (
            Action::DeviceRevoked,
            ActorKind::Office,
            Some(tablet.device)
        )
    );
    assert_eq!(revoked.scope, [PEK]);
    assert_eq!(
        (seeded.actor.kind, seeded.device, seeded.record),
        (ActorKind::Office, None, Some(c))
    );
}

fn a_repeated_or_refused_push_logs_nothing(hub: &dyn HubStorage) {
    let tablet = enrolled(hub, &[PEK], "A Lưu");
    let (a, mut doc_a) = session_doc(PEK);
    let push = push_from(&tablet, vec![new_doc(a, PEK, &mut doc_a)]);
    hub.push(&tablet, &push).unwrap();
    let held = district_log(hub).len();
    assert_eq!(hub.push(&tablet, &push).unwrap().new_changes, 0);
    assert_eq!(
        district_log(hub).len(),
        held,
        "nothing changed, nothing logged"
    );

    // A valid new record beside one that lies about its commune: the whole
    // push is refused, the first record's entry with it.
    let (b, mut doc_b) = session_doc(PEK);
    let (c, mut doc_c) = session_doc(CHOONG);
    let mixed = push_from(
        &tablet,
        vec![new_doc(b, PEK, &mut doc_b), new_doc(c, CHOONG, &mut doc_c)],
    );
    assert!(matches!(
        hub.push(&tablet, &mixed),
        Err(HubError::Forbidden(_))
    ));
    let mut lie = mixed.clone();
    lie.docs[1] = DocChanges::since(c, RecordKind::Session, PEK, &mut doc_c, &[]);
    assert!(matches!(
        hub.push(&tablet, &lie),
        Err(HubError::Rejected { .. })
    ));
    assert_eq!(district_log(hub).len(), held);
    assert_eq!(hub.document_count().unwrap(), 1);
}

fn the_audit_log_is_read_within_the_staff_members_unit_filtered_and_paged(hub: &dyn HubStorage) {
    let tree = OrgTree::demo();
    let pek = enrolled(hub, &[PEK], "A Lưu");
    let choong = enrolled(hub, &[CHOONG], "Y Bình");
    let both = enrolled(hub, &[PEK, CHOONG], "A Tâm");
    let (a, mut doc_a) = session_doc(PEK);
    hub.push(&pek, &push_from(&pek, vec![new_doc(a, PEK, &mut doc_a)]))
        .unwrap();
    let (b, mut doc_b) = session_doc(CHOONG);
    hub.push(
        &choong,
        &push_from(&choong, vec![new_doc(b, CHOONG, &mut doc_b)]),
    )
    .unwrap();
    hub.append_audit(&Entry::sign_in_failed(None, None))
        .unwrap();
    let period = pcmt_model::report::Period::year(2026).unwrap();
    hub.append_audit(&Entry::export(
        "huyen",
        "62-610",
        pcmt_model::report::ExportFormat::Xlsx,
        &period,
    ))
    .unwrap();

    let district = district_log(hub);
    // 3 × (code, enrolment), 2 records, a failed sign-in, an export.
    assert_eq!(district.len(), 10);
    let export = &district[0].entry;
    assert_eq!(
        (export.action, export.detail.format, export.detail.period),
        (
            Action::ExportDownloaded,
            Some(pcmt_model::report::ExportFormat::Xlsx),
            Some(period)
        )
    );
    assert!(
        district[1].entry.scope.is_empty(),
        "no account's name: no unit"
    );

    let read = |q: &audit::Query| hub.audit_log(q).unwrap().entries;
    let commune = read(&audit::Query::visible_to(&tree, PEK));
    assert!(
        commune
            .iter()
            .all(|l| l.entry.scope.iter().any(|u| u == PEK)),
        "{commune:?}"
    );
    let devices: Vec<_> = commune.iter().filter_map(|l| l.entry.device).collect();
    assert!(devices.contains(&pek.device) && devices.contains(&both.device));
    assert!(
        !devices.contains(&choong.device),
        "another commune's tablet"
    );
    assert!(commune.iter().all(|l| l.entry.record != Some(b)));
    assert_eq!(
        commune.len(),
        5,
        "2 × (code, enrolment) and Đăk Pék's record"
    );

    let only = |q: audit::Query| read(&q);
    let all = audit::Query::visible_to(&tree, "62-610");
    let of_a = only(audit::Query {
        record: Some(a),
        ..all.clone()
    });
    assert_eq!(of_a.len(), 1);
    assert_eq!(of_a[0].entry.record, Some(a));
    let of_choong = only(audit::Query {
        device: Some(choong.device),
        ..all.clone()
    });
    assert_eq!(
        of_choong.iter().map(|l| l.entry.action).collect::<Vec<_>>(),
        [Action::RecordCreated, Action::DeviceEnrolled]
    );
    let now = chrono::Utc::now().timestamp();
    assert!(only(audit::Query {
        from: Some(now + 3600),
        ..all.clone()
    })
    .is_empty());
    assert!(only(audit::Query {
        until: Some(now - 3600),
        ..all.clone()
    })
    .is_empty());
    assert_eq!(
        only(audit::Query {
            from: Some(now - 3600),
            until: Some(now + 3600),
            ..all.clone()
        }),
        district
    );

    let mut paged = Vec::new();
    for page in 0.. {
        let p = hub
            .audit_log(&audit::Query {
                page,
                per_page: 3,
                ..all.clone()
            })
            .unwrap();
        assert!(p.entries.len() <= 3);
        paged.extend(p.entries);
        if !p.more {
            break;
        }
    }
    assert_eq!(paged, district, "pages add up to the whole log, in order");
}

mod audit_tampering {
    //! The database itself keeps the log append-only: statements the hub
    //! never sends, sent around the store, are refused on both stores.
    use crate::rules::audit::Query;
    use crate::storage::HubStorage;
    use pcmt_model::OrgTree;

    const TAMPERING: [&str; 2] = [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ];

    /// `run` sends a statement straight to the database.
    fn refuses_tampering(hub: &dyn HubStorage, run: impl Fn(&str) -> Result<(), String>) {
        hub.issue_code(&["62-610-23284".into()], "A Lưu", 3600)
            .unwrap();
        let before = hub
            .audit_log(&Query::visible_to(&OrgTree::demo(), "62-610"))
            .unwrap();
        assert_eq!(before.entries.len(), 1);
        for sql in TAMPERING {
            let refused = run(sql).expect_err(sql);
            assert!(refused.contains("append-only"), "{sql}: {refused}");
        }
        let after = hub
            .audit_log(&Query::visible_to(&OrgTree::demo(), "62-610"))
            .unwrap();
        assert_eq!(after, before);
    }

    #[test]
    fn sqlite_refuses_to_update_or_delete_audit_entries() {
        let hub = crate::sqlite::HubStore::open_in_memory().unwrap();
        refuses_tampering(&hub, |sql| {
            hub.conn()
                .execute(sql, [])
                .map(drop)
                .map_err(|e| e.to_string())
        });
    }

    #[test]
    fn postgres_refuses_to_update_delete_or_truncate_audit_entries() {
        let Some(db) = crate::testing::TestDatabase::from_env(
            "postgres_refuses_to_update_delete_or_truncate_audit_entries",
        )
        .expect("the PostgreSQL server of PCMT_TEST_PG") else {
            return;
        };
        let hub = db.store().unwrap();
        let run = |sql: &str| {
            hub.client()
                .unwrap()
                .batch_execute(sql)
                .map_err(|e| format!("{e:?}"))
        };
        refuses_tampering(&hub, run);
        let truncate = run("TRUNCATE audit_log").expect_err("TRUNCATE");
        assert!(truncate.contains("append-only"), "{truncate}");
    }
}

/// A record of a newer schema than the hub's is refused (422), whole:
/// tablets of this build would fail every pull on a document they cannot
/// read, so the hub relays none until it and they are updated; the tablet
/// keeps the record unsent meanwhile. (A body of a known schema that the
/// reports cannot interpret is stored and relayed: see the rows' tests.)
fn a_newer_apps_record_is_refused_until_the_hub_is_updated(hub: &dyn HubStorage) {
    use automerge::transaction::Transactable;
    use automerge::ScalarValue;
    const PEK: &str = "62-610-23284";
    let (newer, mut newer_doc) = session_doc(PEK);
    newer_doc
        .put(
            automerge::ROOT,
            record_doc::SCHEMA_KEY,
            ScalarValue::Uint(pcmt_model::SCHEMA_VERSION + 1),
        )
        .unwrap();
    let refused = hub
        .push(&office(), &push_of(newer, PEK, &mut newer_doc))
        .expect_err("a newer schema is refused");
    assert!(matches!(refused, HubError::Rejected { .. }), "{refused}");
    assert_eq!(hub.document_count().unwrap(), 0);
    assert!(pull(hub, &[PEK], 0).docs.is_empty());
}

/// A change too big for any batch to carry (past `MAX_BATCH_BYTES`) is
/// refused at the push, whole: stored, it would stop every pull of its
/// commune at the message limit, for good.
fn a_change_over_the_record_limit_is_refused_and_stores_nothing(hub: &dyn HubStorage) {
    use automerge::transaction::Transactable;
    use pcmt_core::sync::wire::MAX_BATCH_BYTES;
    const PEK: &str = "62-610-23284";
    let (id, mut doc) = session_doc(PEK);
    // Bytes that do not compress, so the change itself is this large.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..MAX_BATCH_BYTES + 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    doc.put(
        automerge::ROOT,
        "notes",
        automerge::ScalarValue::Bytes(noise),
    )
    .unwrap();
    let push = push_of(id, PEK, &mut doc);
    assert!(push.docs[0]
        .changes
        .iter()
        .any(|c| c.len() > MAX_BATCH_BYTES));
    let refused = hub.push(&office(), &push).expect_err("over the limit");
    assert!(matches!(refused, HubError::Rejected { .. }), "{refused}");
    assert_eq!(hub.document_count().unwrap(), 0);
    assert!(pull(hub, &[PEK], 0).docs.is_empty());
}

/// A push may name one document twice (its changes split in two parts):
/// the second part merges into the first's result, and both reach the
/// document, the feed and the rows.
fn a_push_naming_one_document_twice_stores_both_parts(hub: &dyn HubStorage) {
    use automerge::transaction::Transactable;
    const PEK: &str = "62-610-23284";
    let (id, mut doc) = session_doc(PEK);
    let first = DocChanges::since(id, RecordKind::Session, PEK, &mut doc, &[]);
    let heads = doc.get_heads();
    doc.put(automerge::ROOT, "attendees", 300_i64).unwrap();
    doc.commit();
    let second = DocChanges::since(id, RecordKind::Session, PEK, &mut doc, &heads);
    assert!(!second.changes.is_empty());
    let ack = hub
        .push(
            &office(),
            &PushRequest {
                protocol: PROTOCOL_VERSION,
                device: Uuid::nil(),
                docs: vec![first, second],
                pull: None,
                epoch: None,
                office: None,
            },
        )
        .unwrap();
    assert_eq!(ack.new_changes as usize, doc.get_changes(&[]).len());
    assert_eq!(hub.document_count().unwrap(), 1);
    // Protocol 1: the feed's changes, none sent whole in their place.
    let batch = pull_as(hub, 1, 0, 1 << 20);
    let mut copy = AutoCommit::new();
    for d in &batch.docs {
        for c in &d.changes {
            copy.apply_changes([automerge::Change::from_bytes(c.clone()).unwrap()])
                .unwrap();
        }
    }
    assert_eq!(copy.get_heads(), doc.get_heads(), "both parts in the feed");
    let june = pcmt_model::report::Period::month(2026, 6).unwrap();
    let attendees = crate::storage::with_rows(hub, |rows| {
        pcmt_core::report::compute(rows, &hub.units(), &hub.rules(), PEK, &june, june.until)
            .unwrap()
            .indicator(pcmt_model::report::IndicatorCode::Attendees)
            .and_then(|i| i.value)
    })
    .unwrap();
    assert_eq!(attendees, Some(300.0), "the rows of the merged document");
}

/// The hub above (upward sync) may write only into the communes this hub
/// serves, those of its org tree: not a record of another district, not a
/// record it would move out of them, not a stored record of a commune
/// outside them (a tablet enrolled for it) that it would move in. Each
/// refusal stores nothing and leaves the uplink's cursor where it was.
fn the_hub_above_writes_only_into_the_communes_this_hub_serves(hub: &dyn HubStorage) {
    use crate::rules::protocol::UPLINK_PULL_KEY;
    use automerge::transaction::Transactable;
    const PEK: &str = "62-610-23284";
    // Đăk Tô's commune: another district, not in this hub's tree.
    const ELSEWHERE: &str = "62-611-23311";
    assert!(!hub.units().is_commune(ELSEWHERE));
    let refused = |hub: &dyn HubStorage, docs: &[DocChanges], what: &str| {
        let before = (
            hub.document_count().unwrap(),
            pull(hub, &[PEK, ELSEWHERE], 0),
            hub.meta(UPLINK_PULL_KEY).unwrap(),
        );
        let r = hub.apply_from_above(docs, 900);
        assert!(matches!(r, Err(HubError::Forbidden(_))), "{what}: {r:?}");
        let after = (
            hub.document_count().unwrap(),
            pull(hub, &[PEK, ELSEWHERE], 0),
            hub.meta(UPLINK_PULL_KEY).unwrap(),
        );
        assert_eq!(after, before, "{what}: stored something");
    };

    let (other, mut other_doc) = session_doc(ELSEWHERE);
    refused(
        hub,
        &push_of(other, ELSEWHERE, &mut other_doc).docs,
        "a record of another district",
    );

    let (pek, mut pek_doc) = session_doc(PEK);
    hub.push(&office(), &push_of(pek, PEK, &mut pek_doc))
        .unwrap();
    let (stored, mut edit) = (pek_doc.get_heads(), pek_doc.fork());
    pek_doc.put(automerge::ROOT, "commune", ELSEWHERE).unwrap();
    pek_doc.commit();
    refused(
        hub,
        &[DocChanges::since(
            pek,
            RecordKind::Session,
            ELSEWHERE,
            &mut pek_doc,
            &stored,
        )],
        "a record of the district moved out of it",
    );

    let outside = Scope {
        device: Uuid::nil(),
        communes: vec![ELSEWHERE.into()],
        office: None,
    };
    let (stray, mut stray_doc) = session_doc(ELSEWHERE);
    hub.push(&outside, &push_of(stray, ELSEWHERE, &mut stray_doc))
        .unwrap();
    let heads = stray_doc.get_heads();
    stray_doc.put(automerge::ROOT, "commune", PEK).unwrap();
    stray_doc.commit();
    refused(
        hub,
        &[DocChanges::since(
            stray,
            RecordKind::Session,
            PEK,
            &mut stray_doc,
            &heads,
        )],
        "a stored record outside the district moved into it",
    );

    // An edit of a record the hub serves goes through, with the cursor.
    edit.put(automerge::ROOT, "attendees", 321_i64).unwrap();
    edit.commit();
    let changed = hub
        .apply_from_above(
            &[DocChanges::since(
                pek,
                RecordKind::Session,
                PEK,
                &mut edit,
                &stored,
            )],
            901,
        )
        .unwrap();
    assert_eq!(changed, 1);
    assert_eq!(hub.meta(UPLINK_PULL_KEY).unwrap().as_deref(), Some("901"));
}

/// A session pushed by the office, then edited `edits` times (the count of
/// attendees), each edit pushed: a record with a history.
fn edited_session(hub: &dyn HubStorage, commune: &str, edits: u32) -> (Uuid, AutoCommit) {
    let (id, mut doc) = session_doc(commune);
    hub.push(&office(), &push_of(id, commune, &mut doc))
        .unwrap();
    let note = ChangeNote {
        officer: "t".into(),
    };
    for n in 1..=edits {
        let heads = doc.get_heads();
        let mut input: SessionInput = record_doc::read_record(&doc).unwrap();
        input.attendees += n;
        record_doc::update_record(&mut doc, &input, &note, i64::from(n)).unwrap();
        let mut push = push_of(id, commune, &mut doc);
        push.docs[0] = DocChanges::since(id, RecordKind::Session, commune, &mut doc, &heads);
        hub.push(&office(), &push).unwrap();
    }
    (id, doc)
}

fn pull_as(hub: &dyn HubStorage, protocol: u16, cursor: u64, max_bytes: u32) -> PullResponse {
    hub.pull(
        &reader(),
        &PullRequest {
            protocol,
            device: Uuid::nil(),
            communes: vec!["62-610-23284".into()],
            cursor,
            max_bytes,
        },
    )
    .unwrap()
}

/// Issue 18, item 4: a record edited several times reaches a tablet that
/// was never sent any of it as one document, smaller than its changes; a
/// record of one change goes as that change (the smaller); a tablet of
/// protocol 1 gets every change and no snapshot, as before; a pull from
/// past a record's first change gets its changes.
fn a_first_pull_sends_edited_records_whole_and_an_older_tablet_their_changes(hub: &dyn HubStorage) {
    let commune = "62-610-23284";
    let (edited, mut doc) = edited_session(hub, commune, 5);
    let (single, mut one) = session_doc(commune);
    hub.push(&office(), &push_of(single, commune, &mut one))
        .unwrap();

    let first = pull(hub, &[commune], 0);
    let ids = |s: &PullResponse| {
        (
            s.snapshots.iter().map(|d| d.id).collect::<Vec<_>>(),
            s.docs.iter().map(|d| d.id).collect::<Vec<_>>(),
        )
    };
    assert_eq!(ids(&first), (vec![edited], vec![single]));
    let mut whole = AutoCommit::load(&first.snapshots[0].bytes).unwrap();
    assert_eq!(whole.get_heads(), doc.get_heads());
    let changes: usize = doc
        .get_changes(&[])
        .iter()
        .map(|c| c.raw_bytes().len())
        .sum();
    assert!(first.snapshots[0].bytes.len() < changes);
    assert_eq!(whole.get_changes(&[]).len(), 6);

    let old = pull_as(hub, 1, 0, 1 << 20);
    assert!(old.snapshots.is_empty(), "protocol 1 reads no snapshot");
    assert_eq!(
        old.docs.iter().map(|d| d.changes.len()).sum::<usize>(),
        7,
        "every change, as before"
    );
    assert_eq!(old.cursor, first.cursor);

    let first_row = pull_as(hub, 1, 0, 1).cursor;
    let past = pull(hub, &[commune], first_row);
    assert_eq!(ids(&past), (vec![], vec![edited, single]));
    assert_eq!(past.docs[0].changes.len(), 5);
}

/// Issue 18, item 4: whatever the batch size, a puller that applies each
/// batch (snapshots merged, changes applied) holds every change of the
/// feed up to the batch's cursor: a snapshot standing for rows past the
/// cursor is more, never less, and no change is skipped.
fn every_change_up_to_a_batchs_cursor_arrives_whatever_the_batch_size(hub: &dyn HubStorage) {
    let commune = "62-610-23284";
    edited_session(hub, commune, 4);
    let (id, mut doc) = session_doc(commune);
    hub.push(&office(), &push_of(id, commune, &mut doc))
        .unwrap();
    edited_session(hub, commune, 2);
    // The feed one change at a time (protocol 1, a budget of one byte):
    // each change's hash and position.
    let mut feed = Vec::new();
    let mut cursor = 0;
    loop {
        let batch = pull_as(hub, 1, cursor, 1);
        let dc = &batch.docs[0];
        let change = automerge::Change::from_bytes(dc.changes[0].clone()).unwrap();
        feed.push((batch.cursor, dc.id, change.hash()));
        cursor = batch.cursor;
        if !batch.more {
            break;
        }
    }
    assert_eq!(feed.len(), 5 + 1 + 3);
    let mut snapshots_seen = 0;
    for budget in [1, 200, 400, 700, 1000, 1500, 3000, 1 << 20] {
        let mut replica: std::collections::HashMap<Uuid, AutoCommit> = Default::default();
        let mut cursor = 0;
        loop {
            let batch = pull_as(hub, PROTOCOL_VERSION, cursor, budget);
            for s in &batch.snapshots {
                let mut whole = AutoCommit::load(&s.bytes).unwrap();
                replica.entry(s.id).or_default().merge(&mut whole).unwrap();
                snapshots_seen += 1;
            }
            for dc in &batch.docs {
                let changes = dc
                    .changes
                    .iter()
                    .map(|c| automerge::Change::from_bytes(c.clone()).unwrap());
                replica
                    .entry(dc.id)
                    .or_default()
                    .apply_changes(changes)
                    .unwrap();
            }
            cursor = batch.cursor;
            for (_, id, hash) in feed.iter().filter(|(seq, _, _)| *seq <= cursor) {
                let held = replica.get_mut(id).and_then(|d| d.get_change_by_hash(hash));
                assert!(
                    held.is_some(),
                    "budget {budget}: change at or before {cursor} missing"
                );
            }
            if !batch.more {
                break;
            }
        }
    }
    assert!(snapshots_seen > 0, "some budget sent records whole");
}

/// Issue 18, item 4: a push asking for a pull (a tablet's last push) is
/// acknowledged with the batch a pull would get after it: the others'
/// changes, not the device's own, which it just sent; a push asking
/// nothing gets no batch.
fn a_push_that_asks_for_a_pull_is_answered_with_the_batch_after_it(hub: &dyn HubStorage) {
    let commune = "62-610-23284";
    let (theirs, mut doc) = session_doc(commune);
    hub.push(&office(), &push_of(theirs, commune, &mut doc))
        .unwrap();
    let (ours, mut mine) = session_doc(commune);
    let mut push = push_of(ours, commune, &mut mine);
    push.device = reader().device;
    assert!(hub.push(&reader(), &push).unwrap().pull.is_none());
    let (later, mut again) = session_doc(commune);
    let mut push = push_of(later, commune, &mut again);
    push.device = reader().device;
    push.pull = Some(PullRequest {
        protocol: PROTOCOL_VERSION,
        device: reader().device,
        communes: vec![commune.into()],
        cursor: 0,
        max_bytes: 1 << 20,
    });
    let ack = hub.push(&reader(), &push).unwrap();
    assert_eq!(ack.stored, vec![later]);
    let batch = ack.pull.expect("the batch after the push");
    assert_eq!(
        batch.docs.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![theirs]
    );
    assert!(!batch.more);
    assert_eq!(batch.cursor, pull(hub, &[commune], 0).cursor);
}

// Issue 24: epochs and offers.

fn every_answer_names_the_epoch_and_a_restore_draws_a_new_one_in_the_log(hub: &dyn HubStorage) {
    let first = hub.epoch().unwrap();
    assert_eq!(first.0.len(), 32);
    let (id, mut doc) = session_doc(PEK);
    let ack = hub.push(&office(), &push_of(id, PEK, &mut doc)).unwrap();
    assert_eq!(ack.epoch.as_ref(), Some(&first));
    assert_eq!(pull(hub, &[PEK], 0).epoch.as_ref(), Some(&first));
    assert_eq!(hub.epoch().unwrap(), first, "the same until a restore");
    // A push cut against another epoch's marks is not stored.
    let (other, mut other_doc) = session_doc(PEK);
    let stale = PushRequest {
        epoch: Some(pcmt_core::sync::wire::Epoch("an older life".into())),
        ..push_of(other, PEK, &mut other_doc)
    };
    let refused = hub.push(&office(), &stale).unwrap();
    assert_eq!(
        (refused.stored.len(), refused.epoch.as_ref()),
        (0, Some(&first))
    );
    assert_eq!(hub.document_count().unwrap(), 1);
    let current = PushRequest {
        epoch: Some(first.clone()),
        ..stale
    };
    assert_eq!(hub.push(&office(), &current).unwrap().stored, [other]);
    let second = hub.new_epoch("pcmt-hub-20261201.db.enc").unwrap();
    assert_ne!(second, first);
    assert_eq!(hub.epoch().unwrap(), second);
    assert_eq!(pull(hub, &[PEK], 0).epoch, Some(second.clone()));
    let log = district_log(hub);
    let restored: Vec<_> = log
        .iter()
        .filter(|l| l.entry.action == Action::HubRestored)
        .collect();
    assert_eq!(restored.len(), 1);
    assert_eq!(
        restored[0].entry.detail.epoch.as_deref(),
        Some(second.0.as_str())
    );
    assert_eq!(
        restored[0].entry.detail.backup.as_deref(),
        Some("pcmt-hub-20261201.db.enc")
    );
}

fn an_offer_names_what_the_hub_lacks_of_the_devices_communes_only(hub: &dyn HubStorage) {
    use automerge::transaction::Transactable;
    use pcmt_core::sync::wire::{DocHeads, OfferRequest};
    let pek = enrolled(hub, &[PEK], "A Lưu");
    let (held, mut held_doc) = session_doc(PEK);
    hub.push(&office(), &push_of(held, PEK, &mut held_doc))
        .unwrap();
    let (behind, mut behind_doc) = session_doc(PEK);
    hub.push(&office(), &push_of(behind, PEK, &mut behind_doc))
        .unwrap();
    let hub_heads: Vec<[u8; 32]> = behind_doc.get_heads().iter().map(|h| h.0).collect();
    behind_doc
        .put(automerge::ROOT, "attendees", 250_i64)
        .unwrap();
    behind_doc.commit();
    let (unknown, mut unknown_doc) = session_doc(PEK);
    let (elsewhere, mut elsewhere_doc) = session_doc(CHOONG);
    hub.push(&office(), &push_of(elsewhere, CHOONG, &mut elsewhere_doc))
        .unwrap();
    let offer = |id: Uuid, doc: &mut AutoCommit| DocHeads::of(id, &doc.get_heads());
    let answer = hub
        .offer(
            &pek,
            &OfferRequest {
                protocol: PROTOCOL_VERSION,
                device: pek.device,
                docs: vec![
                    offer(held, &mut held_doc),
                    offer(behind, &mut behind_doc),
                    offer(unknown, &mut unknown_doc),
                    // Not of this tablet's communes: never named.
                    DocHeads {
                        id: elsewhere,
                        heads: vec![[7; 32]],
                    },
                ],
                ranges: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(answer.epoch, Some(hub.epoch().unwrap()));
    assert_eq!(
        answer.lacking,
        [
            DocHeads {
                id: behind,
                heads: hub_heads,
            },
            DocHeads {
                id: unknown,
                heads: Vec::new(),
            },
        ]
    );
    let someone_else = OfferRequest {
        protocol: PROTOCOL_VERSION,
        device: Uuid::now_v7(),
        docs: Vec::new(),
        ranges: Vec::new(),
    };
    assert!(matches!(
        hub.offer(&pek, &someone_else),
        Err(HubError::Forbidden(_))
    ));
}

/// Issue 24, item 2: a pull with nothing new is answered with the
/// device's cursor, or with the feed's end when the cursor is past it
/// (the feed lost its end): never more than the end, and a batch with
/// rows moves on as ever.
fn a_cursor_past_the_feeds_end_is_answered_with_the_end(hub: &dyn HubStorage) {
    assert_eq!(pull(hub, &[PEK], 7).cursor, 0, "an empty feed ends at 0");
    let (id, mut doc) = session_doc(PEK);
    hub.push(&office(), &push_of(id, PEK, &mut doc)).unwrap();
    let end = pull(hub, &[PEK], 0).cursor;
    assert!(end > 0);
    assert_eq!(pull(hub, &[PEK], end).cursor, end, "at the end");
    assert_eq!(pull(hub, &[PEK], end + 40).cursor, end, "past it");
    // Another commune's change counts in the feed's end.
    let (other, mut other_doc) = session_doc(CHOONG);
    hub.push(&office(), &push_of(other, CHOONG, &mut other_doc))
        .unwrap();
    assert!(pull(hub, &[PEK], end + 40).cursor > end);
}

/// Issue 24: runs of a device's records compared by digest. A run the hub
/// holds the same is answered in a byte; one it holds otherwise is listed
/// with the hub's heads (only records of the device's communes: another
/// commune's record inside the span is neither counted nor named); one
/// with more records in its span than the hub lists is to be split.
fn an_offer_of_runs_answers_each_by_its_digest(hub: &dyn HubStorage) {
    use automerge::transaction::Transactable;
    use pcmt_core::sync::resync::Held;
    use pcmt_core::sync::wire::{digest, OfferRequest, RangeAnswer, RangeDigest};
    let pek = enrolled(hub, &[PEK], "A Lưu");
    let mut docs: Vec<(Uuid, AutoCommit)> = (0..4).map(|_| session_doc(PEK)).collect();
    // Another commune's record in the middle of the span.
    let (elsewhere, mut elsewhere_doc) = session_doc(CHOONG);
    docs.extend((0..2).map(|_| session_doc(PEK)));
    docs.sort_by_key(|(id, _)| *id);
    assert!(
        docs[0].0 < elsewhere && elsewhere < docs[4].0,
        "in the span"
    );
    hub.push(&office(), &push_of(elsewhere, CHOONG, &mut elsewhere_doc))
        .unwrap();
    // The hub holds the first five of the tablet's six.
    for (id, doc) in docs.iter_mut().take(5) {
        hub.push(&office(), &push_of(*id, PEK, doc)).unwrap();
    }
    let held: Vec<Held> = docs
        .iter_mut()
        .map(|(id, d)| (*id, d.get_heads()))
        .collect();
    let run = |from: usize, to: usize| RangeDigest {
        first: held[from].0,
        last: held[to - 1].0,
        count: (to - from) as u32,
        digest: digest(held[from..to].iter().map(|(id, h)| (*id, h.as_slice()))),
    };
    let offer = |ranges: Vec<RangeDigest>| {
        hub.offer(
            &pek,
            &OfferRequest {
                protocol: PROTOCOL_VERSION,
                device: pek.device,
                docs: Vec::new(),
                ranges,
            },
        )
        .unwrap()
    };
    let answer = offer(vec![run(0, 5), run(5, 6)]);
    assert_eq!(answer.epoch, Some(hub.epoch().unwrap()));
    assert_eq!(
        answer.ranges,
        [RangeAnswer::Same, RangeAnswer::Holds(Vec::new())]
    );

    // The hub one change behind on the second record.
    let mut ahead = docs[1].1.clone();
    ahead.put(automerge::ROOT, "attendees", 250_i64).unwrap();
    ahead.commit();
    let mut changed = held.clone();
    changed[1].1 = ahead.get_heads();
    let whole = RangeDigest {
        digest: digest(changed[..5].iter().map(|(id, h)| (*id, h.as_slice()))),
        ..run(0, 5)
    };
    let RangeAnswer::Holds(theirs) = &offer(vec![whole]).ranges[0] else {
        panic!("a run that differs, listed");
    };
    let ids: Vec<Uuid> = theirs.iter().map(|d| d.id).collect();
    assert_eq!(ids, held[..5].iter().map(|(id, _)| *id).collect::<Vec<_>>());
    assert_eq!(theirs[1].heads, vec![held[1].1[0].0], "the hub's heads");
    assert!(!ids.contains(&elsewhere));

    // Runs out of order, or overlapping, are refused.
    let refused = hub.offer(
        &pek,
        &OfferRequest {
            protocol: PROTOCOL_VERSION,
            device: pek.device,
            docs: Vec::new(),
            ranges: vec![run(2, 4), run(0, 3)],
        },
    );
    assert!(
        matches!(refused, Err(HubError::Malformed(_))),
        "{refused:?}"
    );
}
