//! The dashboard's part of the storage contract (projection rows, reports,
//! staff accounts, the demo seed), on both stores; and one test that
//! pushes the same documents into both and compares their reports.

use super::{office, push_of, session_doc, Logs};
use crate::demo;
use crate::rules::devices::hash;
use crate::rules::staff::Role;
use crate::sqlite::HubStore;
use crate::staff::{self as auth, StaffError};
use crate::storage::{with_rows, HubStorage, OfficeStorage};
use crate::testing::unreadable_session_doc;
use automerge::transaction::Transactable;
use chrono::NaiveDate;
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_core::report;
use pcmt_core::sync::wire::DocChanges;
use pcmt_model::report::{IndicatorCode as I, Period, Report, SiteFeature};
use pcmt_model::RecordKind;

on_both_stores!(
    pushed_documents_keep_their_rows_and_an_unreadable_body_is_only_left_out,
    an_unreadable_body_is_logged_by_id_and_field_never_with_its_values,
    the_office_demo_gives_every_section_figures_and_is_seeded_once,
    staff_accounts_need_a_known_unit_a_long_password_and_a_plain_name,
    staff_sessions_are_stored_hashed_and_end_on_logout_or_password_reset,
    a_checkin_never_reaches_another_communes_person,
    documents_of_both_schemas_give_the_same_rows,
    the_office_writes_files_of_its_communes_once_attributed_to_its_staff,
);

const DISTRICT: &str = "62-610";
const PEK: &str = "62-610-23284";
const CHOONG: &str = "62-610-23287";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn last_year() -> Period {
    Period::range(today() - chrono::Days::new(364), today()).unwrap()
}

fn report_of(hub: &dyn HubStorage, unit: &str, period: &Period) -> Report {
    let (units, rules) = (hub.units(), hub.rules());
    with_rows(hub, |rows| {
        report::compute(rows, &units, &rules, unit, period, today())
    })
    .unwrap()
    .unwrap()
}

fn sites_of(hub: &dyn HubStorage, unit: &str, period: &Period) -> Vec<SiteFeature> {
    let units = hub.units();
    with_rows(hub, |rows| {
        report::site_features(rows, &units, unit, period)
    })
    .unwrap()
    .unwrap()
}

fn value(r: &Report, code: I) -> f64 {
    r.indicator(code).and_then(|i| i.value).unwrap_or(0.0)
}

/// The rows follow the documents in the push's transaction: an edit
/// replaces a row, a deletion removes it, and a body the hub cannot read is
/// still stored and synced, only left out of the rows.
fn pushed_documents_keep_their_rows_and_an_unreadable_body_is_only_left_out(hub: &dyn HubStorage) {
    let june = Period::month(2026, 6).unwrap();
    let figures = |hub: &dyn HubStorage| {
        let r = report_of(hub, PEK, &june);
        (value(&r, I::Sessions), value(&r, I::Attendees))
    };
    let (id, mut doc) = session_doc(PEK);
    hub.push(&office(), &push_of(id, PEK, &mut doc)).unwrap();
    assert_eq!(figures(hub), (1.0, 200.0));

    let edit = |doc: &mut automerge::AutoCommit, change: &dyn Fn(&mut automerge::AutoCommit)| {
        let heads = doc.get_heads();
        change(doc);
        let mut req = push_of(id, PEK, doc);
        req.docs[0] = DocChanges::since(id, RecordKind::Session, PEK, doc, &heads);
        req
    };
    let req = edit(&mut doc, &|d| {
        d.put(automerge::ROOT, "attendees", 250).unwrap();
    });
    hub.push(&office(), &req).unwrap();
    assert_eq!(figures(hub), (1.0, 250.0));

    let (odd, mut odd_doc) = unreadable_session_doc(PEK);
    let ack = hub
        .push(&office(), &push_of(odd, PEK, &mut odd_doc))
        .unwrap();
    assert_eq!(ack.new_changes, 2, "stored and fed to other devices");
    assert_eq!(hub.document_count().unwrap(), 2);
    assert_eq!(figures(hub), (1.0, 250.0));

    let note = ChangeNote {
        officer: "t".into(),
    };
    let req = edit(&mut doc, &|d| {
        record_doc::set_deleted(d, true, &note, 1);
    });
    hub.push(&office(), &req).unwrap();
    assert_eq!(figures(hub), (0.0, 0.0), "a deleted record counts nowhere");
}

/// A record of `kind` in `commune`, as a tablet would push it.
fn record_push<R: record_doc::Record>(
    id: uuid::Uuid,
    commune: &str,
    input: &R,
) -> pcmt_core::sync::wire::PushRequest {
    let note = ChangeNote {
        officer: "t".into(),
    };
    let doc =
        record_doc::new_record(id, commune, input, automerge::ActorId::random(), &note, 0).unwrap();
    doc_push::<R>(id, commune, doc)
}

fn doc_push<R: record_doc::Record>(
    id: uuid::Uuid,
    commune: &str,
    mut doc: automerge::AutoCommit,
) -> pcmt_core::sync::wire::PushRequest {
    let mut req = push_of(id, commune, &mut doc);
    req.docs[0] = DocChanges::since(id, R::KIND, commune, &mut doc, &[]);
    req
}

/// A tablet of an older version still pushes schema-1 documents (lists as
/// JSON values), and an updated one pushes their migration to schema 2;
/// the hub relays both as they come, and its report rows read the same
/// records the same way in either schema.
fn documents_of_both_schemas_give_the_same_rows(hub: &dyn HubStorage) {
    use pcmt_model::fixtures::{self, day};
    use pcmt_model::{AudienceCount, AudienceGroup, PersonInput, SessionInput, SurveyInput, Topic};
    let note = ChangeNote {
        officer: "t".into(),
    };
    let mut session = fixtures::session("Trường THCS Đăk Pék");
    session.topics.push(Topic::DrugLaw2021);
    session.details.audience = vec![AudienceCount {
        group: AudienceGroup::Students,
        count: 90,
    }];
    let mut survey = fixtures::survey_with_site();
    survey.date = day(2026, 2, 10);
    let mut second = fixtures::poppy_site();
    second.plant_count = 75;
    survey.sites.push(second);
    let person = fixtures::person("Y Văn Ka");

    let (survey_id, session_id, person_id) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let mut docs = [
        (
            survey_id,
            RecordKind::Survey,
            record_doc::schema1_record(survey_id, PEK, &survey),
        ),
        (
            session_id,
            RecordKind::Session,
            record_doc::schema1_record(session_id, PEK, &session),
        ),
        (
            person_id,
            RecordKind::Person,
            record_doc::schema1_record(person_id, PEK, &person),
        ),
    ];
    let push_since = |hub: &dyn HubStorage,
                      id,
                      kind,
                      doc: &mut automerge::AutoCommit,
                      heads: &[automerge::ChangeHash]| {
        let mut req = push_of(id, PEK, doc);
        req.docs[0] = DocChanges::since(id, kind, PEK, doc, heads);
        hub.push(&office(), &req).unwrap();
    };
    for (id, kind, doc) in &mut docs {
        push_since(hub, *id, *kind, doc, &[]);
    }
    let period = last_year();
    let shape = |sites: Vec<SiteFeature>| -> Vec<(u32, u32, Option<u64>)> {
        sites
            .into_iter()
            .map(|s| (s.index, s.plant_count, s.area_m2.map(|a| a.round() as u64)))
            .collect()
    };
    let (old_report, old_sites) = (
        report_of(hub, PEK, &period),
        shape(sites_of(hub, PEK, &period)),
    );
    assert_eq!(
        old_sites.iter().map(|s| s.1).collect::<Vec<_>>(),
        vec![1_200, 75],
        "both sites of the schema-1 survey"
    );
    assert!(
        old_report
            .indicators
            .iter()
            .filter(|i| i.value.unwrap_or(0.0) > 0.0)
            .count()
            >= 3,
        "sessions, people and sites all counted"
    );

    // An updated tablet migrates them (its next write) and pushes that.
    for (id, kind, doc) in &mut docs {
        let heads = doc.get_heads();
        let changed = match kind {
            RecordKind::Survey => {
                let r: SurveyInput = record_doc::read_record(doc).unwrap();
                record_doc::update_record(doc, &r, &note, 1)
            }
            RecordKind::Session => {
                let r: SessionInput = record_doc::read_record(doc).unwrap();
                record_doc::update_record(doc, &r, &note, 1)
            }
            _ => {
                let r: PersonInput = record_doc::read_record(doc).unwrap();
                record_doc::update_record(doc, &r, &note, 1)
            }
        };
        assert_eq!(changed, Ok(false), "only the migration");
        assert_eq!(
            record_doc::read_header(doc).unwrap().schema,
            pcmt_model::SCHEMA_VERSION
        );
        push_since(hub, *id, *kind, doc, &heads);
    }
    // Pulled as protocol 1, which sends changes: protocol 2 may send these
    // documents whole, and this counts what the feed relays.
    let pulled = super::pull_as(hub, 1, 0, 1 << 20);
    let relayed: usize = pulled.docs.iter().map(|d| d.changes.len()).sum();
    assert_eq!(
        relayed, 6,
        "the hub relays the documents and their migrations"
    );
    assert_eq!(report_of(hub, PEK, &period), old_report);
    assert_eq!(shape(sites_of(hub, PEK, &period)), old_sites);
}

/// A tablet of Đăk Choong that knows the id of a Đăk Pék person writes a
/// check-in for them under its own commune (which its token allows). Sent
/// after the person reached the hub, it is refused; sent before, it is
/// stored (nothing to check it against yet) but counts for no one once the
/// person arrives: Đăk Pék's figures and the person's due date stay theirs.
fn a_checkin_never_reaches_another_communes_person(hub: &dyn HubStorage) {
    use pcmt_model::fixtures;
    use pcmt_model::{DrugTest, TestKind, TestResult};
    let choong = crate::rules::devices::Scope {
        device: uuid::Uuid::from_u128(9),
        communes: vec![CHOONG.into()],
        office: None,
    };
    let forged = |person: uuid::Uuid| {
        let mut c = fixtures::checkin(person, today() - chrono::Days::new(3));
        c.drug_test = Some(DrugTest {
            kind: TestKind::UrineQuick,
            result: TestResult::Positive,
            substances: vec![],
        });
        c.next_visit = Some(today() + chrono::Days::new(300));
        let mut req = record_push(uuid::Uuid::now_v7(), CHOONG, &c);
        req.device = choong.device;
        req
    };
    let figures = |hub: &dyn HubStorage| {
        let r = report_of(hub, PEK, &last_year());
        (
            value(&r, I::PositiveTests),
            value(&r, I::CheckInsDone),
            value(&r, I::PeopleManaged),
        )
    };

    let known = uuid::Uuid::now_v7();
    hub.push(
        &office(),
        &record_push(known, PEK, &fixtures::person("Y Đức")),
    )
    .unwrap();
    let before = (figures(hub), hub.document_count().unwrap());
    assert_eq!(before.0 .2, 1.0);
    let refused = hub.push(&choong, &forged(known));
    assert!(
        matches!(&refused, Err(crate::error::HubError::Rejected { reason, .. })
            if reason.contains("commune")),
        "{refused:?}"
    );
    assert_eq!((figures(hub), hub.document_count().unwrap()), before);

    // The check-in first, the person after.
    let later = uuid::Uuid::now_v7();
    hub.push(&choong, &forged(later)).unwrap();
    hub.push(
        &office(),
        &record_push(later, PEK, &fixtures::person("A Thị Hoa")),
    )
    .unwrap();
    let (positive, done, managed) = figures(hub);
    assert_eq!((positive, done, managed), (before.0 .0, before.0 .1, 2.0));
}

/// The warning about a body left out of the rows names the record and the
/// field, never the value: serde's own messages quote it (a name, a phone
/// number), and the log is read by whoever runs the server.
fn an_unreadable_body_is_logged_by_id_and_field_never_with_its_values(hub: &dyn HubStorage) {
    let logs = Logs::default();
    let secret = "Nguyễn Văn Bảy 0912345678";
    let mut pushed = Vec::new();
    for field in ["attendees", "venue_kind"] {
        let (id, mut doc) = session_doc(PEK);
        doc.put(automerge::ROOT, field, secret).unwrap();
        let req = push_of(id, PEK, &mut doc);
        tracing::dispatcher::with_default(&logs.dispatch(), || hub.push(&office(), &req)).unwrap();
        pushed.push((id, field));
    }
    let text = logs.text();
    for (id, field) in pushed {
        assert!(
            text.lines()
                .any(|l| l.contains(&id.to_string()) && l.contains(field)),
            "{id} {field}: {text}"
        );
    }
    assert!(
        !text.contains("Nguyễn") && !text.contains("0912345678"),
        "{text}"
    );
}

/// `--demo` and `--demo-office` seed through the push path, once however
/// often the hub starts with them.
fn the_office_demo_gives_every_section_figures_and_is_seeded_once(hub: &dyn HubStorage) {
    assert_eq!(demo::seed(hub).unwrap(), 3);
    assert_eq!(demo::seed(hub).unwrap(), 0);
    let n = demo::seed_office(hub, today()).unwrap();
    assert!(n > 40, "{n} records");
    assert_eq!(demo::seed_office(hub, today()).unwrap(), 0);
    assert_eq!(hub.document_count().unwrap(), 3 + n as u64);
    let r = report_of(hub, DISTRICT, &last_year());
    let v = |c: I| value(&r, c);
    assert!(v(I::Sessions) >= 14.0);
    assert_eq!(v(I::CommunesReached), 100.0);
    assert!(v(I::SchoolsReached) > 0.0 && v(I::SchoolsReached) < 100.0);
    assert_eq!(v(I::PeopleManaged), 4.0);
    assert!(v(I::CheckInsDone) > 0.0);
    assert_eq!(v(I::PositiveTests), 1.0);
    assert_eq!(v(I::SitesFound), 4.0);
    assert_eq!(v(I::PlantsDestroyed), 2365.0);
    assert_eq!(v(I::ReplantingFound), 0.0);
    assert!(v(I::AreaDestroyed) > 1000.0);
    assert_eq!(sites_of(hub, DISTRICT, &last_year()).len(), 4);
}

fn staff_accounts_need_a_known_unit_a_long_password_and_a_plain_name(hub: &dyn HubStorage) {
    assert!(matches!(
        auth::add_staff(hub, "an", "short", DISTRICT, Role::Staff),
        Err(StaffError::WeakPassword)
    ));
    assert!(matches!(
        auth::add_staff(hub, "an", "long enough pw", "99", Role::Staff),
        Err(StaffError::UnknownUnit(_))
    ));
    assert!(matches!(
        auth::add_staff(hub, "a n", "long enough pw", DISTRICT, Role::Staff),
        Err(StaffError::BadUsername)
    ));
    auth::add_staff(hub, " An ", "long enough pw", DISTRICT, Role::Staff).unwrap();
    let (phc, staff) = auth::staff_credentials(hub, "AN").unwrap().unwrap();
    assert!(auth::verify_password(&phc, "long enough pw"));
    assert_eq!(
        (staff.username.as_str(), staff.unit.as_str()),
        ("an", DISTRICT)
    );
    assert!(auth::staff_credentials(hub, "binh").unwrap().is_none());
}

fn staff_sessions_are_stored_hashed_and_end_on_logout_or_password_reset(hub: &dyn HubStorage) {
    auth::add_staff(hub, "an", "long enough pw", DISTRICT, Role::Staff).unwrap();
    let an = auth::Staff {
        username: "an".into(),
        unit: DISTRICT.into(),
        role: Role::Staff,
    };
    let token = auth::open_session(hub, &an, None).unwrap();
    assert_eq!(token.len(), 64, "256 bits in hex");
    assert_eq!(
        auth::session_of(hub, &token).unwrap().unwrap().unit,
        DISTRICT
    );
    // The store holds the token's hash only: the token itself opens nothing.
    let now = crate::rules::devices::now();
    assert!(hub.staff_session(token.as_bytes(), now).unwrap().is_none());
    assert!(hub.staff_session(&hash(&token), now).unwrap().is_some());
    assert!(
        hub.staff_session(&hash(&token), now + auth::SESSION_SECS)
            .unwrap()
            .is_none(),
        "expired after {} s",
        auth::SESSION_SECS
    );
    auth::close_session(hub, &token).unwrap();
    assert!(auth::session_of(hub, &token).unwrap().is_none());
    let token = auth::open_session(hub, &an, None).unwrap();
    auth::add_staff(hub, "an", "another long pw", DISTRICT, Role::Staff).unwrap();
    assert!(auth::session_of(hub, &token).unwrap().is_none());
}

/// Float sums may differ in their last bits between the stores (SQLite
/// compensates its sums); everything else must be identical.
fn rounded(mut r: Report) -> Report {
    for i in &mut r.indicators {
        i.value = i.value.map(|v| (v * 1e6).round() / 1e6);
    }
    r
}

/// The same documents pushed into both stores give the same reports, for
/// the district and each commune, over a year, a month and a half-year, and
/// the same sites; after an edit and a deletion too.
#[test]
fn both_stores_report_the_same_for_the_same_pushes() {
    let Some(db) =
        crate::testing::TestDatabase::from_env("both_stores_report_the_same_for_the_same_pushes")
            .expect("the PostgreSQL server of PCMT_TEST_PG")
    else {
        return;
    };
    let sqlite = HubStore::open_in_memory().unwrap();
    let pg = db.store().unwrap();
    let stores: [&dyn HubStorage; 2] = [&sqlite, &pg];
    let (scope, req) = demo::office_push(&sqlite.units(), today()).unwrap();
    // One more session, then deleted: it must count on neither store.
    let (gone, mut gone_doc) = session_doc(PEK);
    let first = push_of(gone, PEK, &mut gone_doc);
    let heads = gone_doc.get_heads();
    let note = ChangeNote {
        officer: "t".into(),
    };
    record_doc::set_deleted(&mut gone_doc, true, &note, 1);
    let mut deletion = push_of(gone, PEK, &mut gone_doc);
    deletion.docs[0] = DocChanges::since(gone, RecordKind::Session, PEK, &mut gone_doc, &heads);
    for store in stores {
        store.push(&scope, &req).unwrap();
        store.push(&office(), &first).unwrap();
        store.push(&office(), &deletion).unwrap();
    }

    let mut units: Vec<String> = vec![DISTRICT.into()];
    units.extend(sqlite.units().communes().map(|c| c.code.clone()));
    let periods = [
        last_year(),
        Period::month(2026, 9).unwrap(),
        Period::half_year(2026, 1).unwrap(),
    ];
    for unit in &units {
        for period in &periods {
            let [a, b] = stores.map(|s| rounded(report_of(s, unit, period)));
            assert_eq!(a, b, "{unit} {period:?}");
            let [a, b] = stores.map(|s| sites_of(s, unit, period));
            assert_eq!(a, b, "{unit} {period:?}");
        }
    }
    // Not equal by both being empty: the year has every section's figures.
    let r = report_of(&pg, DISTRICT, &last_year());
    assert_eq!(value(&r, I::PeopleManaged), 4.0);
    assert_eq!(value(&r, I::PlantsDestroyed), 2365.0);
    assert!(value(&r, I::CheckInsDone) > 0.0);
    assert_eq!(sites_of(&pg, DISTRICT, &last_year()).len(), 4);
}

fn the_office_writes_files_of_its_communes_once_attributed_to_its_staff(hub: &dyn HubStorage) {
    use crate::rules::audit::{Actor, Entry, Query};
    use crate::rules::protocol::OfficeWrite;
    use crate::rules::register::office_docs;
    use pcmt_model::fixtures::person;
    let at_pek = person("A Nhập Văn Phòng");
    let mut at_choong = person("Y Xã Khác");
    at_choong.commune = CHOONG.into();
    at_choong.village = None;
    let (communes, by) = (vec![PEK.to_string()], Actor::staff("quantripek"));
    let office = OfficeWrite {
        communes: &communes,
        by: &by,
        new_only: true,
    };
    let logged = |n| Entry::register_imported("quantripek", PEK, n);
    let before = hub.document_count().unwrap();

    // A file of a commune outside the unit refuses the whole write.
    let both = office_docs(&[at_pek.clone(), at_choong], "quantripek", 0).unwrap();
    assert!(hub.write_as_office(&both, &office, &logged).is_err());
    assert_eq!(hub.document_count().unwrap(), before);

    // Written once: the same row again (another import's actor and time)
    // leaves the held document alone.
    let once = office_docs(std::slice::from_ref(&at_pek), "quantripek", 0).unwrap();
    assert_eq!(hub.write_as_office(&once, &office, &logged).unwrap(), 1);
    let again = office_docs(std::slice::from_ref(&at_pek), "quantripek", 60).unwrap();
    assert_ne!(again[0].changes, once[0].changes);
    assert_eq!(hub.write_as_office(&again, &office, &logged).unwrap(), 0);
    assert_eq!(hub.document_count().unwrap(), before + 1);

    // Its row is there for the reports and the next import's matching.
    let keys = with_rows(hub, |rows| rows.person_keys()).unwrap().unwrap();
    assert!(keys.iter().any(|k| k.id == once[0].id.to_string()
        && k.citizen_id == at_pek.citizen_id
        && k.commune == PEK));

    // A tablet of the commune pulls it; the log names the staff member.
    let tablet = crate::rules::devices::Scope {
        device: uuid::Uuid::from_u128(77),
        communes: vec![PEK.into()],
        office: None,
    };
    let pulled = hub
        .pull(
            &tablet,
            &pcmt_core::sync::wire::PullRequest {
                protocol: pcmt_core::sync::wire::PROTOCOL_VERSION,
                device: tablet.device,
                communes: vec![PEK.into()],
                cursor: 0,
                max_bytes: 1 << 20,
            },
        )
        .unwrap();
    assert!(pulled
        .docs
        .iter()
        .map(|d| d.id)
        .chain(pulled.snapshots.iter().map(|d| d.id))
        .any(|id| id == once[0].id));
    let log = hub
        .audit_log(&Query::visible_to(&hub.units(), PEK))
        .unwrap();
    let entries: Vec<_> = log.entries.iter().map(|l| &l.entry).collect();
    assert!(entries
        .iter()
        .any(|e| e.record == Some(once[0].id) && e.actor == by));
    let imports: Vec<_> = entries
        .iter()
        .filter(|e| e.action == crate::rules::audit::Action::RegisterImported)
        .map(|e| e.detail.people)
        .collect();
    assert_eq!(imports, [Some(0), Some(1)], "newest first");
}
