//! Lists merge item by item (schema 2), and schema-1 documents are read and
//! migrated, alone or on two devices at once.

use super::migrate::migrate;
use super::*;
use automerge::{ObjType, ReadDoc};
use pcmt_model::fixtures::{self, poppy_site};
use pcmt_model::{PlantSpecies, SiteInput};

const COMMUNE: &str = fixtures::COMMUNE;

fn note(officer: &str) -> ChangeNote {
    ChangeNote {
        officer: officer.into(),
    }
}

fn site(species: PlantSpecies, plants: u32) -> SiteInput {
    SiteInput {
        id: Uuid::nil(),
        species,
        plant_count: plants,
        polygon: None,
        ..poppy_site()
    }
}

/// A survey with two sites, as its document.
fn two_site_survey() -> (SurveyInput, AutoCommit) {
    let mut survey = fixtures::survey_with_site();
    survey.sites.push(site(PlantSpecies::Cannabis, 40));
    let doc = new_record(
        Uuid::now_v7(),
        COMMUNE,
        &survey,
        ActorId::random(),
        &note("A"),
        1,
    )
    .unwrap();
    let survey = read_record(&doc).unwrap();
    (survey, doc)
}

/// Two devices' copies of one document.
fn fork(doc: &mut AutoCommit) -> (AutoCommit, AutoCommit) {
    (
        doc.fork().with_actor(ActorId::random()),
        doc.fork().with_actor(ActorId::random()),
    )
}

fn merged(a: &mut AutoCommit, b: &mut AutoCommit) {
    a.merge(b).unwrap();
    b.merge(a).unwrap();
}

#[test]
fn a_new_survey_keeps_its_sites_as_a_list_of_maps_other_implementations_read() {
    let (survey, doc) = two_site_survey();
    let (Value::Object(ObjType::List), sites) = doc.get(ROOT, "sites").unwrap().unwrap() else {
        panic!("sites is an Automerge list");
    };
    assert_eq!(doc.length(&sites), 2);
    let (Value::Object(ObjType::Map), first) = doc.get(&sites, 0).unwrap().unwrap() else {
        panic!("a site is an Automerge map");
    };
    let plants = doc.get(&first, "plant_count").unwrap().unwrap().0;
    assert_eq!(plants.as_u64(), Some(1_200));
    let (Value::Object(ObjType::Map), point) = doc.get(&first, "point").unwrap().unwrap() else {
        panic!("a point is a map of its own");
    };
    assert_eq!(
        doc.get(&point, "lat").unwrap().unwrap().0.as_f64(),
        Some(15.1)
    );
    assert!(
        survey.sites.iter().all(|s| !s.id.is_nil()),
        "the core gave each new site an id"
    );
    assert_eq!(read_header(&doc).unwrap().schema, 2);
}

#[test]
fn an_edit_of_one_site_writes_that_field_and_an_added_site_only_itself() {
    let (mut survey, mut doc) = two_site_survey();
    let before = doc.get_heads();
    survey.sites[1].plant_count = 45;
    assert!(update_record(&mut doc, &survey, &note("A"), 2).unwrap());
    let changes = doc.get_changes(&before);
    assert_eq!(changes[0].len(), 1, "one op: that site's plant_count");

    let before = doc.get_heads();
    survey.sites.push(site(PlantSpecies::Kratom, 3));
    assert!(update_record(&mut doc, &survey, &note("A"), 3).unwrap());
    let ops = doc.get_changes(&before)[0].len();
    let added = read_record::<SurveyInput>(&doc).unwrap().sites[2].clone();
    let alone = {
        let mut empty = fixtures::survey_without_findings();
        let mut d = new_record(
            Uuid::now_v7(),
            COMMUNE,
            &empty,
            ActorId::random(),
            &note("A"),
            1,
        )
        .unwrap();
        let before = d.get_heads();
        empty.sites.push(added);
        update_record(&mut d, &empty, &note("A"), 2).unwrap();
        d.get_changes(&before)[0].len()
    };
    assert_eq!(ops, alone, "the new site's ops, nothing of the others");
    let back: SurveyInput = read_record(&doc).unwrap();
    assert_eq!(back.sites.len(), 3);
    assert_eq!(back.sites[..2], survey.sites[..2]);
}

#[test]
fn a_site_deleted_on_one_tablet_and_edited_on_another_is_gone_without_a_conflict() {
    // Decided: a removal wins over a concurrent edit of the removed item.
    // The officer removed the site as a whole (a duplicate, a mistake); the
    // other's edit stays in the history.
    let (survey, mut doc) = two_site_survey();
    let (mut a, mut b) = fork(&mut doc);
    let mut on_a = survey.clone();
    on_a.sites.remove(1);
    update_record(&mut a, &on_a, &note("A"), 2).unwrap();
    let mut on_b = survey.clone();
    on_b.sites[1].plant_count = 50;
    on_b.sites[0].samples_taken = false;
    update_record(&mut b, &on_b, &note("B"), 2).unwrap();
    merged(&mut a, &mut b);
    let back: SurveyInput = read_record(&a).unwrap();
    assert_eq!(back.sites.len(), 1);
    assert!(
        !back.sites[0].samples_taken,
        "the edit of the kept site merged"
    );
    assert_eq!(conflicts(&a), vec![]);
    let removed = format!("sites/{}/plant_count", survey.sites[1].id);
    assert!(history(&mut a).iter().any(|h| h.officer == "B"
        && h.fields
            .iter()
            .any(|f| f.field == removed && f.value == "50")));
}

#[test]
fn a_schema_1_document_reads_as_it_was_and_migrates_on_its_next_write() {
    let mut survey = fixtures::survey_with_site();
    survey.sites.push(site(PlantSpecies::Cannabis, 40));
    let id = Uuid::now_v7();
    let mut doc = schema1_record(id, COMMUNE, &survey);
    assert_eq!(read_header(&doc).unwrap().schema, 1);
    let read: SurveyInput = read_record(&doc).unwrap();
    assert_eq!(read.sites.len(), 2);
    let same_but_ids = |s: &SiteInput, t: &SiteInput| {
        SiteInput {
            id: t.id,
            ..s.clone()
        } == *t
    };
    assert!(same_but_ids(&survey.sites[0], &read.sites[0]));
    assert!(same_but_ids(&survey.sites[1], &read.sites[1]));
    assert!(read.sites.iter().all(|s| !s.id.is_nil()));
    assert_eq!(
        read,
        read_record::<SurveyInput>(&doc).unwrap(),
        "the ids given to schema-1 items are the same at every read"
    );

    // Saving what was read changes nothing (the store then keeps nothing).
    let before = doc.get_heads();
    assert!(!update_record(&mut doc, &read, &note("A"), 2).unwrap());

    let mut edited = read.clone();
    edited.sites[1].plant_count = 45;
    assert!(update_record(&mut doc, &edited, &note("A"), 3).unwrap());
    assert_eq!(read_header(&doc).unwrap().schema, SCHEMA_VERSION);
    assert!(matches!(
        doc.get(ROOT, "sites").unwrap().unwrap().0,
        Value::Object(ObjType::List)
    ));
    assert!(matches!(
        doc.get(ROOT, "villages").unwrap().unwrap().0,
        Value::Object(ObjType::List)
    ));
    assert_eq!(read_record::<SurveyInput>(&doc).unwrap(), edited);
    let changes = doc.get_changes(&before);
    assert_eq!(changes.len(), 2, "the migration, then the officer's edit");
    assert_eq!((changes[0].message(), changes[0].timestamp()), (None, 0));
    assert_eq!(
        changes[1].len(),
        1,
        "the edit is one op on the migrated list"
    );
    let officers: Vec<_> = history(&mut doc).into_iter().map(|h| h.officer).collect();
    assert_eq!(
        officers,
        vec!["schema 1", "A"],
        "the migration is no one's edit"
    );
}

#[test]
fn two_devices_migrating_the_same_document_make_one_change() {
    let session = fixtures::session("Nhà văn hóa thôn Đăk Ung");
    let mut doc = schema1_record(Uuid::now_v7(), COMMUNE, &session);
    let (mut a, mut b) = fork(&mut doc);
    let device = a.get_actor().clone();
    assert!(migrate(&mut a).unwrap());
    assert!(migrate(&mut b).unwrap());
    assert_eq!(
        a.get_heads(),
        b.get_heads(),
        "the same change, byte for byte"
    );
    assert_eq!(
        a.get_actor(),
        &device,
        "the device's own writes keep its actor"
    );
    merged(&mut a, &mut b);
    assert_eq!(a.get_changes(&[]).len(), 2);
    assert!(!migrate(&mut a).unwrap(), "done once");
}

#[test]
fn devices_that_migrated_at_different_heads_see_every_site_and_the_next_write_heals() {
    let mut survey = fixtures::survey_with_site();
    survey.sites[0].id = Uuid::nil();
    let id = Uuid::now_v7();
    let mut doc = schema1_record(id, COMMUNE, &survey);
    let (mut a, mut b) = fork(&mut doc);
    // A, still on the old app, adds a site: schema 1 writes the whole list.
    let mut old_a = survey.clone();
    old_a.sites.push(site(PlantSpecies::Cannabis, 40));
    let mut with_new = old_a.clone();
    with_new.sites[0].id = Uuid::nil();
    let bytes = serde_json::to_vec(&serde_json::to_value(&with_new.sites).unwrap()).unwrap();
    a.put(ROOT, "sites", ScalarValue::Bytes(bytes)).unwrap();
    a.commit();
    // Then A is updated and migrates; B migrated before hearing of A's site.
    assert!(migrate(&mut a).unwrap());
    assert!(migrate(&mut b).unwrap());
    assert_ne!(a.get_heads(), b.get_heads());
    merged(&mut a, &mut b);
    assert_eq!(
        a.get_all(ROOT, "sites").unwrap().len(),
        2,
        "two lists at `sites`"
    );

    let read: SurveyInput = read_record(&a).unwrap();
    assert_eq!(
        read.sites.iter().map(|s| s.plant_count).collect::<Vec<_>>(),
        vec![1_200, 40],
        "every site, the one both had once"
    );
    assert_eq!(conflicts(&a), vec![]);
    assert_eq!(read_record::<SurveyInput>(&b).unwrap(), read);

    // B's next write (a note) makes `sites` one list again, with both sites.
    let mut edited = read.clone();
    edited.notes = "Đã kiểm tra lại".into();
    assert!(update_record(&mut b, &edited, &note("B"), 5).unwrap());
    assert_eq!(b.get_all(ROOT, "sites").unwrap().len(), 1);
    let sites = b.get(ROOT, "sites").unwrap().unwrap().1;
    assert_eq!(b.length(&sites), 2, "each site once");
    assert_eq!(read_record::<SurveyInput>(&b).unwrap(), edited);
}

#[test]
fn a_site_changed_differently_before_two_migrations_is_a_conflict_on_that_field() {
    let survey = fixtures::survey_with_site();
    let mut doc = schema1_record(Uuid::now_v7(), COMMUNE, &survey);
    let (mut a, mut b) = fork(&mut doc);
    let mut old_a = survey.clone();
    old_a.sites[0].plant_count = 1_250;
    old_a.sites[0].id = Uuid::nil();
    let bytes = serde_json::to_vec(&serde_json::to_value(&old_a.sites).unwrap()).unwrap();
    a.put(ROOT, "sites", ScalarValue::Bytes(bytes)).unwrap();
    a.commit();
    migrate(&mut a).unwrap();
    migrate(&mut b).unwrap();
    merged(&mut a, &mut b);
    let read: SurveyInput = read_record(&a).unwrap();
    assert_eq!(read.sites.len(), 1);
    let site_id = read.sites[0].id;
    let found = conflicts(&a);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, format!("sites/{site_id}/plant_count"));
    let mut values = found[0].texts();
    values.sort();
    assert_eq!(values, vec!["1200", "1250"]);

    // Saving another field does not settle it; the officer's choice does,
    // and the site is then held once.
    let mut edited = read.clone();
    edited.notes = "Ghi chú".into();
    update_record(&mut a, &edited, &note("A"), 3).unwrap();
    assert_eq!(conflicts(&a).len(), 1);
    resolve(&mut a, &found[0].field, "1250", &note("A"), 4).unwrap();
    assert_eq!(conflicts(&a), vec![]);
    let sites = a.get(ROOT, "sites").unwrap().unwrap().1;
    assert_eq!(a.length(&sites), 1);
    assert_eq!(
        read_record::<SurveyInput>(&a).unwrap().sites[0].plant_count,
        1_250
    );
}

#[test]
fn a_settled_site_conflict_writes_only_that_field() {
    let (survey, mut doc) = two_site_survey();
    let (mut a, mut b) = fork(&mut doc);
    let mut on_a = survey.clone();
    on_a.sites[0].plant_count = 1_250;
    update_record(&mut a, &on_a, &note("A"), 2).unwrap();
    let mut on_b = survey.clone();
    on_b.sites[0].plant_count = 1_300;
    update_record(&mut b, &on_b, &note("B"), 2).unwrap();
    merged(&mut a, &mut b);
    let field = format!("sites/{}/plant_count", survey.sites[0].id);
    assert_eq!(
        conflicts(&a)
            .into_iter()
            .map(|c| c.field)
            .collect::<Vec<_>>(),
        vec![field.clone()]
    );
    assert!(
        resolve(&mut a, &field, "nhiều", &note("A"), 3).is_err(),
        "a count stays a number"
    );
    let before = a.get_heads();
    resolve(&mut a, &field, "1280", &note("A"), 3).unwrap();
    assert_eq!(a.get_changes(&before)[0].len(), 1, "one op");
    assert_eq!(conflicts(&a), vec![]);
    assert_eq!(
        read_record::<SurveyInput>(&a).unwrap().sites[0].plant_count,
        1_280
    );
    let unknown = format!("sites/{}/plant_count", Uuid::now_v7());
    assert!(resolve(&mut a, &unknown, "1", &note("A"), 4).is_err());
}

#[test]
fn a_document_of_a_newer_schema_is_neither_read_nor_migrated() {
    let (_, mut doc) = two_site_survey();
    doc.put(ROOT, SCHEMA_KEY, ScalarValue::Uint(SCHEMA_VERSION + 1))
        .unwrap();
    doc.commit();
    assert_eq!(
        migrate(&mut doc),
        Err(DocError::FutureSchema(SCHEMA_VERSION + 1))
    );
    let survey: SurveyInput = read_record(&doc).unwrap();
    assert!(update_record(&mut doc, &survey, &note("A"), 2).is_err());
}

#[test]
fn a_site_with_an_id_of_another_implementations_making_is_edited_not_lost() {
    // Another Automerge implementation may add an item with an id of its
    // own making.
    let (_, mut doc) = two_site_survey();
    let sites = doc.get(ROOT, "sites").unwrap().unwrap().1;
    let theirs = doc.insert_object(&sites, 2, ObjType::Map).unwrap();
    let mut site = serde_json::to_value(site(PlantSpecies::Khat, 9)).unwrap();
    site["id"] = "site-3".into();
    for (key, value) in site.as_object().unwrap() {
        body::put_json(&mut doc, &theirs, key, value).unwrap();
    }
    doc.commit();
    let mut read: SurveyInput = read_record(&doc).unwrap();
    assert_eq!(read.sites.len(), 3);
    assert!(!read.sites[2].id.is_nil());
    read.sites[2].plant_count = 10;
    update_record(&mut doc, &read, &note("A"), 2).unwrap();
    let back: SurveyInput = read_record(&doc).unwrap();
    assert_eq!(back, read, "edited, not lost");
}

#[test]
fn each_value_of_a_site_conflict_names_its_officer_tablet_and_time() {
    let (survey, mut doc) = two_site_survey();
    let (mut a, mut b) = fork(&mut doc);
    let mut on_a = survey.clone();
    on_a.sites[0].plant_count = 1_250;
    update_record(&mut a, &on_a, &note("Officer A"), 1_700_000_100).unwrap();
    let mut on_b = survey.clone();
    on_b.sites[0].plant_count = 1_300;
    update_record(&mut b, &on_b, &note("Officer B"), 1_700_000_200).unwrap();
    let (actor_a, actor_b) = (a.get_actor().to_hex_string(), b.get_actor().to_hex_string());
    merged(&mut a, &mut b);

    let found = conflicts_with_writers(&mut a);
    assert_eq!(found.len(), 1, "{found:?}");
    let writer_of = |text: &str| {
        let value = found[0].values.iter().find(|v| v.text == text).unwrap();
        assert_eq!(value.writers.len(), 1, "{value:?}");
        value.writers[0].clone()
    };
    assert_eq!(
        writer_of("1250"),
        Writer {
            officer: "Officer A".into(),
            device: actor_a,
            time: 1_700_000_100
        }
    );
    assert_eq!(
        writer_of("1300"),
        Writer {
            officer: "Officer B".into(),
            device: actor_b,
            time: 1_700_000_200
        }
    );
    // Without writers the same values, for the projection's quick check.
    assert_eq!(conflicts(&a)[0].texts(), found[0].texts());
}

#[test]
fn the_history_names_what_changed_inside_a_list_not_a_count_of_items() {
    let (survey, mut doc) = two_site_survey();
    let (first, second) = (survey.sites[0].id, survey.sites[1].id);
    let mut edited = survey.clone();
    edited.sites[0].plant_count = 1_250;
    update_record(&mut doc, &edited, &note("A"), 2).unwrap();
    edited.sites.remove(1);
    edited.sites.push(site(PlantSpecies::Cannabis, 7));
    update_record(&mut doc, &edited, &note("A"), 3).unwrap();
    let added = read_record::<SurveyInput>(&doc).unwrap().sites[1].id;

    let history = history(&mut doc);
    assert_eq!(history.len(), 3, "{history:?}");
    let lines = |i: usize| -> Vec<(String, String)> {
        history[i]
            .fields
            .iter()
            .map(|f| (f.field.clone(), f.value.clone()))
            .collect()
    };
    assert_eq!(
        lines(1),
        vec![(format!("sites/{first}/plant_count"), "1250".to_string())]
    );
    // Each line says which item by its place: the first site changed; the
    // second removed (its place before), the new one second (its place after).
    let places =
        |i: usize| -> Vec<Option<u32>> { history[i].fields.iter().map(|f| f.item).collect() };
    assert_eq!(places(1), vec![Some(1)]);
    assert_eq!(places(2), vec![Some(2), Some(2)]);
    let mut third = lines(2);
    third.sort();
    let mut expected = vec![
        (format!("sites/{added}"), ITEM_ADDED.to_string()),
        (format!("sites/{second}"), ITEM_REMOVED.to_string()),
    ];
    expected.sort();
    assert_eq!(third, expected);
}
