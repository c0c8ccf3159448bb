//! A record this version of the app cannot read (issue 18): a tablet of the
//! commune pushes a session whose attendees are words, and the hub stores
//! and relays it. The commune's other tablets keep it out of their lists,
//! still receive everything else, and show it once a change makes it
//! readable.

use automerge::{AutoCommit, ChangeHash};
use chrono::NaiveDate;
use pcmt_core::http::HttpTransport;
use pcmt_core::sync::wire::{EnrolRequest, Enrolment};
use pcmt_core::sync::{run_session, HubLink, Request, Response, SyncError};
use pcmt_core::CoreError;
use pcmt_hub::testing::{session_doc, unreadable_session_doc};
use pcmt_model::api::ListFilter;
use pcmt_model::fixtures::{self, day};
use pcmt_model::{RecordKind, SessionInput};
use sotay_pcmt::{TestDevice, TestHub};
use std::collections::BTreeSet;
use uuid::Uuid;

const PEK: &str = "62-610-23284";

fn today() -> NaiveDate {
    day(2026, 11, 24)
}

fn sorted_heads(doc: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut heads = doc.get_heads();
    heads.sort();
    heads
}

fn session_ids(device: &TestDevice) -> BTreeSet<Uuid> {
    device
        .store()
        .list_sessions(&ListFilter::default(), 50, 0)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect()
}

/// A tablet enrolled for Đăk Pék alone.
fn tablet_of_pek(hub: &TestHub, officer: &str) -> TestDevice {
    let device = TestDevice::new(officer);
    device.enrol(hub, &[PEK]);
    device
}

fn an_unreadable_record_is_kept_and_the_rest_of_its_batch_reaches_the_communes_tablets(
    hub: TestHub,
) {
    let a = tablet_of_pek(&hub, "A Lưu");
    let b = tablet_of_pek(&hub, "Y Hoa");
    // B has been syncing for a while: its own session is on the hub.
    let own = b
        .store()
        .create_session(&fixtures::session("UBND xã Đăk Pék"), &b.author, today())
        .unwrap();
    b.sync(&hub);
    let cursor_before = b.store().pull_cursor().unwrap();

    let first = a
        .store()
        .create_session(
            &fixtures::session("Trường THCS Đăk Pék"),
            &a.author,
            today(),
        )
        .unwrap();
    let person = a
        .store()
        .create_person(&fixtures::person("Nguyễn Văn A"), &a.author, today())
        .unwrap();
    a.sync(&hub);
    let (odd, mut odd_doc) = unreadable_session_doc(PEK);
    a.push_doc(&hub.url, odd, &mut odd_doc, &[]);
    let visit = a
        .store()
        .create_checkin(
            &fixtures::checkin(person.id, day(2026, 11, 2)),
            &a.author,
            today(),
        )
        .unwrap();
    let market = SessionInput {
        attendees: 45,
        women: 20,
        ..fixtures::session("Chợ Đăk Pék")
    };
    let later = a
        .store()
        .create_session(&market, &a.author, today())
        .unwrap();
    a.sync(&hub);

    // A new tablet of the commune: its first sync brings the whole feed.
    let c = tablet_of_pek(&hub, "Công an xã 2");
    let got = b.sync(&hub);
    assert_eq!(
        got.received_records, 5,
        "two sessions, the person, the visit and the odd one"
    );
    assert!(b.store().pull_cursor().unwrap() > cursor_before);

    for device in [&b, &c] {
        let s = device.store();
        let row = s.session(first.id).unwrap();
        assert_eq!(
            (row.venue_name.as_str(), row.attendees, row.women),
            ("Trường THCS Đăk Pék", 120, 60)
        );
        let row = s.session(later.id).unwrap();
        assert_eq!(
            (row.venue_name.as_str(), row.attendees, row.women),
            ("Chợ Đăk Pék", 45, 20)
        );
        let p = s.person(person.id).unwrap();
        assert_eq!(p.full_name, "Nguyễn Văn A");
        assert_eq!(
            p.due_on,
            Some(day(2026, 11, 16)),
            "14 days after the visit (voluntary rehab)"
        );
        let v = s.checkin(visit.id).unwrap();
        assert_eq!((v.person, v.date), (person.id, day(2026, 11, 2)));
        assert!(matches!(s.session(odd), Err(CoreError::NotFound(_))));
        assert_eq!(
            s.document_heads().unwrap().get(&odd),
            Some(&sorted_heads(&mut odd_doc)),
            "the odd document is kept whole"
        );
        let kept = s.unreadable_records(50, 0).unwrap();
        assert_eq!(
            kept.iter()
                .map(|k| (k.id, k.kind, k.commune.as_str()))
                .collect::<Vec<_>>(),
            [(odd, Some(RecordKind::Session), PEK)],
            "listed as a record this version cannot show"
        );
        drop(s);
        assert_eq!(
            session_ids(device),
            BTreeSet::from([own.id, first.id, later.id])
        );
        // The cursor moved past it: nothing comes again.
        let again = device.sync(&hub);
        assert_eq!(again.received_records, 0);
    }

    // The same build opening again still cannot read it, and keeps it.
    b.reopen();
    assert!(matches!(
        b.store().session(odd),
        Err(CoreError::NotFound(_))
    ));
    assert_eq!(b.store().unreadable_count().unwrap(), 1);

    // A correction makes it readable: both tablets show it.
    a.push_field(&hub.url, odd, &mut odd_doc, "attendees", 150u64.into());
    for device in [&b, &c] {
        assert_eq!(device.sync(&hub).received_records, 1);
        let row = device.store().session(odd).unwrap();
        assert_eq!(
            (row.venue_name.as_str(), row.attendees),
            ("Chợ Đăk Glei", 150)
        );
        assert_eq!(session_ids(device).len(), 4);
        assert_eq!(device.store().unreadable_count().unwrap(), 0);
    }
}

/// What the hub link of a sync does, but the officer saves `edit` while the
/// pull is on its way, as the app lets them during a slow sync.
struct EditBeforePull<'a> {
    inner: HttpTransport,
    edit: Option<Box<dyn FnOnce() + 'a>>,
}

impl HubLink for EditBeforePull<'_> {
    fn trade_code(&mut self, request: &EnrolRequest) -> Result<Enrolment, SyncError> {
        self.inner.trade_code(request)
    }

    fn carry(&mut self, token: &str, request: &Request) -> Result<Response, SyncError> {
        // The first pull rides in a push (of nothing, here), later ones
        // alone.
        let pulls = match request {
            Request::Pull(_) => true,
            Request::Push(push) => push.pull.is_some(),
            Request::Offer(_) => false,
        };
        if pulls {
            if let Some(edit) = self.edit.take() {
                edit();
            }
        }
        self.inner.carry(token, request)
    }
}

fn an_edit_saved_as_a_pulled_change_makes_its_record_unreadable_still_reaches_the_hub(
    hub: TestHub,
) {
    let a = tablet_of_pek(&hub, "A Lưu");
    let b = tablet_of_pek(&hub, "Y Hoa");
    let (id, mut doc) = session_doc(PEK);
    a.push_doc(&hub.url, id, &mut doc, &[]);
    b.sync(&hub);
    assert_eq!(b.store().session(id).unwrap().attendees, 200);

    // A's change makes the record unreadable; B's officer corrects the
    // attendance while the pull bringing it is on the wire.
    a.push_field(&hub.url, id, &mut doc, "women", "nhiều".into());
    let correction = SessionInput {
        attendees: 230,
        ..b.store().record::<SessionInput>(id).unwrap()
    };
    let mut link = EditBeforePull {
        inner: HttpTransport::new(&hub.url).unwrap(),
        edit: Some(Box::new(|| {
            b.store()
                .update_session(id, &correction, &b.author, today())
                .unwrap();
        })),
    };
    run_session(&b.store, &mut link, None, &mut |_| {}).unwrap();
    drop(link);
    assert!(matches!(b.store().session(id), Err(CoreError::NotFound(_))));
    assert_eq!(
        b.store().unsynced_count().unwrap(),
        1,
        "the correction waits"
    );
    assert_eq!(b.store().unreadable_count().unwrap(), 1);

    let sent = b.sync(&hub);
    assert_eq!(sent.sent_records, 1);
    assert_eq!(b.store().unsynced_count().unwrap(), 0);

    // Once the words are corrected, every tablet shows both corrections.
    a.push_field(&hub.url, id, &mut doc, "women", 95u64.into());
    let c = tablet_of_pek(&hub, "Công an xã 2");
    b.sync(&hub);
    for device in [&b, &c] {
        let row = device.store().session(id).unwrap();
        assert_eq!((row.attendees, row.women), (230, 95));
        assert_eq!(device.store().unreadable_count().unwrap(), 0);
    }
}

sotay_pcmt::on_both_hubs!(
    an_unreadable_record_is_kept_and_the_rest_of_its_batch_reaches_the_communes_tablets,
    an_edit_saved_as_a_pulled_change_makes_its_record_unreadable_still_reaches_the_hub,
);
