//! Reports on a seeded district, built through the normal store commands,
//! against figures worked out by hand (the arithmetic is in the comments).
//!
//! The district is the demo tree: Huyện Đăk Glei with communes A = Đăk Pék
//! (62-610-23284), B = Đăk Choong (62-610-23287) and C = Xốp (62-610-23290);
//! one school in each commune and one industrial zone in A. The period is
//! the first half of 2026 (01/01/2026–30/06/2026).

use pcmt_core::{Author, CoreError, Store};
use pcmt_model::fixtures::{self, day, square};
use pcmt_model::report::{IndicatorCode as I, Period, Report};
use pcmt_model::{
    polygon_area_m2, ActionKind, AudienceCount, AudienceGroup, CheckInInput, ClosedReason,
    DrugTest, GeoPoint, Labelled, LegalStatus, OrgTree, PersonInput, PlantSpecies, SessionDetails,
    SessionForm, SessionInput, SiteAction, SiteInput, StatusSpan, Substance, SupportKind,
    SurveyInput, SurveyKind, TestKind, TestResult, VenueKind,
};
use uuid::Uuid;

pub const A: &str = "62-610-23284";
pub const B: &str = "62-610-23287";
pub const C: &str = "62-610-23290";
pub const DISTRICT: &str = "62-610";

fn officer() -> Author {
    Author {
        officer: "Nguyễn Văn Tâm".into(),
    }
}

fn today() -> chrono::NaiveDate {
    day(2026, 11, 24)
}

fn half() -> Period {
    Period::half_year(2026, 1).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn session(
    commune: &str,
    date: chrono::NaiveDate,
    venue_kind: VenueKind,
    venue_name: &str,
    form: SessionForm,
    (attendees, women): (u32, u32),
    audience: &[(AudienceGroup, u32)],
    (materials, pledges): (u32, u32),
) -> SessionInput {
    SessionInput {
        date,
        commune: commune.into(),
        venue_kind,
        venue_name: venue_name.into(),
        form,
        attendees,
        women,
        details: SessionDetails {
            audience: audience
                .iter()
                .map(|&(group, count)| AudienceCount { group, count })
                .collect(),
            materials,
            pledges,
            ..SessionDetails::default()
        },
        ..fixtures::session("")
    }
}

fn span(
    status: LegalStatus,
    from: chrono::NaiveDate,
    until: Option<chrono::NaiveDate>,
) -> StatusSpan {
    StatusSpan {
        id: uuid::Uuid::nil(),
        status,
        closed_reason: (status == LegalStatus::Closed).then_some(ClosedReason::MovedAway),
        from,
        until,
        notes: String::new(),
    }
}

fn person(name: &str, commune: &str, statuses: Vec<StatusSpan>) -> PersonInput {
    let village = OrgTree::demo()
        .villages_of(commune)
        .next()
        .map(|v| v.code.clone());
    PersonInput {
        commune: commune.into(),
        village,
        statuses,
        ..fixtures::person(name)
    }
}

/// An attended visit without a test or support; callers add what happened.
fn visit(person: Uuid, date: chrono::NaiveDate) -> CheckInInput {
    CheckInInput {
        drug_test: None,
        support: vec![],
        ..fixtures::checkin(person, date)
    }
}

fn site(
    point: GeoPoint,
    side_m: Option<f64>,
    species: PlantSpecies,
    plant_count: u32,
    action: ActionKind,
    date: chrono::NaiveDate,
    replanting_of: Option<Uuid>,
) -> SiteInput {
    SiteInput {
        id: uuid::Uuid::nil(),
        point,
        polygon: side_m.map(|s| square(point.lat, point.lon, s)),
        species,
        plant_count,
        action: SiteAction {
            kind: action,
            date,
            by: "Tổ công tác xã".into(),
        },
        replanting_of,
        ..fixtures::poppy_site()
    }
}

/// Builds the district. Returns the store and the walked polygons, whose
/// areas the map exports are checked against.
pub fn seeded_district() -> (Store, Vec<Vec<GeoPoint>>) {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let polygons = seed(&mut s);
    (s, polygons)
}

fn seed(s: &mut Store) -> Vec<Vec<GeoPoint>> {
    let me = officer();
    let t = today();
    use AudienceGroup as G;
    use SessionForm as F;
    use VenueKind as V;

    // ---- sessions ----
    let sessions = [
        // 1. A, the school of A, named in lower case: still matches.
        session(
            A,
            day(2026, 3, 10),
            V::School,
            "trường ptdtbt thcs đăk pék",
            F::Talk,
            (120, 60),
            &[(G::Students, 100), (G::Parents, 20)],
            (200, 120),
        ),
        // 2. A, the industrial zone of A, on 26 June.
        session(
            A,
            day(2026, 6, 26),
            V::IndustrialZone,
            "Cụm công nghiệp Đăk Pék",
            F::Rally,
            (300, 150),
            &[(G::Workers, 250), (G::Youth, 50)],
            (500, 0),
        ),
        // 3. B, a village hall.
        session(
            B,
            day(2026, 4, 5),
            V::VillageHall,
            "Nhà văn hóa thôn Dục Nội",
            F::Broadcast,
            (80, 30),
            &[(G::EthnicMinority, 80)],
            (0, 40),
        ),
        // 4. C, its school, but in July: outside the period.
        session(
            C,
            day(2026, 7, 2),
            V::School,
            "Trường PTDTBT THCS Xốp",
            F::Talk,
            (90, 45),
            &[],
            (10, 10),
        ),
        // 5. B, a school that is not on the list: B's school is not reached.
        session(
            B,
            day(2026, 2, 14),
            V::School,
            "Trường Tiểu học Đăk Choong 2",
            F::Talk,
            (50, 25),
            &[],
            (50, 0),
        ),
    ];
    for input in &sessions {
        s.create_session(input, &me, t).unwrap();
    }
    // 6. A big session in A, deleted: it counts nowhere.
    let gone = s
        .create_session(
            &session(
                A,
                day(2026, 5, 1),
                V::Market,
                "Chợ Đăk Pék",
                F::Talk,
                (1000, 500),
                &[],
                (0, 0),
            ),
            &me,
            t,
        )
        .unwrap();
    s.delete(gone.id, &me).unwrap();

    // ---- people and visits ----
    use LegalStatus as L;
    // P1 (A): community rehab (every 14 days) since 1 January 2026.
    let p1 = s
        .create_person(
            &person(
                "Nguyễn Văn Một",
                A,
                vec![span(L::VoluntaryCommunityRehab, day(2026, 1, 1), None)],
            ),
            &me,
            t,
        )
        .unwrap()
        .id;
    s.create_checkin(
        &CheckInInput {
            support: vec![SupportKind::Counselling],
            ..visit(p1, day(2026, 6, 20))
        },
        &me,
        t,
    )
    .unwrap();
    s.create_checkin(
        &CheckInInput {
            drug_test: Some(DrugTest {
                kind: TestKind::UrineQuick,
                result: TestResult::Positive,
                substances: vec![Substance::Methamphetamine],
            }),
            psychosis_signs: true,
            ..visit(p1, day(2026, 6, 25))
        },
        &me,
        t,
    )
    .unwrap();
    // P2 (A): drug user under management (every 30 days) since 1 June 2025;
    // seen on 1 March with an appointment on 1 April that was not kept; a
    // visit in July is after the period.
    let p2 = s
        .create_person(
            &person(
                "Trần Văn Hai",
                A,
                vec![span(L::DrugUserManaged, day(2025, 6, 1), None)],
            ),
            &me,
            t,
        )
        .unwrap()
        .id;
    s.create_checkin(
        &CheckInInput {
            next_visit: Some(day(2026, 4, 1)),
            ..visit(p2, day(2026, 3, 1))
        },
        &me,
        t,
    )
    .unwrap();
    s.create_checkin(&visit(p2, day(2026, 7, 10)), &me, t)
        .unwrap();
    // P3 (B): compulsory rehab until 1 February 2026, then post-rehab
    // management (every 30 days); seen on 15 June and referred to a job.
    let p3 = s
        .create_person(
            &person(
                "Lê Văn Ba",
                B,
                vec![
                    span(L::CompulsoryRehab, day(2025, 1, 10), Some(day(2026, 2, 1))),
                    span(L::PostRehab, day(2026, 2, 1), None),
                ],
            ),
            &me,
            t,
        )
        .unwrap()
        .id;
    s.create_checkin(
        &CheckInInput {
            support: vec![SupportKind::JobReferral],
            ..visit(p3, day(2026, 6, 15))
        },
        &me,
        t,
    )
    .unwrap();
    // P4 (B): facility rehab until 1 March 2026, then the file was closed
    // (moved away) instead of post-rehab management; a missed visit in
    // February.
    let p4 = s
        .create_person(
            &person(
                "Phạm Văn Bốn",
                B,
                vec![
                    span(
                        L::VoluntaryFacilityRehab,
                        day(2025, 9, 1),
                        Some(day(2026, 3, 1)),
                    ),
                    span(L::Closed, day(2026, 3, 1), None),
                ],
            ),
            &me,
            t,
        )
        .unwrap()
        .id;
    s.create_checkin(
        &CheckInInput {
            attended: false,
            absence_reason: Some("Đang ở cơ sở cai nghiện".into()),
            ..visit(p4, day(2026, 2, 10))
        },
        &me,
        t,
    )
    .unwrap();
    // P5 (C): addiction confirmed (every 7 days) on 1 June 2026, never seen.
    s.create_person(
        &person(
            "A Văn Năm",
            C,
            vec![span(L::AddictionConfirmed, day(2026, 6, 1), None)],
        ),
        &me,
        t,
    )
    .unwrap();
    // P6 (A): management begins in August, after the period.
    s.create_person(
        &person(
            "Y Văn Sáu",
            A,
            vec![span(L::DrugUserManaged, day(2026, 8, 1), None)],
        ),
        &me,
        t,
    )
    .unwrap();

    // ---- eradication ----
    // Sv1 (A), 10 February: 35 ha, one walked poppy plot of 100 m × 100 m,
    // 1,200 plants (the fixture).
    let sv1 = s
        .create_survey(&fixtures::survey_with_site(), &me, t)
        .unwrap()
        .id;
    // Sv2 (B), 5 March: 120 ha, nothing found.
    s.create_survey(
        &SurveyInput {
            date: day(2026, 3, 5),
            commune: B.into(),
            villages: vec!["62-610-23287-01".into()],
            area_covered_ha: Some(120.0),
            ..fixtures::survey_without_findings()
        },
        &me,
        t,
    )
    .unwrap();
    // Sv3 (C), 12 April, a re-planting check with no area estimate: a walked
    // cannabis plot of 50 m × 50 m (300 plants) re-planting Sv1's site, and
    // 40 poppies not walked.
    let cannabis = GeoPoint {
        lat: 15.2,
        lon: 107.8,
    };
    let sv3 = SurveyInput {
        date: day(2026, 4, 12),
        commune: C.into(),
        villages: vec![],
        kind: SurveyKind::ReplantingCheck,
        area_covered_ha: None,
        sites: vec![
            site(
                cannabis,
                Some(50.0),
                PlantSpecies::Cannabis,
                300,
                ActionKind::Cut,
                day(2026, 4, 12),
                Some(sv1),
            ),
            site(
                GeoPoint {
                    lat: 15.21,
                    lon: 107.81,
                },
                None,
                PlantSpecies::OpiumPoppy,
                40,
                ActionKind::Burned,
                day(2026, 4, 13),
                None,
            ),
        ],
        ..fixtures::survey_without_findings()
    };
    s.create_survey(&sv3, &me, t).unwrap();
    // Sv4 (B), August: outside the period.
    s.create_survey(
        &SurveyInput {
            date: day(2026, 8, 1),
            commune: B.into(),
            villages: vec![],
            sites: vec![site(
                GeoPoint {
                    lat: 15.3,
                    lon: 107.7,
                },
                Some(20.0),
                PlantSpecies::OpiumPoppy,
                90,
                ActionKind::Uprooted,
                day(2026, 8, 1),
                None,
            )],
            ..fixtures::survey_without_findings()
        },
        &me,
        t,
    )
    .unwrap();

    // ---- hot spots ----
    // H1 in A: found 1 February 2026, cleared 1 April. H2 in B: found 1
    // March 2026, being dealt with since 15 May.
    use pcmt_model::HotSpotStage as H;
    for (commune, stages) in [
        (
            A,
            [
                (H::Detected, day(2026, 2, 1)),
                (H::Cleared, day(2026, 4, 1)),
            ],
        ),
        (
            B,
            [
                (H::Detected, day(2026, 3, 1)),
                (H::BeingDealtWith, day(2026, 5, 15)),
            ],
        ),
    ] {
        let mut spot = fixtures::hot_spot("Quán karaoke", stages[0].1);
        spot.commune = commune.into();
        spot.village = None;
        spot.stages = stages
            .iter()
            .map(|&(stage, from)| fixtures::hot_spot_span(stage, from))
            .collect();
        s.create_hot_spot(&spot, &me, t).unwrap();
    }

    let p = fixtures::poppy_site();
    vec![
        p.polygon.unwrap_or_default(),
        square(cannabis.lat, cannabis.lon, 50.0),
    ]
}

fn value(r: &Report, code: I) -> f64 {
    r.indicator(code)
        .and_then(|i| i.value)
        .unwrap_or_else(|| panic!("{code:?} has no value"))
}

fn parts(r: &Report, code: I) -> (u64, u64, Option<bool>) {
    let i = r.indicator(code).unwrap();
    (i.numerator.unwrap(), i.denominator.unwrap(), i.met)
}

fn names(units: &[pcmt_model::report::NamedUnit]) -> Vec<&str> {
    units.iter().map(|u| u.name.as_str()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

#[test]
fn the_district_report_matches_the_figures_worked_by_hand() {
    let (s, polygons) = seeded_district();
    let r = s.report(DISTRICT, &half(), today()).unwrap();
    assert_eq!(r.unit.name, "Huyện Đăk Glei (demo)");
    // Every indicator is there, once.
    assert_eq!(r.indicators.len(), pcmt_model::report::INDICATORS.len());

    // Sessions 1, 2, 3, 5 (4 is in July, 6 was deleted).
    assert_eq!(value(&r, I::Sessions), 4.0);
    // 120 + 300 + 80 + 50 = 550; women 60 + 150 + 30 + 25 = 265.
    assert_eq!(value(&r, I::Attendees), 550.0);
    assert_eq!(value(&r, I::WomenAttendees), 265.0);
    // Materials 200 + 500 + 0 + 50 = 750; pledges 120 + 0 + 40 + 0 = 160.
    assert_eq!(value(&r, I::Materials), 750.0);
    assert_eq!(value(&r, I::Pledges), 160.0);
    let by_form: Vec<_> = r
        .sessions_by_form
        .iter()
        .filter(|t| t.count > 0)
        .map(|t| (t.item, t.count))
        .collect();
    assert_eq!(
        by_form,
        [
            (SessionForm::Talk, 2),
            (SessionForm::Rally, 1),
            (SessionForm::Broadcast, 1)
        ]
    );
    assert_eq!(
        r.sessions_by_form.len(),
        SessionForm::ALL.len(),
        "every form is listed"
    );
    let by_venue: Vec<_> = r
        .sessions_by_venue
        .iter()
        .filter(|t| t.count > 0)
        .map(|t| (t.item, t.count))
        .collect();
    assert_eq!(
        by_venue,
        [
            (VenueKind::School, 2),
            (VenueKind::IndustrialZone, 1),
            (VenueKind::VillageHall, 1)
        ]
    );
    let by_group: Vec<_> = r
        .attendees_by_group
        .iter()
        .filter(|t| t.count > 0)
        .map(|t| (t.item, t.count))
        .collect();
    use AudienceGroup as G;
    assert_eq!(
        by_group,
        [
            (G::Students, 100),
            (G::Youth, 50),
            (G::Workers, 250),
            (G::EthnicMinority, 80),
            (G::Parents, 20)
        ]
    );
    // Communes reached: A and B of 3 (C only in July): 66.7%, not met.
    assert_eq!(parts(&r, I::CommunesReached), (2, 3, Some(false)));
    assert!(close(value(&r, I::CommunesReached), 200.0 / 3.0));
    assert_eq!(names(&r.communes_not_reached), ["Xã Xốp"]);
    // Schools: A's (session 1, matched without case or diacritics) of 3.
    assert_eq!(parts(&r, I::SchoolsReached), (1, 3, Some(false)));
    assert_eq!(
        names(&r.schools_not_reached),
        ["Trường PTDTBT TH Đăk Choong", "Trường PTDTBT THCS Xốp"]
    );
    // Industrial zones: A's only zone, by session 2: 100%, met.
    assert_eq!(parts(&r, I::ZonesReached), (1, 1, Some(true)));
    assert!(r.zones_not_reached.is_empty());

    // Managed on 30 June: P1, P2, P3, P5 (P4 closed, P6 not yet) = 4.
    assert_eq!(value(&r, I::PeopleManaged), 4.0);
    // Newly found, a file's first status beginning in the period: P1 (1
    // January 2026) and P5 (1 June 2026); P2, P3 and P4 began in 2025, P6 in
    // August.
    assert_eq!(value(&r, I::NewlyFound), 2.0);
    let by_status: Vec<_> = r
        .people_by_status
        .iter()
        .filter(|t| t.count > 0)
        .map(|t| (t.item, t.count))
        .collect();
    use LegalStatus as L;
    assert_eq!(
        by_status,
        [
            (L::DrugUserManaged, 1),
            (L::AddictionConfirmed, 1),
            (L::VoluntaryCommunityRehab, 1),
            (L::PostRehab, 1)
        ]
    );
    // Up to date on 30 June: P1 (25 June + 14 = 9 July), P3 (15 June + 30 =
    // 15 July); not P2 (appointment 1 April missed; the July visit is after
    // the period) nor P5 (1 June + 7 = 8 June). 2 of 4 = 50%.
    assert_eq!(parts(&r, I::FilesUpToDate), (2, 4, Some(false)));
    // Support: P1 (community rehab), P3 (post-rehab, job referral); P2 and
    // P5 neither. 2 of 4 = 50%, target > 80%.
    assert_eq!(parts(&r, I::SupportReached), (2, 4, Some(false)));
    // Visits due, days in the period / interval, rounded down:
    // P1 1 Jan–30 Jun, 181 / 14 = 12; P2 181 / 30 = 6;
    // P3 compulsory 1 Jan–31 Jan 31 / 90 = 0, post-rehab 1 Feb–30 Jun 150 / 30 = 5;
    // P4 facility 1 Jan–28 Feb 59 / 90 = 0, then closed; P5 1–30 Jun 30 / 7 = 4;
    // P6 none. 12 + 6 + 5 + 4 = 27.
    // Done (attended, in the period): P1 2, P2 1, P3 1, P4 0 (missed) = 4.
    assert_eq!(parts(&r, I::CheckInsDone), (4, 27, Some(false)));
    assert!(close(value(&r, I::CheckInsDone), 400.0 / 27.0));
    // P1's 25 June test, and P1's psychosis signs.
    assert_eq!(value(&r, I::PositiveTests), 1.0);
    assert_eq!(value(&r, I::PsychosisSigns), 1.0);
    // Rehab ended in the period: P3 (1 Feb, then post-rehab) and P4 (1 Mar,
    // then closed). 1 of 2 = 50%, target 100%.
    assert_eq!(parts(&r, I::PostRehabEntered), (1, 2, Some(false)));

    // Surveys Sv1, Sv2, Sv3 (Sv4 in August).
    assert_eq!(value(&r, I::Surveys), 3.0);
    // Area swept 35 + 120 (+ none for Sv3) = 155 ha.
    assert_eq!(value(&r, I::AreaSwept), 155.0);
    // Sites 1 + 0 + 2 = 3; plants 1,200 + 300 + 40 = 1,540.
    assert_eq!(value(&r, I::SitesFound), 3.0);
    assert_eq!(value(&r, I::PlantsDestroyed), 1540.0);
    // Walked area: 100 m × 100 m + 50 m × 50 m ≈ 12,500 m², as the model
    // computes it on the ellipsoid.
    let walked: f64 = polygons.iter().map(|p| polygon_area_m2(p)).sum();
    assert!(close(value(&r, I::AreaDestroyed), walked));
    assert!((value(&r, I::AreaDestroyed) - 12_500.0).abs() < 12_500.0 * 0.005);
    // One re-planting (Sv3's cannabis): the target is none, so not met.
    assert_eq!(value(&r, I::ReplantingFound), 1.0);
    assert_eq!(r.indicator(I::ReplantingFound).unwrap().met, Some(false));
    // Only B was swept with nothing found (C found sites; Sv4 is August).
    assert_eq!(value(&r, I::CommunesWithoutFinding), 1.0);
    assert_eq!(names(&r.communes_without_finding), ["Xã Đăk Choong"]);
    let species: Vec<_> = r
        .sites_by_species
        .iter()
        .filter(|t| t.count > 0)
        .map(|t| (t.item, t.count))
        .collect();
    assert_eq!(
        species,
        [(PlantSpecies::OpiumPoppy, 2), (PlantSpecies::Cannabis, 1)]
    );
}

#[test]
fn a_commune_report_counts_only_its_own_records() {
    let (s, _) = seeded_district();
    let r = s.report(A, &half(), today()).unwrap();
    // Sessions 1 and 2; the commune itself, its school and its zone reached.
    assert_eq!(value(&r, I::Sessions), 2.0);
    assert_eq!(value(&r, I::Attendees), 420.0);
    assert_eq!(parts(&r, I::CommunesReached), (1, 1, Some(true)));
    assert_eq!(parts(&r, I::SchoolsReached), (1, 1, Some(true)));
    assert_eq!(parts(&r, I::ZonesReached), (1, 1, Some(true)));
    // P1 and P2 managed, P1 up to date; visits due 12 + 6 = 18, done 3.
    assert_eq!(parts(&r, I::FilesUpToDate), (1, 2, Some(false)));
    assert_eq!(parts(&r, I::CheckInsDone), (3, 18, Some(false)));
    // Nobody in A finished rehab: a share of nothing has no value.
    let none = r.indicator(I::PostRehabEntered).unwrap();
    assert_eq!(
        (none.value, none.met, none.denominator),
        (None, None, Some(0))
    );
    // Sv1 only.
    assert_eq!(value(&r, I::Surveys), 1.0);
    assert_eq!(value(&r, I::PlantsDestroyed), 1200.0);
    // C has no school sessions in the period and no zone to reach.
    let c = s.report(C, &half(), today()).unwrap();
    assert_eq!(parts(&c, I::SchoolsReached), (0, 1, Some(false)));
    let zones = c.indicator(I::ZonesReached).unwrap();
    assert_eq!((zones.value, zones.met), (None, None));
}

#[test]
fn the_province_rolls_up_the_district_and_a_later_period_sees_july() {
    let (s, _) = seeded_district();
    let province = s.report("62", &half(), today()).unwrap();
    let district = s.report(DISTRICT, &half(), today()).unwrap();
    assert_eq!(province.indicators, district.indicators);
    let july = s
        .report(DISTRICT, &Period::month(2026, 7).unwrap(), today())
        .unwrap();
    // Session 4 in C; P2's July visit.
    assert_eq!(value(&july, I::Sessions), 1.0);
    assert_eq!(
        names(&july.schools_not_reached),
        ["Trường PTDTBT THCS Đăk Pék", "Trường PTDTBT TH Đăk Choong"]
    );
    assert_eq!(parts(&july, I::CheckInsDone).0, 1);
}

/// A period still running is counted up to the day it is asked on, not to
/// its last day (issue 23: on 1 December the year's report said 0% of files
/// up to date while visits stood at 107%).
#[test]
fn a_running_period_is_counted_up_to_the_day_it_is_asked() {
    let (s, _) = seeded_district();
    let second_half = Period::half_year(2026, 2).unwrap();
    let asked = day(2026, 7, 15);
    let r = s.report(A, &second_half, asked).unwrap();
    assert_eq!((r.period, r.counted_to), (second_half, asked));
    // On 15 July, A manages P1 and P2 (P6 begins in August). P1 (seen 25
    // June, every 14 days) was due on 9 July, late; P2 (seen 10 July, every
    // 30 days) is due on 9 August, up to date.
    assert_eq!(parts(&r, I::FilesUpToDate), (1, 2, Some(false)));
    // Visits due 1–15 July, 15 days: P1 15 / 14 = 1, P2 15 / 30 = 0; done:
    // P2's 10 July visit.
    assert_eq!(parts(&r, I::CheckInsDone).0, 1);
    assert_eq!(parts(&r, I::CheckInsDone).1, 1);
    let note = r.counted_note(pcmt_model::Lang::Vi).unwrap();
    assert!(note.contains("tính đến hết ngày 15/07/2026"), "{note}");

    // What the old rule said on 15 July, counting to 31 December: P1, P2 and
    // P6 managed and every one late; visits due over 184 days, P1 184 / 14
    // = 13, P2 184 / 30 = 6, P6 1 Aug–31 Dec 153 / 30 = 5: 24, of which 1
    // done.
    let to_the_end = s.report(A, &second_half, second_half.until).unwrap();
    assert_eq!(parts(&to_the_end, I::FilesUpToDate), (0, 3, Some(false)));
    assert_eq!(parts(&to_the_end, I::CheckInsDone).1, 24);

    // Once the period has ended, it is counted to its last day, and says
    // nothing more.
    let ended = s.report(A, &half(), today()).unwrap();
    assert_eq!(ended.counted_to, day(2026, 6, 30));
    assert_eq!(ended.counted_note(pcmt_model::Lang::Vi), None);
    // Before it starts, to its first day: nothing has happened in it.
    let ahead = s.report(A, &second_half, day(2026, 6, 1)).unwrap();
    assert_eq!(ahead.counted_to, day(2026, 7, 1));
    assert_eq!(value(&ahead, I::Sessions), 0.0);
}

/// Each indicator beside the same period a year earlier, as the plans
/// measure change ("tăng/giảm so với cùng kỳ").
#[test]
fn each_indicator_stands_beside_the_same_period_a_year_earlier() {
    let (mut s, _) = seeded_district();
    // One talk in A in the first half of 2025: 100 attendees, 40 women.
    s.create_session(
        &session(
            A,
            day(2025, 3, 12),
            VenueKind::VillageHall,
            "Nhà văn hóa thôn Đăk Túc",
            SessionForm::Talk,
            (100, 40),
            &[(AudienceGroup::Residents, 100)],
            (50, 0),
        ),
        &officer(),
        today(),
    )
    .unwrap();
    let r = s.report(A, &half(), today()).unwrap();
    assert_eq!(r.previous, Period::half_year(2025, 1).unwrap());
    let now_and_before = |code| {
        let i = r.indicator(code).unwrap();
        (i.value, i.previous)
    };
    // Sessions 2 against 1; attendees 120 + 300 = 420 against 100.
    assert_eq!(now_and_before(I::Sessions), (Some(2.0), Some(1.0)));
    assert_eq!(now_and_before(I::Attendees), (Some(420.0), Some(100.0)));
    let change = |code| r.indicator(code).unwrap().change_text(pcmt_model::Lang::Vi);
    assert_eq!(change(I::Sessions), "+1 (+100,0%)");
    assert_eq!(change(I::Attendees), "+320 (+320,0%)");
    // Files up to date: on 30 June 2025 A managed P2 alone (since 1 June
    // 2025, every 30 days: due 1 July), up to date, 100%; on 30 June 2026,
    // 1 of 2, 50%: fifty points down.
    assert_eq!(now_and_before(I::FilesUpToDate), (Some(50.0), Some(100.0)));
    assert_eq!(change(I::FilesUpToDate), "-50,0 điểm %");
    // Newly found in A: P1 (1 January 2026) against P2 (1 June 2025).
    assert_eq!(now_and_before(I::NewlyFound), (Some(1.0), Some(1.0)));
    assert_eq!(change(I::NewlyFound), "0");
    // Nothing was surveyed in 2025: 1 against 0, no percentage of nothing.
    assert_eq!(now_and_before(I::Surveys), (Some(1.0), Some(0.0)));
    assert_eq!(change(I::Surveys), "+1");
    // A share of nothing then has no value and no change.
    let rehab = r.indicator(I::PostRehabEntered).unwrap();
    assert_eq!(
        (rehab.previous, rehab.change_text(pcmt_model::Lang::Vi)),
        (None, String::new())
    );

    // A running period is compared with the same days a year earlier.
    let running = s
        .report(A, &Period::year(2026).unwrap(), day(2026, 3, 11))
        .unwrap();
    assert_eq!(
        (running.previous.from, running.previous.until),
        (day(2025, 1, 1), day(2025, 3, 11))
    );
    // The 2025 talk was on 12 March: not yet, a year earlier.
    assert_eq!(running.indicator(I::Sessions).unwrap().previous, Some(0.0));
}

/// Issue 23: agencies (cơ quan, đơn vị) reached, as the plans count them
/// beside communes, schools and industrial zones (seed 000: 100% of each),
/// this year against the same days of last year.
#[test]
fn agencies_reached_are_counted_against_the_tree_and_last_year() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let asked = day(2026, 12, 1);
    let talk = |commune, date, kind, venue: &str| {
        session(
            commune,
            date,
            kind,
            venue,
            SessionForm::Talk,
            (30, 10),
            &[(AudienceGroup::Officials, 30)],
            (30, 0),
        )
    };
    let held = [
        // 2025: A's health station.
        talk(
            A,
            day(2025, 5, 10),
            VenueKind::Agency,
            "Trạm Y tế xã Đăk Pék",
        ),
        // 2026: A's forest rangers, named in lower case: still theirs.
        talk(
            A,
            day(2026, 3, 2),
            VenueKind::Agency,
            "hạt kiểm lâm đăk glei",
        ),
        // B's border post.
        talk(
            B,
            day(2026, 6, 15),
            VenueKind::Agency,
            "Đồn Biên phòng Đăk Choong",
        ),
        // A's health station's name, but held in B: not A's station.
        talk(
            B,
            day(2026, 7, 1),
            VenueKind::Agency,
            "Trạm Y tế xã Đăk Pék",
        ),
        // A's health station's name at a village hall: not an agency.
        talk(
            A,
            day(2026, 8, 1),
            VenueKind::VillageHall,
            "Trạm Y tế xã Đăk Pék",
        ),
    ];
    for input in &held {
        s.create_session(input, &officer(), asked).unwrap();
    }
    let r = s
        .report(DISTRICT, &Period::year(2026).unwrap(), asked)
        .unwrap();
    // The demo district lists three agencies: two in A, one in B.
    // 2026 (to 1 December): the rangers and the border post, 2 of 3 =
    // 66.7%, short of 100%; 2025 (to 1 December): the health station, 1 of
    // 3 = 33.3%; 66.7 - 33.3 = 33.3 points up.
    assert_eq!(parts(&r, I::AgenciesReached), (2, 3, Some(false)));
    let agencies = r.indicator(I::AgenciesReached).unwrap();
    assert!(close(agencies.previous.unwrap(), 100.0 / 3.0));
    assert_eq!(agencies.change_text(pcmt_model::Lang::Vi), "+33,3 điểm %");
    assert_eq!(names(&r.agencies_not_reached), ["Trạm Y tế xã Đăk Pék"]);
    // Four sessions in 2026 against one: +3, +300%.
    assert_eq!(
        r.indicator(I::Sessions)
            .unwrap()
            .change_text(pcmt_model::Lang::Vi),
        "+3 (+300,0%)"
    );
    // A commune counts its own agencies: C has none, a share of nothing.
    let c = s.report(C, &Period::year(2026).unwrap(), asked).unwrap();
    let none = c.indicator(I::AgenciesReached).unwrap();
    assert_eq!((none.value, none.previous, none.met), (None, None, None));
    let b = s.report(B, &Period::year(2026).unwrap(), asked).unwrap();
    assert_eq!(parts(&b, I::AgenciesReached), (1, 1, Some(true)));
    // A tablet holds no office classing of drug-free communes: no figure,
    // not "none" (the hub's tests count them).
    let free = r.indicator(I::DrugFreeCommunes).unwrap();
    assert_eq!(
        (free.value, free.previous, r.drug_free_classed),
        (None, None, false)
    );
}

/// Issue 23: drug hot spots (điểm, tụ điểm phức tạp về ma túy), recorded
/// through the store with their stages, counted for 2026 asked on 1
/// December (a running year) beside the same days of 2025.
#[test]
fn hot_spots_detected_cleared_and_their_share_stand_beside_last_year() {
    use pcmt_model::fixtures::{hot_spot, hot_spot_span};
    use pcmt_model::HotSpotStage::{BeingDealtWith, Cleared, Detected, Transformed};
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let asked = day(2026, 12, 1);
    let spots = [
        // H1, A: found and cleared in 2025.
        (
            A,
            vec![
                (Detected, day(2025, 2, 10)),
                (BeingDealtWith, day(2025, 3, 1)),
                (Cleared, day(2025, 6, 15)),
            ],
        ),
        // H2, A: found in 2025, the area transformed in March 2026.
        (
            A,
            vec![
                (Detected, day(2025, 4, 20)),
                (Transformed, day(2026, 3, 10)),
            ],
        ),
        // H3, B: found in November 2025, dealt with, cleared in 2026.
        (
            B,
            vec![
                (Detected, day(2025, 11, 5)),
                (BeingDealtWith, day(2026, 2, 1)),
                (Cleared, day(2026, 11, 15)),
            ],
        ),
        // H4, A: found in January 2026, still open.
        (A, vec![(Detected, day(2026, 1, 5))]),
        // H5, B: found, cleared, then transformed, all in 2026.
        (
            B,
            vec![
                (Detected, day(2026, 5, 1)),
                (Cleared, day(2026, 7, 1)),
                (Transformed, day(2026, 10, 1)),
            ],
        ),
        // H6, A: found on 10 December 2025, after the days last year's
        // figures count (to 1 December), cleared in January 2026.
        (
            A,
            vec![(Detected, day(2025, 12, 10)), (Cleared, day(2026, 1, 10))],
        ),
    ];
    for (n, (commune, stages)) in spots.iter().enumerate() {
        let mut spot = hot_spot(&format!("Điểm H{}", n + 1), stages[0].1);
        spot.commune = commune.to_string();
        spot.village = None;
        spot.stages = stages
            .iter()
            .map(|&(stage, from)| hot_spot_span(stage, from))
            .collect();
        s.create_hot_spot(&spot, &officer(), asked).unwrap();
    }
    let year = Period::year(2026).unwrap();
    let r = s.report(DISTRICT, &year, asked).unwrap();
    let now_and_before = |code| {
        let i = r.indicator(code).unwrap();
        (i.value, i.previous)
    };
    let change = |code| r.indicator(code).unwrap().change_text(pcmt_model::Lang::Vi);
    // Detected 01/01–01/12/2026: H4, H5 = 2; 01/01–01/12/2025: H1, H2, H3
    // = 3 (H6 came after 1 December). 2 - 3 = -1, -1/3 = -33.3%.
    assert_eq!(now_and_before(I::HotSpotsDetected), (Some(2.0), Some(3.0)));
    assert_eq!(change(I::HotSpotsDetected), "-1 (-33,3%)");
    // Cleared or transformed in 2026: H2 (10/03), H3 (15/11), H5 (once,
    // though twice), H6 (10/01) = 4; in 2025: H1 = 1. +3, +300%.
    assert_eq!(now_and_before(I::HotSpotsResolved), (Some(4.0), Some(1.0)));
    assert_eq!(change(I::HotSpotsResolved), "+3 (+300,0%)");
    // On 01/12/2026 six are known: H1, H3, H6 cleared, H2, H5 transformed,
    // H4 open: 5 of 6 = 83.3% > 80%, met. On 01/12/2025 three: H1 cleared,
    // H2 and H3 open: 1 of 3 = 33.3%. 83.3 - 33.3 = +50.0 points.
    assert_eq!(now_and_before(I::HotSpotsOpen), (Some(1.0), Some(2.0)));
    assert_eq!(parts(&r, I::HotSpotsResolvedShare), (5, 6, Some(true)));
    let share = r.indicator(I::HotSpotsResolvedShare).unwrap();
    assert!(close(share.value.unwrap(), 500.0 / 6.0));
    assert!(close(share.previous.unwrap(), 100.0 / 3.0));
    assert_eq!(change(I::HotSpotsResolvedShare), "+50,0 điểm %");
    let by_stage: Vec<(pcmt_model::HotSpotStage, u64)> = r
        .hot_spots_by_stage
        .iter()
        .map(|t| (t.item, t.count))
        .collect();
    assert_eq!(
        by_stage,
        vec![
            (Detected, 1),
            (BeingDealtWith, 0),
            (Cleared, 3),
            (Transformed, 2)
        ]
    );

    // B alone: H3 and H5, both resolved by 1 December: 2 of 2.
    let b = s.report(B, &year, asked).unwrap();
    assert_eq!(parts(&b, I::HotSpotsResolvedShare), (2, 2, Some(true)));
    // The first half of 2026, ended: to 30 June, H3 was being dealt with
    // and H5 detected; H1, H2, H6 resolved, H4 open: 3 of 6 = 50%, short.
    let first_half = s.report(DISTRICT, &half(), asked).unwrap();
    assert_eq!(
        parts(&first_half, I::HotSpotsResolvedShare),
        (3, 6, Some(false))
    );
    // C has none: a share of nothing, no judgement.
    let c = s.report(C, &year, asked).unwrap();
    let none = c.indicator(I::HotSpotsResolvedShare).unwrap();
    assert_eq!((none.value, none.previous, none.met), (None, None, None));
    assert_eq!(value(&c, I::HotSpotsDetected), 0.0);
}

#[test]
fn an_unknown_unit_is_refused() {
    let (s, _) = seeded_district();
    assert!(
        matches!(s.report("99", &half(), today()), Err(CoreError::UnknownOrgUnit(c)) if c == "99")
    );
}

#[test]
fn rebuilt_projections_give_the_same_report() {
    let (mut s, _) = seeded_district();
    let before = s.report(DISTRICT, &half(), today()).unwrap();
    assert!(s.rebuild_projections().unwrap().is_empty());
    assert_eq!(s.report(DISTRICT, &half(), today()).unwrap(), before);
}

/// A store written before migration 0004 gets the new columns filled from
/// its documents when it is next opened.
#[test]
fn a_store_from_before_the_report_columns_is_rebuilt_on_opening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let expected = {
        let mut s = Store::open(&path, OrgTree::demo()).unwrap();
        seed(&mut s);
        s.report(DISTRICT, &half(), today()).unwrap()
    };
    // Take the file back to schema 3: what 0004 (and the later 0005 to
    // 0010) added goes, and the rows keep only the old columns.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP INDEX documents_unreadable; ALTER TABLE documents DROP COLUMN unreadable;
         DROP TABLE export_log; DROP TABLE drug_free_communes;
         DROP INDEX session_rows_by_commune; DROP INDEX person_rows_by_commune;
         DROP INDEX survey_rows_by_commune; DROP TABLE site_rows;
         ALTER TABLE session_rows DROP COLUMN audience; ALTER TABLE session_rows DROP COLUMN materials;
         ALTER TABLE session_rows DROP COLUMN pledges; ALTER TABLE session_rows DROP COLUMN venue_key;
         ALTER TABLE person_rows DROP COLUMN statuses; ALTER TABLE checkin_rows DROP COLUMN supported;
         ALTER TABLE survey_rows DROP COLUMN area_covered_ha; ALTER TABLE survey_rows DROP COLUMN replanting;
         DROP TABLE hotspot_rows; DROP TABLE attachments; DROP TABLE attachment_parts;
         DROP TABLE attachment_refs; DROP TABLE attachment_wanted; DROP TABLE attachment_purged;
         DROP TABLE moved_people; DROP TABLE person_moves; PRAGMA user_version = 3;",
    )
    .unwrap();
    drop(conn);
    let s = Store::open(&path, OrgTree::demo()).unwrap();
    assert_eq!(s.report(DISTRICT, &half(), today()).unwrap(), expected);
}

#[test]
fn site_features_carry_points_polygons_and_properties() {
    let (s, polygons) = seeded_district();
    let sites = s.site_features(DISTRICT, &half()).unwrap();
    assert_eq!(sites.len(), 3);
    assert_eq!(sites[0].polygon.as_ref(), Some(&polygons[0]));
    assert_eq!(sites[0].plant_count, 1200);
    assert_eq!(sites[1].species, PlantSpecies::Cannabis);
    assert!(sites[1].replanting);
    assert_eq!(sites[2].polygon, None);
    assert_eq!(sites[2].area_m2, None);
    assert_eq!(sites[2].action, ActionKind::Burned);
}

mod exports {
    use super::*;
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
    use pcmt_export::Block;
    use pcmt_model::report::{ExportFormat, Section};
    use pcmt_model::{Labelled, Lang};
    use std::io::Cursor;
    use std::str::FromStr;

    fn text(v: Option<&Data>) -> String {
        match v {
            Some(Data::String(s)) => s.clone(),
            Some(Data::Empty) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }

    fn number(v: Option<&Data>) -> Option<f64> {
        match v {
            Some(Data::Float(f)) => Some(*f),
            Some(Data::Int(i)) => Some(*i as f64),
            _ => None,
        }
    }

    type Sheet = calamine::Range<Data>;

    fn sheets(report: &Report) -> Vec<(String, Sheet)> {
        let bytes = pcmt_export::xlsx(report, Lang::Vi).unwrap();
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        wb.sheet_names()
            .into_iter()
            .map(|name| {
                let range = wb.worksheet_range(&name).unwrap();
                (name, range)
            })
            .collect()
    }

    /// (row, column) → text, as the office reads it.
    fn at(s: &Sheet, row: u32, col: u32) -> String {
        text(s.get_value((row, col)))
    }

    /// The row below the heading `title` whose second column is the total.
    fn total_under(s: &Sheet, title: &str) -> f64 {
        let start = (0..s.height() as u32)
            .find(|&r| at(s, r, 0) == title)
            .unwrap_or_else(|| panic!("no table `{title}`"));
        let row = (start..s.height() as u32)
            .find(|&r| at(s, r, 1) == "Tổng cộng")
            .unwrap();
        number(s.get_value((row, 2))).unwrap()
    }

    #[test]
    fn the_workbook_reads_back_cell_by_cell() {
        let (s, _) = seeded_district();
        let report = s.report(DISTRICT, &half(), today()).unwrap();
        let book = sheets(&report);
        let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Tuyên truyền",
                "Quản lý, cai nghiện",
                "Triệt xóa",
                "Xã không có ma túy",
                "Điểm, tụ điểm ma túy"
            ]
        );

        for ((_, sheet), (n, section)) in book.iter().zip(Section::ALL.iter().enumerate()) {
            // The heading every sheet repeats.
            assert_eq!(
                at(sheet, 0, 0),
                "BÁO CÁO KẾT QUẢ CÔNG TÁC PHÒNG, CHỐNG MA TÚY"
            );
            assert_eq!(at(sheet, 1, 0), "Đơn vị: Huyện Đăk Glei (demo)");
            assert_eq!(
                at(sheet, 2, 0),
                "Kỳ báo cáo: 6 tháng đầu năm 2026 (từ 01/01/2026 đến 30/06/2026)"
            );
            assert_eq!(at(sheet, 3, 0), "Hạn gửi báo cáo: trước ngày 20/06/2026");
            assert_eq!(
                at(sheet, 4, 0),
                "Cùng kỳ năm trước: 6 tháng đầu năm 2025 (từ 01/01/2025 đến 30/06/2025)"
            );
            let roman = ["I", "II", "III", "IV", "V"][n];
            assert_eq!(
                at(sheet, 6, 0),
                format!("{roman}. {}", section.label(Lang::Vi).to_uppercase())
            );
            let headers: Vec<String> = (0..9).map(|c| at(sheet, 7, c)).collect();
            assert_eq!(
                headers,
                [
                    "STT",
                    "Chỉ tiêu",
                    "Đơn vị tính",
                    "Kết quả",
                    "Chỉ tiêu kế hoạch",
                    "Đánh giá",
                    "Chi tiết",
                    "Cùng kỳ năm trước",
                    "Tăng/giảm"
                ]
            );
            // Every indicator of the section, in order, every cell.
            for (k, i) in report.section(*section).enumerate() {
                let row = 8 + k as u32;
                let def = i.code.def();
                assert_eq!(number(sheet.get_value((row, 0))), Some(k as f64 + 1.0));
                assert_eq!(at(sheet, row, 1), i.code.label(Lang::Vi));
                assert_eq!(at(sheet, row, 2), def.unit.label(Lang::Vi));
                assert_eq!(number(sheet.get_value((row, 3))), i.value, "{:?}", i.code);
                let target = i
                    .target
                    .map(|t| t.label(def.unit, Lang::Vi))
                    .unwrap_or_default();
                assert_eq!(at(sheet, row, 4), target);
                let met = match i.met {
                    Some(true) => "Đạt",
                    Some(false) => "Chưa đạt",
                    None => "",
                };
                assert_eq!(at(sheet, row, 5), met);
                assert_eq!(
                    number(sheet.get_value((row, 7))),
                    i.previous,
                    "{:?}",
                    i.code
                );
                assert_eq!(at(sheet, row, 8), i.change_text(Lang::Vi));
            }
        }

        // The hot spots' sheet: found 2 (H1, H2), cleared 1 (H1); on 30 June
        // H1 cleared and H2 being dealt with: 1 of 2 = 50%, short of > 80%;
        // the stages total the 2 known.
        let spots = &book[4].1;
        assert_eq!(
            at(spots, 8, 1),
            "Số điểm, tụ điểm phức tạp về ma túy mới phát hiện"
        );
        assert_eq!(number(spots.get_value((8, 3))), Some(2.0));
        assert_eq!(number(spots.get_value((9, 3))), Some(1.0));
        assert_eq!(
            at(spots, 11, 1),
            "Tỷ lệ điểm, tụ điểm đã triệt xóa, chuyển hóa"
        );
        assert_eq!(
            (at(spots, 11, 4), at(spots, 11, 5), at(spots, 11, 6)),
            (
                "> 80%".to_string(),
                "Chưa đạt".to_string(),
                "1/2".to_string()
            )
        );
        assert_eq!(
            total_under(spots, "Điểm, tụ điểm theo tình trạng đến ngày tính số liệu"),
            2.0
        );

        // A few cells spelled out from the hand-worked figures.
        let sessions = &book[0].1;
        assert_eq!(at(sessions, 8, 1), "Số buổi tuyên truyền");
        assert_eq!(number(sessions.get_value((8, 3))), Some(4.0));
        assert_eq!(
            at(sessions, 13, 1),
            "Tỷ lệ xã, phường, thị trấn được tuyên truyền"
        );
        assert_eq!(at(sessions, 13, 4), "≥ 100%");
        assert_eq!(at(sessions, 13, 5), "Chưa đạt");
        assert_eq!(at(sessions, 13, 6), "2/3");
        assert_eq!(at(sessions, 15, 5), "Đạt");
        assert_eq!(total_under(sessions, "Số buổi theo hình thức"), 4.0);
        assert_eq!(total_under(sessions, "Số buổi theo loại địa điểm"), 4.0);
        // 100 + 50 + 250 + 80 + 20.
        assert_eq!(
            total_under(sessions, "Số người tham dự theo đối tượng"),
            500.0
        );
        let flat: Vec<String> = sessions
            .rows()
            .flat_map(|r| r.iter().map(|c| text(Some(c))))
            .collect();
        assert!(flat.contains(&"Xã Xốp".to_string()));
        assert!(flat.contains(&"Trường PTDTBT TH Đăk Choong".to_string()));

        let management = &book[1].1;
        assert_eq!(
            at(management, 9, 1),
            "Số người sử dụng trái phép chất ma túy mới phát hiện"
        );
        assert_eq!(at(management, 10, 1), "Tỷ lệ hồ sơ quản lý được cập nhật");
        assert_eq!(number(management.get_value((10, 3))), Some(50.0));
        assert_eq!(at(management, 11, 4), "> 80%");
        assert_eq!(at(management, 12, 6), "4/27");
        assert_eq!(
            total_under(management, "Người đang quản lý theo tình trạng"),
            4.0
        );

        let eradication = &book[2].1;
        assert_eq!(number(eradication.get_value((9, 3))), Some(155.0));
        assert_eq!(number(eradication.get_value((11, 3))), Some(1540.0));
        assert_eq!(at(eradication, 13, 4), "≤ 0");
        assert_eq!(at(eradication, 13, 5), "Chưa đạt");
        assert_eq!(
            total_under(eradication, "Số điểm phát hiện theo loại cây"),
            3.0
        );
    }

    #[test]
    fn the_csv_starts_with_a_bom_and_parses() {
        let (s, _) = seeded_district();
        let report = s.report(DISTRICT, &half(), today()).unwrap();
        let bytes = pcmt_export::csv(&report, Lang::Vi).unwrap();
        let body = bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .expect("UTF-8 BOM first");
        let mut r = ::csv::Reader::from_reader(body);
        let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(headers[..4], ["Phần", "Mã", "STT", "Chỉ tiêu"]);
        let rows: Vec<::csv::StringRecord> = r.records().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows.len(), report.indicators.len());
        let communes = rows.iter().find(|r| &r[1] == "communes_reached").unwrap();
        assert_eq!(&communes[0], "Tuyên truyền");
        assert_eq!(&communes[3], "Tỷ lệ xã, phường, thị trấn được tuyên truyền");
        assert!(close(communes[5].parse().unwrap(), 200.0 / 3.0));
        assert_eq!(
            (&communes[6], &communes[7], &communes[9]),
            ("2", "3", "Chưa đạt")
        );
        let post = rows.iter().find(|r| &r[1] == "post_rehab_entered").unwrap();
        assert_eq!((&post[5], &post[8]), ("50", "≥ 100%"));
    }

    /// A running period's files say to which day they count: the workbook
    /// under its heading, the CSV on every row.
    #[test]
    fn the_files_of_a_running_period_say_to_which_day_they_count() {
        let (s, _) = seeded_district();
        let second_half = Period::half_year(2026, 2).unwrap();
        let running = s.report(DISTRICT, &second_half, day(2026, 7, 15)).unwrap();
        let (_, first) = sheets(&running).swap_remove(0);
        let said = (0..6).map(|r| at(&first, r, 0)).collect::<Vec<_>>();
        assert!(
            said.iter()
                .any(|l| l
                    .starts_with("Kỳ báo cáo chưa kết thúc: số liệu tính đến hết ngày 15/07/2026")),
            "{said:?}"
        );
        let ended = s.report(DISTRICT, &half(), today()).unwrap();
        let (_, first) = sheets(&ended).swap_remove(0);
        assert!((0..6).all(|r| !at(&first, r, 0).contains("chưa kết thúc")));

        let bytes = pcmt_export::csv(&running, Lang::Vi).unwrap();
        let mut r = ::csv::Reader::from_reader(&bytes[3..]);
        assert_eq!(&r.headers().unwrap()[12], "Số liệu tính đến ngày");
        let rows: Vec<::csv::StringRecord> = r.records().collect::<Result<_, _>>().unwrap();
        assert!(rows.iter().all(|row| &row[12] == "15/07/2026"));
    }

    #[test]
    fn the_geojson_polygons_have_the_models_areas() {
        let (s, polygons) = seeded_district();
        let sites = s.site_features(DISTRICT, &half()).unwrap();
        let text = pcmt_export::geojson(&sites).unwrap();
        let fc = geojson::FeatureCollection::from_str(&text).unwrap();
        // Three site points and two walked boundaries.
        assert_eq!(fc.features.len(), 5);
        let mut areas = Vec::new();
        for f in &fc.features {
            let geometry = f.geometry.as_ref().unwrap();
            match &geometry.value {
                geojson::GeometryValue::Point { coordinates } => {
                    // Longitude first, inside Vietnam.
                    assert!((102.0..110.0).contains(&coordinates[0]));
                    assert!((8.0..23.5).contains(&coordinates[1]));
                }
                geojson::GeometryValue::Polygon { coordinates } => {
                    let ring = &coordinates[0];
                    assert_eq!(ring.first(), ring.last(), "the ring is closed");
                    let points: Vec<GeoPoint> = ring
                        .iter()
                        .map(|p| GeoPoint {
                            lat: p[1],
                            lon: p[0],
                        })
                        .collect();
                    let area = polygon_area_m2(&points);
                    let stated = f.property("area_m2").and_then(|v| v.as_f64()).unwrap();
                    assert!(close(area, stated));
                    areas.push(area);
                }
                other => panic!("unexpected geometry {other:?}"),
            }
        }
        let expected: Vec<f64> = polygons.iter().map(|p| polygon_area_m2(p)).collect();
        assert_eq!(areas.len(), 2);
        for (a, e) in areas.iter().zip(&expected) {
            assert!(close(*a, *e), "{a} vs {e}");
        }
        let cannabis = &fc.features[3];
        assert_eq!(cannabis.property("species").unwrap(), "cannabis");
        assert_eq!(cannabis.property("replanting").unwrap(), true);
        assert_eq!(cannabis.property("plants").unwrap(), 300);
    }

    #[test]
    fn the_kml_parses_with_a_placemark_per_point_and_boundary() {
        let (s, _) = seeded_district();
        let sites = s.site_features(DISTRICT, &half()).unwrap();
        let bytes = pcmt_export::kml(&sites, "Điểm phát hiện 6 tháng đầu năm 2026").unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("<?xml"));
        let doc = kml::Kml::<f64>::from_str(&text).unwrap();
        let mut placemarks = Vec::new();
        collect_placemarks(&doc, &mut placemarks);
        assert_eq!(placemarks.len(), 5);
        let polygons = placemarks
            .iter()
            .filter(|p| matches!(p.geometry, Some(kml::types::Geometry::Polygon(_))))
            .count();
        assert_eq!(polygons, 2);
        assert!(text.contains("<Data name=\"species\"><value>opium_poppy</value></Data>"));
        assert!(text.contains("Cây cần sa — 300 cây"));
    }

    /// Every text an office reads in a file: all cells of a workbook, the
    /// whole of the others.
    fn readable_text(format: ExportFormat, bytes: Vec<u8>) -> String {
        if format == ExportFormat::Docx {
            return docx_lines(&bytes).join("\n");
        }
        if format != ExportFormat::Xlsx {
            return String::from_utf8(bytes).unwrap();
        }
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        for name in wb.sheet_names() {
            text.push_str(&name);
            for cell in wb.worksheet_range(&name).unwrap().cells() {
                text.push('\t');
                text.push_str(&super::exports::text(Some(cell.2)));
            }
        }
        text
    }

    #[test]
    fn no_export_names_a_person_unless_its_format_says_it_does() {
        let (s, _) = seeded_district();
        let people = s.search_people("", 1000, 0).unwrap();
        assert!(people.len() >= 4, "the district has its register");
        let mut secrets = Vec::new();
        for p in &people {
            let file = s.person_file(p.id).unwrap();
            secrets.push(file.full_name.clone());
            secrets.extend(file.citizen_id.clone());
            secrets.extend(file.phone.clone());
            secrets.push(file.address.clone());
        }
        let names_someone =
            |text: &str| secrets.iter().any(|secret| text.contains(secret.as_str()));
        // The search can fail: a text holding a name is caught.
        assert!(names_someone(&format!("… {} …", people[0].full_name)));
        let report = s.report(DISTRICT, &half(), today()).unwrap();
        let sites = s.site_features(DISTRICT, &half()).unwrap();
        for format in ExportFormat::ALL.iter().copied() {
            for lang in [Lang::Vi, Lang::En] {
                let bytes = pcmt_export::export(format, &report, &sites, lang).unwrap();
                let text = readable_text(format, bytes);
                assert!(text.len() > 200, "{format:?} was read: {text}");
                assert_eq!(
                    names_someone(&text),
                    format.has_personal_data(),
                    "{format:?} ({lang:?})"
                );
            }
        }
    }

    /// Every paragraph of a document read back, tables' cells included.
    fn docx_lines(bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for block in pcmt_export::read_blocks(bytes).unwrap() {
            match block {
                Block::Paragraph(p) => lines.push(p),
                Block::Table(rows) => lines.extend(rows.into_iter().flatten()),
            }
        }
        lines
    }

    /// Issue 23: the report as the official document an office signs,
    /// read back through a DOCX reader: the national title and motto, the
    /// issuing unit, number and symbol, place and date, the title, each
    /// section in sentences and in a table with last year beside this year,
    /// the units not yet reached, recipients and the signature block.
    #[test]
    fn the_official_document_reads_back_with_its_header_title_tables_and_signature() {
        let (s, _) = seeded_district();
        let report = s.report(DISTRICT, &half(), today()).unwrap();
        let bytes = pcmt_export::export(ExportFormat::Docx, &report, &[], Lang::Vi).unwrap();
        let blocks = pcmt_export::read_blocks(&bytes).unwrap();
        let tables: Vec<&Vec<Vec<String>>> = blocks
            .iter()
            .filter_map(|b| match b {
                Block::Table(rows) => Some(rows),
                Block::Paragraph(_) => None,
            })
            .collect();
        let paragraphs: Vec<&str> = blocks
            .iter()
            .filter_map(|b| match b {
                Block::Paragraph(p) => Some(p.as_str()),
                Block::Table(_) => None,
            })
            .collect();

        // The header: issuer and number at the left, national title, motto
        // and the day it was made (24 November 2026) at the right.
        let Some(Block::Table(header)) = blocks.first() else {
            panic!("the document opens with its header: {blocks:?}")
        };
        let rule = "──────────";
        assert_eq!(
            header[0],
            [
                format!("UBND HUYỆN ĐĂK GLEI (DEMO)\nBAN CHỈ ĐẠO PHÒNG, CHỐNG MA TÚY\n{rule}"),
                format!("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n{rule}"),
            ]
        );
        assert_eq!(
            header[1],
            ["Số:        /BC-BCĐ", "Đăk Glei, ngày 24 tháng 11 năm 2026"]
        );
        // The title, centred under the header.
        let title = paragraphs.iter().position(|p| *p == "BÁO CÁO").unwrap();
        assert_eq!(
            paragraphs[title..title + 3],
            [
                "BÁO CÁO",
                "Kết quả công tác phòng, chống ma túy",
                "6 tháng đầu năm 2026 (từ 01/01/2026 đến 30/06/2026)"
            ]
        );
        assert!(paragraphs
            .contains(&"Cùng kỳ năm trước: 6 tháng đầu năm 2025 (từ 01/01/2025 đến 30/06/2025)."));

        // Each section's heading, its figures in sentences, then its table.
        for heading in [
            "I. TUYÊN TRUYỀN",
            "II. QUẢN LÝ, CAI NGHIỆN",
            "III. TRIỆT XÓA CÂY CÓ CHỨA CHẤT MA TÚY",
            "IV. XÂY DỰNG XÃ, PHƯỜNG, THỊ TRẤN KHÔNG CÓ MA TÚY",
            "V. GIẢI QUYẾT ĐIỂM, TỤ ĐIỂM PHỨC TẠP VỀ MA TÚY",
            "VI. ĐÁNH GIÁ, KIẾN NGHỊ",
        ] {
            assert!(paragraphs.contains(&heading), "{heading}");
        }
        let spots: Vec<&&str> = paragraphs
            .iter()
            .filter(|p| p.contains("điểm, tụ điểm"))
            .collect();
        eprintln!("{spots:#?}");
        // 2 of 3 communes against none of 3 in the first half of 2025 (the
        // district had no session then).
        assert!(paragraphs.contains(
            &"- Tỷ lệ xã, phường, thị trấn được tuyên truyền: 66,7% (2/3), chưa đạt chỉ tiêu ≥ 100%; tăng 66,7 điểm % so với cùng kỳ năm trước (0,0%)."
        ));
        // 4 sessions against none; newly found P1 and P5 against P2 (1 June
        // 2025) and P3 (10 January 2025).
        assert!(paragraphs.contains(
            &"- Số buổi tuyên truyền: 4 buổi; tăng 4 so với cùng kỳ năm trước (0 buổi)."
        ));
        assert!(paragraphs.contains(
            &"- Số người sử dụng trái phép chất ma túy mới phát hiện: 2 người; không đổi so với cùng kỳ năm trước (2 người)."
        ));
        assert!(paragraphs.contains(&"- Xã, phường, thị trấn chưa được tuyên truyền: Xã Xốp."));
        assert!(paragraphs.contains(
            &"- Trường học chưa được tuyên truyền: Trường PTDTBT TH Đăk Choong, Trường PTDTBT THCS Xốp."
        ));
        assert!(paragraphs.contains(&"- Khu, cụm công nghiệp chưa được tuyên truyền: không có."));
        assert!(paragraphs.contains(&"- Xã rà soát không phát hiện: Xã Đăk Choong."));
        // A tablet holds no classing of drug-free communes, and says so.
        assert!(paragraphs
            .contains(&"- Chưa phân loại xã, phường, thị trấn không có ma túy cho năm này."));

        // One indicator table per section, every indicator a row, last
        // year beside this year.
        let indicator_tables: Vec<_> = tables
            .iter()
            .filter(|t| t[0][..2] == ["STT", "Chỉ tiêu"] && t[0].len() == 8)
            .collect();
        assert_eq!(indicator_tables.len(), Section::ALL.len());
        for (table, section) in indicator_tables.iter().zip(Section::ALL) {
            assert_eq!(
                table[0],
                [
                    "STT",
                    "Chỉ tiêu",
                    "Đơn vị tính",
                    "Kết quả",
                    "Cùng kỳ năm trước",
                    "Tăng/giảm",
                    "Chỉ tiêu kế hoạch",
                    "Đánh giá"
                ]
            );
            let indicators: Vec<_> = report.section(*section).collect();
            assert_eq!(table.len(), indicators.len() + 1, "{section:?}");
            for (k, (row, i)) in table[1..].iter().zip(indicators).enumerate() {
                let parts = match (i.numerator, i.denominator) {
                    (Some(a), Some(b)) => format!(" ({a}/{b})"),
                    _ => String::new(),
                };
                assert_eq!(
                    row,
                    &[
                        (k + 1).to_string(),
                        i.code.label(Lang::Vi).to_string(),
                        i.code.def().unit.label(Lang::Vi).to_string(),
                        format!("{}{parts}", i.value_text(Lang::Vi)),
                        i.previous_text(Lang::Vi),
                        i.change_text(Lang::Vi),
                        i.target_text(Lang::Vi),
                        i.assessment(Lang::Vi).to_string(),
                    ]
                );
            }
        }
        let communes = indicator_tables[0]
            .iter()
            .find(|row| row[1] == "Tỷ lệ xã, phường, thị trấn được tuyên truyền")
            .unwrap();
        assert_eq!(
            communes[3..],
            ["66,7 (2/3)", "0,0", "+66,7 điểm %", "≥ 100%", "Chưa đạt"]
        );
        // The breakdowns end with their totals: 4 sessions by form.
        let by_form = tables.iter().find(|t| t[0][1] == "Hình thức").unwrap();
        assert_eq!(by_form.last().unwrap()[1..], ["Tổng cộng", "4"]);

        // Recipients at the left, the signature block at the right, last.
        let Some(Block::Table(closing)) = blocks.last() else {
            panic!("the document ends with recipients and signature")
        };
        assert_eq!(
            closing[0][0],
            "Nơi nhận:\n- Ban Chỉ đạo phòng, chống ma túy cấp trên (để báo cáo);\n- Các thành viên Ban Chỉ đạo;\n- Lưu: VT."
        );
        assert!(
            closing[0][1].starts_with("TM. BAN CHỈ ĐẠO\nTRƯỞNG BAN\n(Ký, ghi rõ họ tên, đóng dấu)"),
            "{}",
            closing[0][1]
        );
    }

    fn collect_placemarks<'a>(k: &'a kml::Kml<f64>, out: &mut Vec<&'a kml::types::Placemark<f64>>) {
        match k {
            kml::Kml::KmlDocument(d) => d.elements.iter().for_each(|e| collect_placemarks(e, out)),
            kml::Kml::Document { elements, .. } => {
                elements.iter().for_each(|e| collect_placemarks(e, out))
            }
            kml::Kml::Folder(f) => f.elements.iter().for_each(|e| collect_placemarks(e, out)),
            kml::Kml::Placemark(p) => out.push(p),
            _ => {}
        }
    }
}
