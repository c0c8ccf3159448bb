//! Realistic sample records of the demo district, for tests, benchmarks and
//! the demo data of other crates (feature `fixtures`). Not part of the app.

use crate::{
    ActionKind, CheckInInput, CheckInPlace, DrugTest, GeoPoint, GrowthStage, LandKind, LegalStatus,
    PersonInput, PlantSpecies, SessionDetails, SessionForm, SessionInput, Sex, SiteAction,
    SiteInput, StatusSpan, Substance, SupportKind, SurveyInput, SurveyKind, TestKind, TestResult,
    Topic, VenueKind,
};
use chrono::NaiveDate;
use uuid::Uuid;

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
            StatusSpan {
                status: LegalStatus::DrugUserManaged,
                closed_reason: None,
                from: day(2025, 2, 3),
                until: Some(day(2025, 8, 1)),
                notes: String::new(),
            },
            StatusSpan {
                status: LegalStatus::VoluntaryCommunityRehab,
                closed_reason: None,
                from: day(2025, 8, 1),
                until: None,
                notes: String::new(),
            },
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

/// A poppy plot of about 100 m × 100 m near Đăk Glei, walked and uprooted.
pub fn poppy_site() -> SiteInput {
    // 100 m north ≈ 0.000904° of latitude; 100 m east at 15.1° N ≈ 0.000932°.
    let (lat, lon) = (15.1, 107.73);
    let (dlat, dlon) = (0.000_904_3, 0.000_931_6);
    SiteInput {
        point: GeoPoint { lat, lon },
        polygon: Some(vec![
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
        ]),
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
