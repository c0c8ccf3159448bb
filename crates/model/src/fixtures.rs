//! Realistic sample records of the demo district, for tests, benchmarks and
//! the demo data of other crates (feature `fixtures`). Not part of the app.

use crate::{
    ActionKind, CheckInInput, CheckInPlace, DrugTest, GeoPoint, GrowthStage, HotSpotActivity,
    HotSpotInput, HotSpotSpan, HotSpotStage, Labelled, LandKind, LegalStatus, PersonInput,
    PlantSpecies, SessionDetails, SessionForm, SessionInput, Sex, SiteAction, SiteInput,
    StatusSpan, Substance, SupportKind, SurveyInput, SurveyKind, TestKind, TestResult, Topic,
    VenueKind,
};
use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

pub mod varied;

pub const COMMUNE: &str = "62-610-23284";
pub const OTHER_COMMUNE: &str = "62-610-23287";

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

pub fn session(venue_name: &str) -> SessionInput {
    SessionInput {
        date: day(2026, 6, 26),
        commune: COMMUNE.into(),
        venue_kind: VenueKind::School,
        venue_name: venue_name.into(),
        form: SessionForm::Talk,
        attendees: 120,
        women: 60,
        topics: vec![Topic::SyntheticDrugs],
        details: SessionDetails::default(),
    }
}

/// A status span with no closing reason or notes, as most are.
/// Its id is made from its status and start, so a file built of these
/// reads back as it was written.
pub fn span(status: LegalStatus, from: NaiveDate, until: Option<NaiveDate>) -> StatusSpan {
    StatusSpan {
        id: fixed_id(status.code(), from),
        status,
        closed_reason: None,
        from,
        until,
        notes: String::new(),
    }
}

/// A hot spot's stage from `from`; its id is made from the stage and the
/// day, as [`span`]'s is.
pub fn hot_spot_span(stage: HotSpotStage, from: NaiveDate) -> HotSpotSpan {
    HotSpotSpan {
        id: fixed_id(stage.code(), from),
        stage,
        from,
        notes: String::new(),
    }
}

/// A hot spot at `place` of the demo commune, detected on `detected` and
/// nothing since.
pub fn hot_spot(place: &str, detected: NaiveDate) -> HotSpotInput {
    HotSpotInput {
        place_name: place.into(),
        commune: COMMUNE.into(),
        village: Some("62-610-23284-01".into()),
        point: Some(GeoPoint {
            lat: 15.0512,
            lon: 107.7321,
        }),
        outside_vietnam_confirmed: false,
        activities: vec![HotSpotActivity::Gathering],
        findings: "Thanh niên tụ tập sử dụng ma túy tổng hợp vào ban đêm".into(),
        stages: vec![hot_spot_span(HotSpotStage::Detected, detected)],
    }
}

/// A person in voluntary community rehab since 1 August 2025.
pub fn person(full_name: &str) -> PersonInput {
    PersonInput {
        full_name: full_name.into(),
        birth_date: day(1998, 4, 12),
        sex: Sex::Male,
        citizen_id: Some("062098001234".into()),
        ethnicity: "Xơ Đăng".into(),
        commune: COMMUNE.into(),
        village: Some("62-610-23284-01".into()),
        address: "Thôn Đăk Ung, xã Đăk Pék".into(),
        phone: Some("0912 345 678".into()),
        family_contact: "Y Thị Lan (mẹ), 0987654321".into(),
        substances: vec![Substance::Methamphetamine],
        officer_in_charge: "Nguyễn Văn Tâm".into(),
        statuses: vec![
            span(
                LegalStatus::DrugUserManaged,
                day(2025, 2, 3),
                Some(day(2025, 8, 1)),
            ),
            span(LegalStatus::VoluntaryCommunityRehab, day(2025, 8, 1), None),
        ],
    }
}

/// An attended home visit with a negative quick test.
pub fn checkin(person: Uuid, date: NaiveDate) -> CheckInInput {
    CheckInInput {
        person,
        date,
        officer: "Nguyễn Văn Tâm".into(),
        place: CheckInPlace::Home,
        attended: true,
        absence_reason: None,
        drug_test: Some(DrugTest {
            kind: TestKind::UrineQuick,
            result: TestResult::Negative,
            substances: vec![],
        }),
        health_state: "Ổn định".into(),
        psychosis_signs: false,
        work_situation: "Làm rẫy cùng gia đình".into(),
        family_situation: "Sống với mẹ".into(),
        support: vec![SupportKind::Counselling],
        relapse_suspected: false,
        next_visit: None,
        notes: String::new(),
    }
}

/// A sweep that found nothing: still a result, it proves coverage.
pub fn survey_without_findings() -> SurveyInput {
    SurveyInput {
        date: day(2026, 2, 10),
        team: "Tổ công tác xã Đăk Pék".into(),
        commune: COMMUNE.into(),
        villages: vec!["62-610-23284-01".into()],
        kind: SurveyKind::RoutineSweep,
        area_covered_ha: Some(35.0),
        notes: String::new(),
        sites: vec![],
    }
}

/// A poppy plot of 100 m × 100 m near Đăk Glei, walked and uprooted.
pub fn poppy_site() -> SiteInput {
    let (lat, lon) = (15.1, 107.73);
    SiteInput {
        id: fixed_id("poppy_site", day(2026, 2, 11)),
        point: GeoPoint { lat, lon },
        polygon: Some(square(lat, lon, 100.0)),
        outside_vietnam_confirmed: false,
        species: PlantSpecies::OpiumPoppy,
        plant_count: 1_200,
        growth_stage: GrowthStage::Flowering,
        land_kind: LandKind::MaizeField,
        grower: None,
        action: SiteAction {
            kind: ActionKind::Uprooted,
            date: day(2026, 2, 11),
            by: "Tổ công tác xã".into(),
        },
        samples_taken: true,
        replanting_of: None,
    }
}

pub fn survey_with_site() -> SurveyInput {
    SurveyInput {
        kind: SurveyKind::TipOff,
        sites: vec![poppy_site()],
        ..survey_without_findings()
    }
}

/// A list item's id that is the same at every run: a fixture reads back
/// as it was written, where the core gives a nil id a random one.
fn fixed_id(what: &str, on: NaiveDate) -> Uuid {
    let mut bytes = [0u8; 16];
    for (i, b) in what.bytes().enumerate() {
        bytes[i % 12] ^= b;
    }
    bytes[12..].copy_from_slice(&on.num_days_from_ce().to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// WGS 84 radii of curvature at a latitude, in metres: along the meridian
/// (M) and across it (N). An independent way to lay out a square of a
/// known size, so the area test does not check the library against
/// itself.
fn radii(lat_deg: f64) -> (f64, f64) {
    let a = 6_378_137.0;
    let f = 1.0 / 298.257_223_563;
    let e2 = f * (2.0 - f);
    let s = lat_deg.to_radians().sin();
    let w = 1.0 - e2 * s * s;
    (a * (1.0 - e2) / w.powf(1.5), a / w.sqrt())
}

/// A square of `side` metres with its south-west corner at (lat, lon),
/// walked counter-clockwise.
pub fn square(lat: f64, lon: f64, side: f64) -> Vec<GeoPoint> {
    let (m, n) = radii(lat);
    let dlat = (side / m).to_degrees();
    let dlon = (side / (n * lat.to_radians().cos())).to_degrees();
    vec![
        GeoPoint { lat, lon },
        GeoPoint {
            lat,
            lon: lon + dlon,
        },
        GeoPoint {
            lat: lat + dlat,
            lon: lon + dlon,
        },
        GeoPoint {
            lat: lat + dlat,
            lon,
        },
    ]
}
