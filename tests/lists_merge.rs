//! Issue 18, item 3: lists merge. Two officers who each add an item to the
//! same list (a site to a survey, a status span to a person, a topic to a
//! session) both keep it after sync; only two values written for one
//! item's field are a conflict, and on that field alone.

use chrono::NaiveDate;
use pcmt_model::fixtures::{self, day, poppy_site, span};
use pcmt_model::{
    AudienceCount, AudienceGroup, Labelled, LegalStatus, PersonInput, PlantSpecies, SessionInput,
    SurveyInput, Topic,
};
use sotay_pcmt::{TestDevice, TestHub};
use uuid::Uuid;

fn today() -> NaiveDate {
    day(2026, 11, 24)
}

/// A hub and two tablets of one commune that both hold one record made on
/// the first.
fn two_tablets(
    hub: &TestHub,
    make: impl FnOnce(&TestDevice) -> Uuid,
) -> (TestDevice, TestDevice, Uuid) {
    let a = TestDevice::new("Công an xã — A Lưu");
    let b = TestDevice::new("Đoàn thanh niên — Y Hoa");
    let id = make(&a);
    a.sync(hub);
    b.sync(hub);
    (a, b, id)
}

/// Both tablets sync until each has the other's changes.
fn exchange(hub: &TestHub, a: &TestDevice, b: &TestDevice) {
    a.sync(hub);
    b.sync(hub);
    a.sync(hub);
}

fn site_of(species: PlantSpecies, plants: u32, lon: f64) -> pcmt_model::SiteInput {
    let mut site = poppy_site();
    // A site added on the form has no id yet: the core gives it one.
    site.id = Uuid::nil();
    site.species = species;
    site.plant_count = plants;
    site.point.lon = lon;
    site.polygon = None;
    site
}

fn survey_sites(d: &TestDevice, id: Uuid) -> SurveyInput {
    d.store().record::<SurveyInput>(id).unwrap()
}

fn two_officers_each_add_a_site_to_a_one_site_survey_and_both_tablets_show_three(hub: TestHub) {
    let (a, b, id) = two_tablets(&hub, |a| {
        a.store()
            .create_survey(&fixtures::survey_with_site(), &a.author, today())
            .unwrap()
            .id
    });
    let mut on_a = survey_sites(&a, id);
    on_a.sites.push(site_of(PlantSpecies::Cannabis, 40, 107.74));
    a.store()
        .update_survey(id, &on_a, &a.author, today())
        .unwrap();
    let mut on_b = survey_sites(&b, id);
    on_b.sites.push(site_of(PlantSpecies::Kratom, 7, 107.75));
    b.store()
        .update_survey(id, &on_b, &b.author, today())
        .unwrap();

    exchange(&hub, &a, &b);
    for d in [&a, &b] {
        let s = survey_sites(d, id);
        let mut species: Vec<_> = s.sites.iter().map(|s| s.species).collect();
        species.sort_by_key(|s| format!("{s:?}"));
        assert_eq!(
            species,
            vec![
                PlantSpecies::Cannabis,
                PlantSpecies::Kratom,
                PlantSpecies::OpiumPoppy
            ],
            "every officer's site is kept"
        );
        assert_eq!(
            d.store().conflicts(id).unwrap(),
            vec![],
            "nothing to settle"
        );
        let row = d.store().survey(id).unwrap();
        assert_eq!((row.sites, row.plants), (3, 1_200 + 40 + 7));
    }
    assert_eq!(survey_sites(&a, id), survey_sites(&b, id));
}

fn two_officers_each_add_a_status_span_and_both_are_kept(hub: TestHub) {
    let (a, b, id) = two_tablets(&hub, |a| {
        a.store()
            .create_person(&fixtures::person("Y Văn Ka"), &a.author, today())
            .unwrap()
            .id
    });
    let file = |d: &TestDevice| d.store().person_file(id).unwrap();
    // A closes the open span and records post-rehab; B notes the same
    // decision's start on the open span. Different items, different fields.
    let mut on_a: PersonInput = file(&a);
    on_a.statuses[1].until = Some(day(2026, 2, 1));
    on_a.statuses
        .push(span(LegalStatus::PostRehab, day(2026, 2, 1), None));
    a.store()
        .update_person(id, &on_a, &a.author, today())
        .unwrap();
    let mut on_b = file(&b);
    on_b.statuses[0].notes = "Quyết định số 12/QĐ-UBND".into();
    b.store()
        .update_person(id, &on_b, &b.author, today())
        .unwrap();

    exchange(&hub, &a, &b);
    for d in [&a, &b] {
        let p = file(d);
        assert_eq!(p.statuses.len(), 3);
        assert_eq!(p.statuses[0].notes, "Quyết định số 12/QĐ-UBND");
        assert_eq!(p.statuses[1].until, Some(day(2026, 2, 1)));
        assert_eq!(p.current_status(), Some(LegalStatus::PostRehab));
        assert_eq!(d.store().conflicts(id).unwrap(), vec![]);
    }
}

fn two_officers_each_add_a_topic_and_an_audience_group_and_both_are_kept(hub: TestHub) {
    let (a, b, id) = two_tablets(&hub, |a| {
        a.store()
            .create_session(
                &fixtures::session("Trường THCS Đăk Pék"),
                &a.author,
                today(),
            )
            .unwrap()
            .id
    });
    let read = |d: &TestDevice| d.store().record::<SessionInput>(id).unwrap();
    let add = |d: &TestDevice, topic: Topic, group: AudienceGroup, count: u32| {
        let mut s = read(d);
        s.topics.push(topic);
        s.details.audience.push(AudienceCount { group, count });
        d.store()
            .update_session(id, &s, &d.author, today())
            .unwrap();
    };
    add(&a, Topic::DrugLaw2021, AudienceGroup::Students, 100);
    add(&b, Topic::Reporting, AudienceGroup::Parents, 20);

    exchange(&hub, &a, &b);
    assert_eq!(read(&a), read(&b), "both tablets hold the same record");
    for d in [&a, &b] {
        let s = read(d);
        assert_eq!(
            s.topics[0],
            Topic::SyntheticDrugs,
            "the main topic stays first"
        );
        let mut topics = s.topics.clone();
        topics.sort_by_key(|t| format!("{t:?}"));
        assert_eq!(
            topics,
            vec![Topic::DrugLaw2021, Topic::Reporting, Topic::SyntheticDrugs]
        );
        let mut groups: Vec<_> = s
            .details
            .audience
            .iter()
            .map(|c| (c.group, c.count))
            .collect();
        groups.sort_by_key(|(g, _)| g.code());
        assert_eq!(
            groups,
            vec![(AudienceGroup::Parents, 20), (AudienceGroup::Students, 100)]
        );
        assert_eq!(d.store().conflicts(id).unwrap(), vec![]);
    }
}

fn a_real_clash_on_one_sites_plant_count_is_a_conflict_on_that_field_only(hub: TestHub) {
    let (a, b, id) = two_tablets(&hub, |a| {
        let mut survey = fixtures::survey_with_site();
        survey
            .sites
            .push(site_of(PlantSpecies::Cannabis, 40, 107.74));
        a.store()
            .create_survey(&survey, &a.author, today())
            .unwrap()
            .id
    });
    let mut on_a = survey_sites(&a, id);
    on_a.sites[0].plant_count = 1_250;
    on_a.sites[1].samples_taken = false;
    a.store()
        .update_survey(id, &on_a, &a.author, today())
        .unwrap();
    let mut on_b = survey_sites(&b, id);
    on_b.sites[0].plant_count = 1_300;
    on_b.notes = "Đếm lại theo biên bản".into();
    b.store()
        .update_survey(id, &on_b, &b.author, today())
        .unwrap();

    exchange(&hub, &a, &b);
    let poppy = survey_sites(&a, id).sites[0].id;
    for d in [&a, &b] {
        let conflicts = d.store().conflicts(id).unwrap();
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        assert_eq!(conflicts[0].field, format!("sites/{poppy}/plant_count"));
        let mut values = conflicts[0].texts();
        values.sort();
        assert_eq!(values, vec!["1250", "1300"]);
        let s = survey_sites(d, id);
        assert!(!s.sites[1].samples_taken, "the other site's edit merged");
        assert_eq!(s.notes, "Đếm lại theo biên bản");
    }
    // Settling it writes that one field of that one site.
    let field = a.store().conflicts(id).unwrap()[0].field.clone();
    a.store()
        .resolve_conflict(id, &field, "1280", &a.author, today())
        .unwrap();
    exchange(&hub, &a, &b);
    for d in [&a, &b] {
        assert_eq!(d.store().conflicts(id).unwrap(), vec![]);
        let s = survey_sites(d, id);
        assert_eq!(
            s.sites.iter().map(|s| s.plant_count).collect::<Vec<_>>(),
            vec![1_280, 40]
        );
    }
}

sotay_pcmt::on_both_hubs!(
    two_officers_each_add_a_site_to_a_one_site_survey_and_both_tablets_show_three,
    two_officers_each_add_a_status_span_and_both_are_kept,
    two_officers_each_add_a_topic_and_an_audience_group_and_both_are_kept,
    a_real_clash_on_one_sites_plant_count_is_a_conflict_on_that_field_only,
);
