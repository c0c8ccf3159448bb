use super::*;
use crate::record_doc;
use crate::sync::wire::Enrolment;
use chrono::NaiveDate;
use pcmt_model::api::{ListFilter, Settings, SetupInput};
use pcmt_model::{SessionForm, SessionInput, Topic, VenueKind};

pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

pub(crate) fn input(name: &str) -> SessionInput {
    SessionInput {
        date: NaiveDate::from_ymd_opt(2026, 6, 26).unwrap(),
        commune: "62-610-23284".into(),
        venue_kind: VenueKind::School,
        venue_name: name.into(),
        form: SessionForm::Talk,
        attendees: 120,
        women: 60,
        topics: vec![Topic::SyntheticDrugs],
        details: Default::default(),
    }
}

/// The sessions the lists show, by id.
pub(crate) fn session_ids(s: &Store) -> Vec<Uuid> {
    s.list_sessions(&ListFilter::default(), 100, 0)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect()
}

/// The records kept that this version cannot show, by id.
pub(crate) fn kept_ids(s: &Store) -> Vec<Uuid> {
    s.unreadable_records(100, 0)
        .unwrap()
        .iter()
        .map(|k| k.id)
        .collect()
}

fn author() -> Author {
    Author {
        officer: "A Lưu".into(),
    }
}

#[test]
fn a_saved_session_is_listed_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let id = {
        let mut s = Store::open(&path, OrgTree::demo()).unwrap();
        let row = s
            .create_session(&input("Trường THCS Đăk Pék"), &author(), today())
            .unwrap();
        assert!(row.unsynced);
        row.id
    };
    let s = Store::open(&path, OrgTree::demo()).unwrap();
    let list = s.list_sessions(&ListFilter::default(), 50, 0).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, id);
    assert_eq!(list[0].venue_name, "Trường THCS Đăk Pék");
    assert_eq!(s.unsynced_count().unwrap(), 1);
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

#[test]
fn settings_and_drafts_stay_on_the_tablet_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let settings = Settings {
        lang: pcmt_model::Lang::Vi,
        officer: "Y Bhim Niê".into(),
        unit: "Công an xã Đăk Pék".into(),
        hub_url: "https://10.0.0.2:8787".into(),
        lock_after_min: Settings::DEFAULT_LOCK_AFTER_MIN,
    };
    {
        let mut s = Store::open(&path, OrgTree::demo()).unwrap();
        assert_eq!(s.settings().unwrap(), None);
        s.save_settings(&settings).unwrap();
        let blank = Settings {
            officer: " ".into(),
            ..settings.clone()
        };
        assert!(matches!(
            s.save_settings(&blank),
            Err(CoreError::Invalid(_))
        ));
        s.set_local_value("draft.session", Some("{\"venue_name\":\"Chợ\"}"))
            .unwrap();
    }
    let mut s = Store::open(&path, OrgTree::demo()).unwrap();
    assert_eq!(s.settings().unwrap(), Some(settings));
    assert_eq!(
        s.local_value("draft.session").unwrap().as_deref(),
        Some("{\"venue_name\":\"Chợ\"}")
    );
    // Local values are not records: nothing waits to be synced.
    assert_eq!(s.unsynced_count().unwrap(), 0);
    s.set_local_value("draft.session", None).unwrap();
    assert_eq!(s.local_value("draft.session").unwrap(), None);
    assert!(s.data_size().unwrap() > 0);
}

#[test]
fn first_start_keeps_the_code_and_a_renewal_needs_an_enrolment() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let setup = SetupInput {
        settings: Settings {
            officer: "Y Bhim Niê".into(),
            unit: "Công an xã Đăk Pék".into(),
            hub_url: "https://10.0.0.2:8787".into(),
            lock_after_min: Settings::DEFAULT_LOCK_AFTER_MIN,
            ..Settings::default()
        },
        code: "  ".into(),
    };
    let refused = s.set_up(&setup);
    assert!(
        matches!(refused, Err(CoreError::Invalid(ref e)) if e.len() == 1),
        "{refused:?}"
    );
    assert_eq!(
        s.settings().unwrap(),
        None,
        "nothing kept from a refused start"
    );
    s.set_up(&SetupInput {
        code: " ABCDE-FGHJK ".into(),
        ..setup.clone()
    })
    .unwrap();
    assert_eq!(s.settings().unwrap(), Some(setup.settings.clone()));
    assert_eq!(s.enrol_code().unwrap().as_deref(), Some("ABCDE-FGHJK"));

    let early = s.set_renewal_code("KLMNP-QRSTU");
    assert!(
        matches!(early, Err(CoreError::RenewalBeforeEnrolment)),
        "{early:?}"
    );
    assert!(!s.renewal_pending().unwrap());
    s.set_enrolment(&Enrolment {
        token: "t".into(),
        communes: vec!["62-610-23284".into()],
        officer: "Y Bhim Niê".into(),
    })
    .unwrap();
    // Enrolled: first start needs no code, and keeps the one it had.
    s.set_up(&setup).unwrap();
    assert_eq!(s.enrol_code().unwrap().as_deref(), Some("ABCDE-FGHJK"));
    let long = s.set_renewal_code(&"7".repeat(33));
    assert!(
        matches!(long, Err(CoreError::Invalid(ref e)) if e.len() == 1),
        "{long:?}"
    );
    s.set_renewal_code(" KLMNP-QRSTU ").unwrap();
    assert_eq!(
        s.local_value(RENEWAL_CODE).unwrap().as_deref(),
        Some("KLMNP-QRSTU")
    );
    s.set_renewal_code("").unwrap();
    assert!(
        !s.renewal_pending().unwrap(),
        "an empty code withdraws the waiting one"
    );
}

#[test]
fn lists_filter_by_period_and_commune() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    for (m, d, commune, form) in [
        (5, 31, "62-610-23284", SessionForm::Talk),
        (6, 1, "62-610-23284", SessionForm::Talk),
        (6, 26, "62-610-23287", SessionForm::Rally),
        (6, 30, "62-610-23284", SessionForm::Talk),
        (7, 1, "62-610-23284", SessionForm::Talk),
    ] {
        let i = SessionInput {
            date: day(m, d),
            commune: commune.into(),
            form,
            ..input(&format!("{m}-{d}"))
        };
        s.create_session(&i, &author(), today()).unwrap();
    }
    let june = ListFilter {
        from: Some(day(6, 1)),
        until: Some(day(6, 30)),
        ..ListFilter::default()
    };
    let names = |f: &ListFilter| {
        s.list_sessions(f, 50, 0)
            .unwrap()
            .into_iter()
            .map(|r| r.venue_name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&june), vec!["6-30", "6-26", "6-1"]);
    let june_pek = ListFilter {
        commune: Some("62-610-23284".into()),
        ..june
    };
    assert_eq!(names(&june_pek), vec!["6-30", "6-1"]);
    let rallies = ListFilter {
        form: Some(SessionForm::Rally),
        ..ListFilter::default()
    };
    assert_eq!(names(&rallies), vec!["6-26"]);
    let rallies_at_schools = ListFilter {
        venue_kind: Some(VenueKind::Market),
        ..rallies.clone()
    };
    assert!(names(&rallies_at_schools).is_empty(), "both filters apply");
    assert_eq!(names(&ListFilter::default()).len(), 5);
    assert_eq!(
        s.list_sessions(&ListFilter::default(), 2, 2).unwrap().len(),
        2,
        "paged"
    );
}

#[test]
fn an_invalid_session_is_refused_and_stores_nothing() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let bad = SessionInput {
        women: 500,
        ..input("x")
    };
    assert!(matches!(
        s.create_session(&bad, &author(), today()),
        Err(CoreError::Invalid(e)) if e.len() == 1
    ));
    assert_eq!(
        s.list_sessions(&ListFilter::default(), 50, 0).unwrap(),
        vec![]
    );
    assert_eq!(s.unsynced_count().unwrap(), 0);
}

#[test]
fn rebuilt_rows_equal_the_rows_written_on_save() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    for i in 0..20 {
        let row = s
            .create_session(&input(&format!("Điểm {i}")), &author(), today())
            .unwrap();
        if i % 3 == 0 {
            let edited = SessionInput {
                attendees: 7,
                women: 1,
                ..input("Đã sửa")
            };
            s.update_session(row.id, &edited, &author(), today())
                .unwrap();
        }
    }
    let before = s.list_sessions(&ListFilter::default(), 100, 0).unwrap();
    assert!(s.rebuild_projections().unwrap().is_empty());
    assert_eq!(
        s.list_sessions(&ListFilter::default(), 100, 0).unwrap(),
        before
    );
}

#[test]
fn delete_is_a_tombstone_that_can_be_undone_and_shows_in_history() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let row = s
        .create_session(&input("Chợ Xốp"), &author(), today())
        .unwrap();
    s.delete(
        row.id,
        &Author {
            officer: "Y Hoa".into(),
        },
    )
    .unwrap();
    let gone = s.session(row.id);
    assert!(matches!(gone, Err(CoreError::NotFound(_))), "{gone:?}");
    assert_eq!(
        s.list_sessions(&ListFilter::default(), 10, 0).unwrap(),
        vec![]
    );
    assert!(s.rebuild_projections().unwrap().is_empty());
    assert_eq!(
        s.list_sessions(&ListFilter::default(), 10, 0).unwrap(),
        vec![],
        "a rebuild keeps it deleted"
    );
    s.restore(row.id, &author()).unwrap();
    assert_eq!(s.session(row.id).unwrap().venue_name, "Chợ Xốp");

    let history = s.history(row.id).unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].officer, "A Lưu");
    assert!(history[0]
        .fields
        .iter()
        .any(|f| f.field == "venue_name" && f.value == "Chợ Xốp"));
    assert_eq!(history[1].officer, "Y Hoa");
    assert_eq!(
        history[1].fields,
        vec![pcmt_model::api::FieldValue {
            field: record_doc::DELETED_KEY.into(),
            value: "true".into(),
            item: None,
        }]
    );
    assert_eq!(history[2].fields[0].value, "false");
    assert!(matches!(
        s.delete(Uuid::nil(), &author()),
        Err(CoreError::NotFound(_))
    ));
}

#[test]
fn an_edit_lists_only_the_fields_it_changed() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let row = s
        .create_session(&input("Chợ Xốp"), &author(), today())
        .unwrap();
    let edited = SessionInput {
        attendees: 99,
        ..input("Chợ Xốp")
    };
    s.update_session(row.id, &edited, &author(), today())
        .unwrap();
    let history = s.history(row.id).unwrap();
    assert_eq!(
        history[1].fields,
        vec![pcmt_model::api::FieldValue {
            field: "attendees".into(),
            value: "99".into(),
            item: None,
        }]
    );
}

#[test]
fn a_full_disk_is_a_clear_error_and_harms_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut s = Store::open(&path, OrgTree::demo()).unwrap();
    let kept = s
        .create_session(&input("Trước khi đầy"), &author(), today())
        .unwrap();
    let pages: i64 = s
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    // A size limit stands in for a full disk: SQLite answers SQLITE_FULL either way.
    s.conn
        .pragma_update(None, "max_page_count", pages + 2)
        .unwrap();
    let mut refused = None;
    for i in 0..200 {
        match s.create_session(
            &input(&format!("Ghi thêm {i} {}", "x".repeat(150))),
            &author(),
            today(),
        ) {
            Ok(_) => continue,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let err = refused.expect("the size limit is reached");
    assert!(matches!(err, CoreError::StorageFull), "{err:?}");
    assert!(err
        .user_message(pcmt_model::Lang::Vi)
        .contains("Bộ nhớ máy đã đầy"));
    assert_eq!(s.session(kept.id).unwrap().venue_name, "Trước khi đầy");
    assert_eq!(s.integrity_check().unwrap(), "ok");
    drop(s);
    let s = Store::open(&path, OrgTree::demo()).unwrap();
    assert_eq!(s.session(kept.id).unwrap().venue_name, "Trước khi đầy");
}

#[test]
fn a_read_only_database_is_a_clear_error_and_harms_nothing_stored() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let kept = s
        .create_session(&input("Đã lưu"), &author(), today())
        .unwrap();
    s.conn.pragma_update(None, "query_only", true).unwrap();
    let err = s
        .create_session(&input("Mới"), &author(), today())
        .unwrap_err();
    assert!(matches!(err, CoreError::ReadOnly), "{err:?}");
    assert!(err.user_message(pcmt_model::Lang::En).contains("read-only"));
    assert_eq!(
        s.list_sessions(&ListFilter::default(), 10, 0)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.session(kept.id).unwrap().venue_name, "Đã lưu");
}

#[test]
fn a_document_from_a_newer_schema_is_refused_by_id_and_the_rest_open() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let good = s.create_session(&input("Tốt"), &author(), today()).unwrap();
    let future = s
        .create_session(&input("Tương lai"), &author(), today())
        .unwrap();
    let mut doc = load_doc(&s.conn, future.id).unwrap();
    automerge::transaction::Transactable::put(
        &mut doc,
        automerge::ROOT,
        record_doc::SCHEMA_KEY,
        99u64,
    )
    .unwrap();
    s.conn
        .execute(
            "UPDATE documents SET bytes = ?2 WHERE id = ?1",
            params![future.id.to_string(), doc.save()],
        )
        .unwrap();
    let unreadable = s.rebuild_projections().unwrap();
    assert_eq!(unreadable.len(), 1);
    assert!(
        matches!(unreadable[0].error, CoreError::FutureSchema { id, version: 99 } if id == future.id)
    );
    assert_eq!(kept_ids(&s), [future.id], "listed for the officer");
    assert_eq!(session_ids(&s), [good.id]);
}

#[test]
fn a_corrupt_document_is_reported_and_the_rest_still_rebuild() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let good = s.create_session(&input("Tốt"), &author(), today()).unwrap();
    let bad = s
        .create_session(&input("Hỏng"), &author(), today())
        .unwrap();
    s.conn
        .execute(
            "UPDATE documents SET bytes = x'00ff00' WHERE id = ?1",
            [bad.id.to_string()],
        )
        .unwrap();
    let unreadable = s.rebuild_projections().unwrap();
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0].id, bad.id.to_string());
    assert!(matches!(
        unreadable[0].error,
        CoreError::CorruptRecord { .. }
    ));
    let list = s.list_sessions(&ListFilter::default(), 10, 0).unwrap();
    assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), vec![good.id]);
}

/// A record that would take a push past its budget waits for the next
/// push, which it then opens alone: a small record followed by a large one
/// never make one push past the message limit.
#[test]
fn a_record_that_would_pass_the_push_budget_waits_for_the_next_push() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    s.create_session(&input("Trường THCS Đăk Pék"), &author(), today())
        .unwrap();
    s.create_session(&input("Nhà văn hóa thôn Đăk Ung"), &author(), today())
        .unwrap();
    let all = s.pending_changes(None, usize::MAX).unwrap();
    assert_eq!(all.len(), 2);
    let first: usize = all[0].0.changes.iter().map(Vec::len).sum();
    let batch = s.pending_changes(None, first + 1).unwrap();
    assert_eq!(batch.len(), 1, "the second waits");
    let next = s.pending_changes(Some(batch[0].0.id), 1).unwrap();
    assert_eq!(next.len(), 1, "alone, even over budget");
}

/// A check-in of Đăk Choong naming a Đăk Pék person (which the hub refuses
/// once it holds the person, but may have stored before) reaches a tablet
/// serving both communes: the person's due date and Đăk Pék's figures stay
/// as their own visits make them.
#[test]
fn a_pulled_checkin_of_another_commune_changes_nothing_for_the_person() {
    use crate::sync::wire::DocChanges;
    use pcmt_model::fixtures;
    use pcmt_model::report::{IndicatorCode as I, Period};
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let person = s
        .create_person(&fixtures::person("Y Đức"), &author(), today())
        .unwrap();
    s.create_checkin(
        &fixtures::checkin(person.id, today() - chrono::Days::new(10)),
        &author(),
        today(),
    )
    .unwrap();
    let period = Period::range(today() - chrono::Days::new(364), today()).unwrap();
    let figures = |s: &Store| {
        let r = s.report("62-610-23284", &period, today()).unwrap();
        let v = |code| r.indicator(code).and_then(|i| i.value);
        (v(I::CheckInsDone), v(I::PositiveTests))
    };
    let before = (s.person(person.id).unwrap().due_on, figures(&s));

    let mut forged = fixtures::checkin(person.id, today() - chrono::Days::new(2));
    forged.drug_test = Some(pcmt_model::DrugTest {
        kind: pcmt_model::TestKind::UrineQuick,
        result: pcmt_model::TestResult::Positive,
        substances: vec![],
    });
    forged.next_visit = Some(today() + chrono::Days::new(300));
    let id = Uuid::now_v7();
    let note = record_doc::ChangeNote {
        officer: "x".into(),
    };
    let choong = "62-610-23287";
    let mut doc =
        record_doc::new_record(id, choong, &forged, automerge::ActorId::random(), &note, 0)
            .unwrap();
    let dc = DocChanges::since(id, pcmt_model::RecordKind::CheckIn, choong, &mut doc, &[]);
    s.apply_remote(&[dc], 1).unwrap();

    assert_eq!((s.person(person.id).unwrap().due_on, figures(&s)), before);
    assert_eq!(s.pull_cursor().unwrap(), 1);
}

/// Settling a conflict on a check-in's person cannot move the visit to a
/// person of another commune: it would count in that commune's figures.
#[test]
fn a_settled_conflict_cannot_name_a_person_of_another_commune() {
    use crate::sync::wire::DocChanges;
    use automerge::transaction::Transactable;
    use pcmt_model::fixtures;
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let p = s
        .create_person(&fixtures::person("Y Đức"), &author(), today())
        .unwrap();
    let theirs = pcmt_model::PersonInput {
        commune: "62-610-23287".into(),
        village: None,
        ..fixtures::person("Đinh Thị B")
    };
    let q = s.create_person(&theirs, &author(), today()).unwrap();
    let c = s
        .create_checkin(
            &fixtures::checkin(p.id, today() - chrono::Days::new(3)),
            &author(),
            today(),
        )
        .unwrap();
    // Two devices change the person at once: a conflict on the field.
    let mut base = load_doc(&s.conn, c.id).unwrap();
    let heads = base.get_heads();
    let mut forks = Vec::new();
    for n in 1..=2u8 {
        let mut fork = base
            .clone()
            .with_actor(automerge::ActorId::from(vec![n; 16]));
        fork.put(
            automerge::ROOT,
            "person",
            Uuid::from_u128(n.into()).to_string(),
        )
        .unwrap();
        fork.commit();
        forks.push(DocChanges::since(
            c.id,
            pcmt_model::RecordKind::CheckIn,
            "62-610-23284",
            &mut fork,
            &heads,
        ));
    }
    s.apply_remote(&forks, 1).unwrap();
    assert!(s
        .conflicts(c.id)
        .unwrap()
        .iter()
        .any(|f| f.field == "person"));

    let refused = s.resolve_conflict(c.id, "person", &q.id.to_string(), &author(), today());
    match refused {
        Err(CoreError::Invalid(errors)) => assert!(errors
            .iter()
            .any(|e| e.problem == pcmt_model::Problem::NotAPersonOfCommune)),
        other => panic!("{other:?}"),
    }
    s.resolve_conflict(c.id, "person", &p.id.to_string(), &author(), today())
        .unwrap();
}

/// The kill test alone would pass with `synchronous` off (a killed process
/// loses nothing the OS holds; a power cut would): every file-backed way of
/// opening the store must give WAL with synchronous=FULL (2).
#[test]
fn every_file_backed_store_opens_durable() {
    let dir = tempfile::tempdir().unwrap();
    let durability = |s: &Store| {
        let journal: String = s
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let synchronous: i64 = s
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        (journal, synchronous)
    };
    let want = ("wal".to_string(), 2);
    let plain = Store::open(&dir.path().join("plain.db"), OrgTree::demo()).unwrap();
    assert_eq!(durability(&plain), want, "plain");
    let key = crate::vault::DbKey::from_bytes([7; 32]);
    let encrypted =
        Store::open_encrypted(&dir.path().join("enc.db"), &key, OrgTree::demo()).unwrap();
    assert_eq!(durability(&encrypted), want, "encrypted");
    drop(plain);
    Store::encrypt_in_place(&dir.path().join("plain.db"), &key).unwrap();
    let converted =
        Store::open_encrypted(&dir.path().join("plain.db"), &key, OrgTree::demo()).unwrap();
    assert_eq!(durability(&converted), want, "encrypted in place");
}

mod hot_spots;
mod moves;
mod snapshots;
mod unreadable;

/// A tablet that holds only the thumbnails of its commune's photos (as
/// after a pull) asks for the whole commune's: every file of a live record
/// of that commune is fetched at the next sync, and nothing else.
#[test]
fn a_whole_communes_files_are_asked_for_and_only_that_communes() {
    use crate::attach::samples;
    use pcmt_model::ContentHash;
    fn attached(s: &mut Store, commune: &str) -> (Uuid, ContentHash) {
        let mut session = input("Trường THCS Đăk Pék");
        session.commune = commune.into();
        let id = s.create_session(&session, &author(), today()).unwrap().id;
        let photo = samples::camera_jpeg(400, 300, id.as_u128() as u64);
        let r = s
            .attach(id, &photo, AttachTo::default(), &author())
            .unwrap();
        // Only its thumbnail held here, as on a tablet that pulled the record.
        s.conn
            .execute("DELETE FROM attachments WHERE hash = ?1", [r.hash.hex()])
            .unwrap();
        (id, r.hash)
    }
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("device.db"), OrgTree::demo()).unwrap();
    let (_, ours) = attached(&mut s, "62-610-23284");
    let (gone, deleted) = attached(&mut s, "62-610-23284");
    let (_, elsewhere) = attached(&mut s, "62-610-23287");
    s.delete(gone, &author()).unwrap();
    assert!(!s.holds_attachment(ours).unwrap());
    assert_eq!(s.incoming_attachments().unwrap(), vec![]);

    assert_eq!(s.want_commune_attachments("62-610-23284").unwrap(), 1);
    assert_eq!(s.incoming_attachments().unwrap(), vec![(ours, 0)]);
    // Asked twice, counted once.
    assert_eq!(s.want_commune_attachments("62-610-23284").unwrap(), 0);
    let wanted: Vec<ContentHash> = s
        .incoming_attachments()
        .unwrap()
        .into_iter()
        .map(|(h, _)| h)
        .collect();
    assert!(!wanted.contains(&deleted) && !wanted.contains(&elsewhere));
}
