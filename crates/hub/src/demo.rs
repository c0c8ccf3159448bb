//! The demo district that `cargo xtask run` starts the hub with.
//!
//! [`seed`]: a few sessions recorded by "another officer", so a tablet's
//! first sync shows something arriving (the app's end-to-end tests count
//! on exactly these). [`seed_office`] (`--demo-office`) adds a year of field
//! work, dated back from today, so the office dashboard has figures to show:
//! sessions in most months, people under management with their check-ins,
//! sweeps with and without findings. Both go through the normal push path,
//! and every record is validated as a tablet would before it is sent.

use crate::error::HubError;
use crate::rules::devices::Scope;
use crate::storage::HubStorage;
use automerge::ActorId;
use chrono::{Datelike, Months, NaiveDate};
use pcmt_core::record_doc::{self, ChangeNote, Record};
use pcmt_core::sync::wire::{DocChanges, PushRequest, PROTOCOL_VERSION};
use pcmt_model::fixtures::{self, span};
use pcmt_model::{
    ActionKind, AudienceCount, AudienceGroup, CheckInInput, LegalStatus, OrgTree, PersonInput,
    PlantSpecies, SessionDetails, SessionForm, SessionInput, SiteInput, StatusSpan, SupportKind,
    SurveyInput, SurveyKind, TestResult, Topic, VenueKind,
};
use uuid::Uuid;

const SEEDED_KEY: &str = "demo_office_seeded";

/// What the demo pushes as: the office itself, over every demo commune.
fn office() -> Scope {
    Scope {
        device: Uuid::nil(),
        communes: OrgTree::demo().communes().map(|c| c.code.clone()).collect(),
        office: None,
    }
}

/// Records as one officer's tablet would send them.
struct Batch {
    actor: ActorId,
    note: ChangeNote,
    docs: Vec<DocChanges>,
}

impl Batch {
    fn new() -> Self {
        Self {
            actor: ActorId::random(),
            note: ChangeNote {
                officer: "Văn phòng Ban Chỉ đạo huyện (demo)".into(),
            },
            docs: Vec::new(),
        }
    }

    fn add<R: Record>(&mut self, commune: &str, record: &R) -> Result<Uuid, HubError> {
        let id = Uuid::now_v7();
        let mut doc =
            record_doc::new_record(id, commune, record, self.actor.clone(), &self.note, 0)
                .map_err(|e| HubError::Malformed(e.to_string()))?;
        self.docs
            .push(DocChanges::since(id, R::KIND, commune, &mut doc, &[]));
        Ok(id)
    }

    fn request(self) -> PushRequest {
        PushRequest {
            protocol: PROTOCOL_VERSION,
            device: Uuid::nil(),
            docs: self.docs,
            pull: None,
            epoch: None,
            office: None,
        }
    }

    fn push(self, hub: &dyn HubStorage) -> Result<usize, HubError> {
        let n = self.docs.len();
        hub.push(&office(), &self.request())?;
        Ok(n)
    }
}

/// Three sessions, only into an empty hub.
pub fn seed(hub: &dyn HubStorage) -> Result<usize, HubError> {
    // The demo district is the only tree a hub is ever given by itself.
    hub.seed_demo_units()?;
    if hub.document_count()? > 0 {
        return Ok(0);
    }
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
    let sessions = [
        (
            day(6, 26),
            "62-610-23287",
            VenueKind::School,
            "Trường PTDTBT THCS Đăk Choong",
            SessionForm::Talk,
            215,
            118,
            Topic::SyntheticDrugs,
        ),
        (
            day(9, 12),
            "62-610-23290",
            VenueKind::VillageHall,
            "Nhà rông thôn Xốp Dùi",
            SessionForm::Pledge,
            64,
            30,
            Topic::NoDrugPlants,
        ),
        (
            day(10, 3),
            "62-610-23284",
            VenueKind::Market,
            "Chợ trung tâm Đăk Pék",
            SessionForm::Broadcast,
            150,
            70,
            Topic::DisguisedDrugs,
        ),
    ];
    let mut batch = Batch::new();
    for (date, commune, venue_kind, venue, form, attendees, women, topic) in sessions {
        let input = SessionInput {
            date,
            commune: commune.into(),
            venue_kind,
            venue_name: venue.into(),
            form,
            attendees,
            women,
            topics: vec![topic],
            details: Default::default(),
        };
        batch.add(commune, &input)?;
    }
    batch.push(hub)
}

fn invalid(what: &str, errors: Vec<pcmt_model::FieldError>) -> HubError {
    HubError::Malformed(format!("demo {what} does not validate: {errors:?}"))
}

/// The 1st of the month `back` months before `today`'s, moved to `day`
/// but never after today.
fn months_back(today: NaiveDate, back: u32, day: u32) -> NaiveDate {
    let first = today.with_day(1).unwrap_or(today);
    let month = first.checked_sub_months(Months::new(back)).unwrap_or(first);
    month.with_day(day.min(28)).unwrap_or(month).min(today)
}

const PEK: &str = "62-610-23284";
const CHOONG: &str = "62-610-23287";
const XOP: &str = "62-610-23290";

fn session(
    date: NaiveDate,
    commune: &str,
    venue: (VenueKind, &str),
    form: SessionForm,
    audience: (AudienceGroup, u32),
    topic: Topic,
) -> SessionInput {
    let (group, count) = audience;
    SessionInput {
        date,
        commune: commune.into(),
        venue_kind: venue.0,
        venue_name: venue.1.into(),
        form,
        attendees: count,
        women: count * 9 / 20,
        topics: vec![topic],
        details: SessionDetails {
            audience: vec![AudienceCount { group, count }],
            materials: count / 2,
            pledges: if form == SessionForm::Pledge {
                count
            } else {
                0
            },
            ..SessionDetails::default()
        },
    }
}

/// The demo year's sessions: most months, all three communes, two of the
/// three schools and the industrial zone (so coverage shows both Đạt and
/// Chưa đạt).
fn sessions(today: NaiveDate) -> Vec<SessionInput> {
    use AudienceGroup as G;
    use SessionForm as F;
    use VenueKind as V;
    let school_pek = (V::School, "Trường PTDTBT THCS Đăk Pék");
    let school_choong = (V::School, "Trường PTDTBT TH Đăk Choong");
    let zone = (V::IndustrialZone, "Cụm công nghiệp Đăk Pék");
    let hall_xop = (V::VillageHall, "Nhà rông thôn Xốp Dùi");
    let market = (V::Market, "Chợ trung tâm Đăk Pék");
    let at = |back, day| months_back(today, back, day);
    vec![
        session(
            at(11, 10),
            PEK,
            market,
            F::Broadcast,
            (G::Residents, 180),
            Topic::DisguisedDrugs,
        ),
        session(
            at(10, 14),
            XOP,
            hall_xop,
            F::Pledge,
            (G::EthnicMinority, 72),
            Topic::NoDrugPlants,
        ),
        session(
            at(9, 8),
            PEK,
            school_pek,
            F::Talk,
            (G::Students, 340),
            Topic::SyntheticDrugs,
        ),
        session(
            at(8, 20),
            CHOONG,
            hall_xop_like(),
            F::Rally,
            (G::Youth, 120),
            Topic::DrugLaw2021,
        ),
        session(
            at(7, 26),
            PEK,
            zone,
            F::Talk,
            (G::Workers, 210),
            Topic::DisguisedDrugs,
        ),
        session(
            at(6, 26),
            CHOONG,
            school_choong,
            F::Drama,
            (G::Students, 260),
            Topic::SyntheticDrugs,
        ),
        session(
            at(6, 12),
            XOP,
            hall_xop,
            F::Leaflets,
            (G::Residents, 95),
            Topic::NoDrugPlants,
        ),
        session(
            at(5, 16),
            PEK,
            market,
            F::Panels,
            (G::Residents, 60),
            Topic::Reporting,
        ),
        session(
            at(4, 9),
            CHOONG,
            hall_xop_like(),
            F::DoorToDoor,
            (G::Parents, 44),
            Topic::Rehab,
        ),
        session(
            at(3, 19),
            XOP,
            hall_xop,
            F::Talk,
            (G::EthnicMinority, 130),
            Topic::NoDrugPlants,
        ),
        session(
            at(2, 24),
            PEK,
            school_pek,
            F::Pledge,
            (G::Students, 300),
            Topic::SyntheticDrugs,
        ),
        session(
            at(1, 15),
            CHOONG,
            hall_xop_like(),
            F::Broadcast,
            (G::Residents, 150),
            Topic::DisguisedDrugs,
        ),
        session(
            at(1, 6),
            PEK,
            market,
            F::SocialMedia,
            (G::Youth, 85),
            Topic::DisguisedDrugs,
        ),
        session(
            at(0, 3),
            XOP,
            hall_xop,
            F::Rally,
            (G::Officials, 70),
            Topic::DrugLaw2021,
        ),
    ]
}

fn hall_xop_like() -> (VenueKind, &'static str) {
    (VenueKind::VillageHall, "Nhà văn hóa thôn Dục Nội")
}

struct DemoPerson {
    name: &'static str,
    citizen_id: &'static str,
    commune: &'static str,
    village: &'static str,
    statuses: Vec<StatusSpan>,
}

fn people(today: NaiveDate) -> Vec<DemoPerson> {
    let back = |n, d| months_back(today, n, d);
    vec![
        DemoPerson {
            name: "A Thanh",
            citizen_id: "062098001234",
            commune: PEK,
            village: "62-610-23284-01",
            statuses: vec![
                span(LegalStatus::DrugUserManaged, back(16, 3), Some(back(10, 1))),
                span(LegalStatus::VoluntaryCommunityRehab, back(10, 1), None),
            ],
        },
        DemoPerson {
            name: "Y Hương",
            citizen_id: "062199004321",
            commune: PEK,
            village: "62-610-23284-02",
            statuses: vec![
                span(
                    LegalStatus::VoluntaryCommunityRehab,
                    back(14, 5),
                    Some(back(5, 5)),
                ),
                span(LegalStatus::PostRehab, back(5, 5), None),
            ],
        },
        DemoPerson {
            name: "A Khang",
            citizen_id: "062097007777",
            commune: CHOONG,
            village: "62-610-23287-01",
            statuses: vec![span(LegalStatus::DrugUserManaged, back(8, 12), None)],
        },
        DemoPerson {
            name: "A Vin",
            citizen_id: "062001002468",
            commune: XOP,
            village: "62-610-23290-01",
            statuses: vec![
                span(
                    LegalStatus::AddictionConfirmed,
                    back(12, 20),
                    Some(back(9, 1)),
                ),
                span(LegalStatus::SubstitutionTreatment, back(9, 1), None),
            ],
        },
    ]
}

/// A visit: attended with a negative test and counselling unless told
/// otherwise, as most are.
fn visit(person: Uuid, date: NaiveDate, positive: bool, psychosis: bool) -> CheckInInput {
    let mut c = fixtures::checkin(person, date);
    if positive {
        if let Some(test) = c.drug_test.as_mut() {
            test.result = TestResult::Positive;
            test.substances = vec![pcmt_model::Substance::Methamphetamine];
        }
        c.relapse_suspected = true;
    }
    c.psychosis_signs = psychosis;
    if psychosis {
        c.health_state = "Có biểu hiện hoang tưởng, mất ngủ".into();
        c.support = vec![SupportKind::Counselling, SupportKind::HealthReferral];
    }
    c
}

/// A field as walked: six corners around the point at uneven distances
/// (`size` metres on average), as a real plot on a slope is never square.
fn walked(lat: f64, lon: f64, size: f64) -> Vec<pcmt_model::GeoPoint> {
    const REACH: [f64; 6] = [1.0, 0.75, 1.15, 0.7, 0.95, 0.8];
    let metres_per_degree = 111_320.0;
    REACH
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let angle = (i as f64 * 60.0 + 15.0).to_radians();
            let (dy, dx) = (size * r * angle.sin(), size * r * angle.cos());
            pcmt_model::GeoPoint {
                lat: lat + dy / metres_per_degree,
                lon: lon + dx / (metres_per_degree * lat.to_radians().cos()),
            }
        })
        .collect()
}

fn site(
    (lat, lon): (f64, f64),
    species: PlantSpecies,
    plants: u32,
    side_m: f64,
    date: NaiveDate,
) -> SiteInput {
    SiteInput {
        id: uuid::Uuid::nil(),
        point: pcmt_model::GeoPoint { lat, lon },
        polygon: Some(walked(lat, lon, side_m)),
        species,
        plant_count: plants,
        action: pcmt_model::SiteAction {
            kind: ActionKind::Uprooted,
            date,
            by: "Tổ công tác xã".into(),
        },
        ..fixtures::poppy_site()
    }
}

fn surveys(today: NaiveDate) -> Vec<SurveyInput> {
    let sweep =
        |back, day, commune: &str, village: &str, kind, ha, sites: Vec<SiteInput>| SurveyInput {
            date: months_back(today, back, day),
            team: "Tổ công tác rà soát của xã".into(),
            commune: commune.into(),
            villages: vec![village.into()],
            kind,
            area_covered_ha: Some(ha),
            notes: String::new(),
            sites,
        };
    let on = |back, day| months_back(today, back, day);
    vec![
        sweep(
            10,
            12,
            PEK,
            "62-610-23284-01",
            SurveyKind::RoutineSweep,
            40.0,
            vec![],
        ),
        sweep(
            9,
            18,
            PEK,
            "62-610-23284-02",
            SurveyKind::TipOff,
            6.0,
            vec![
                site(
                    (15.1162, 107.7395),
                    PlantSpecies::OpiumPoppy,
                    1_450,
                    60.0,
                    on(9, 18),
                ),
                site(
                    (15.1221, 107.7481),
                    PlantSpecies::OpiumPoppy,
                    620,
                    35.0,
                    on(9, 19),
                ),
            ],
        ),
        sweep(
            7,
            5,
            XOP,
            "62-610-23290-01",
            SurveyKind::RoutineSweep,
            55.0,
            vec![],
        ),
        sweep(
            5,
            22,
            XOP,
            "62-610-23290-01",
            SurveyKind::TipOff,
            4.5,
            vec![site(
                (15.0489, 107.8012),
                PlantSpecies::Cannabis,
                85,
                20.0,
                on(5, 22),
            )],
        ),
        sweep(
            3,
            14,
            CHOONG,
            "62-610-23287-01",
            SurveyKind::RoutineSweep,
            38.0,
            vec![],
        ),
        sweep(
            1,
            9,
            PEK,
            "62-610-23284-02",
            SurveyKind::ReplantingCheck,
            3.0,
            vec![site(
                (15.1168, 107.7402),
                PlantSpecies::OpiumPoppy,
                210,
                25.0,
                on(1, 9),
            )],
        ),
    ]
}

/// A year of field work for the dashboard, once per hub (remembered in
/// its meta table), dated back from `today`. Returns how many records it sent.
///
/// Two hub processes started with `--demo-office` at the same moment on one
/// PostgreSQL database could both seed it; start the first one alone.
pub fn seed_office(hub: &dyn HubStorage, today: NaiveDate) -> Result<usize, HubError> {
    if hub.meta(SEEDED_KEY)?.is_some() {
        return Ok(0);
    }
    let n = office_batch(&hub.units(), today)?.push(hub)?;
    hub.set_meta(SEEDED_KEY, &today.to_string())?;
    Ok(n)
}

/// The year of field work as one push from the office (over every demo
/// commune): tests push the same documents into several stores.
pub fn office_push(units: &OrgTree, today: NaiveDate) -> Result<(Scope, PushRequest), HubError> {
    Ok((office(), office_batch(units, today)?.request()))
}

fn office_batch(units: &OrgTree, today: NaiveDate) -> Result<Batch, HubError> {
    let mut batch = Batch::new();
    for s in sessions(today) {
        s.validate(units, today)
            .map_err(|e| invalid("session", e))?;
        batch.add(&s.commune, &s)?;
    }
    for (n, p) in people(today).into_iter().enumerate() {
        let person = PersonInput {
            full_name: p.name.into(),
            citizen_id: Some(p.citizen_id.into()),
            commune: p.commune.into(),
            village: Some(p.village.into()),
            address: format!("{}, {}", p.village, p.commune),
            statuses: p.statuses,
            ..fixtures::person(p.name)
        };
        person
            .validate(units, today)
            .map_err(|e| invalid("person", e))?;
        let id = batch.add(&person.commune, &person)?;
        // A visit every two weeks over the last year (the shortest interval
        // of the demo's statuses), one in five missed from the second
        // person on, so "done against due" is not all 100%.
        let start = person.statuses.first().map(|s| s.from).unwrap_or(today);
        let first = today - chrono::Days::new(364);
        for k in 0..27u64 {
            let Some(date) = first.checked_add_days(chrono::Days::new(14 * k + n as u64)) else {
                continue;
            };
            if date > today || date < start || (n > 0 && k % 5 == 3) {
                continue;
            }
            let c = visit(id, date, n == 2 && k == 20, n == 3 && k == 24);
            c.validate(&person, today)
                .map_err(|e| invalid("check-in", e))?;
            batch.add(&person.commune, &c)?;
        }
    }
    for s in surveys(today) {
        s.validate(units, today).map_err(|e| invalid("survey", e))?;
        batch.add(&s.commune, &s)?;
    }
    Ok(batch)
}
