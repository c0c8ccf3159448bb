//! Propaganda / education sessions (buổi tuyên truyền, phổ biến, giáo dục).
//! The walking skeleton carries the core fields; DOMAIN.md lists the rest.

use crate::check::{commune, past_date, required_text, Report};
use crate::labelled_enum;
use crate::org::OrgTree;
use crate::validation::{Field, FieldError, Problem};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum!(
    /// Loại địa điểm — where the session took place.
    VenueKind {
        School = ("school", "Trường học", "School"),
        IndustrialZone = ("industrial_zone", "Khu, cụm công nghiệp", "Industrial zone"),
        VillageHall = ("village_hall", "Nhà văn hóa thôn", "Village hall"),
        Market = ("market", "Chợ", "Market"),
        Agency = ("agency", "Cơ quan, doanh nghiệp", "Agency / enterprise"),
        ReligiousSite = ("religious_site", "Cơ sở tôn giáo", "Religious site"),
        Online = ("online", "Trực tuyến", "Online"),
    }
);

labelled_enum!(
    /// Hình thức — how the message was delivered.
    SessionForm {
        Talk = ("talk", "Nói chuyện chuyên đề", "Talk on a topic"),
        Rally = ("rally", "Mít tinh", "Rally"),
        Broadcast = ("broadcast", "Loa truyền thanh, lưu động", "Loudspeaker / mobile broadcast"),
        Panels = ("panels", "Pa nô, áp phích, băng rôn", "Panels, posters, banners"),
        Leaflets = ("leaflets", "Tờ rơi", "Leaflets"),
        Drama = ("drama", "Sân khấu hóa, hội thi", "Staged drama or contest"),
        Pledge = ("pledge", "Ký cam kết", "Commitment signing"),
        SocialMedia = ("social_media", "Mạng xã hội", "Social-media post"),
        DoorToDoor = ("door_to_door", "Đến từng hộ gia đình", "Door-to-door visit"),
    }
);

labelled_enum!(
    /// Chủ đề — what the session was about.
    Topic {
        SyntheticDrugs = ("synthetic_drugs", "Tác hại ma túy tổng hợp", "Harms of synthetic drugs"),
        DisguisedDrugs = ("disguised_drugs", "Ma túy núp bóng thực phẩm, thuốc lá điện tử, bóng cười", "Drugs disguised as food, e-cigarettes, laughing gas"),
        DrugLaw2021 = ("drug_law_2021", "Luật Phòng, chống ma túy 2021", "2021 Law on drug prevention"),
        NoDrugPlants = ("no_drug_plants", "Không trồng cây có chứa chất ma túy", "Not growing drug plants"),
        Reporting = ("reporting", "Tố giác tội phạm ma túy", "Reporting drug crimes"),
        Rehab = ("rehab", "Cai nghiện và tái hòa nhập", "Rehab and reintegration"),
    }
);

pub use crate::check::{EARLIEST_DATE, MAX_NAME_CHARS};
pub const MAX_ATTENDEES: u32 = 100_000;

/// What the session form sends to the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInput {
    pub date: NaiveDate,
    pub commune: String,
    pub venue_kind: VenueKind,
    pub venue_name: String,
    pub form: SessionForm,
    pub attendees: u32,
    pub women: u32,
    pub topic: Topic,
}

impl SessionInput {
    /// Checks every field and reports every problem at once, so the officer
    /// fixes the form in one pass.
    pub fn validate(&self, units: &OrgTree, today: NaiveDate) -> Result<(), Vec<FieldError>> {
        let mut r = Report::default();
        r.check(Field::Date, past_date(self.date, EARLIEST_DATE, today));
        r.check(Field::Commune, commune(units, &self.commune));
        r.check(
            Field::VenueName,
            required_text(&self.venue_name, MAX_NAME_CHARS),
        );
        if self.attendees > MAX_ATTENDEES {
            r.add(Field::Attendees, Problem::TooLarge { max: MAX_ATTENDEES });
        }
        if self.women > self.attendees {
            r.add(Field::Women, Problem::MoreThanTotal);
        }
        r.finish()
    }
}

/// A session as lists show it: the projection row rebuilt from its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub commune: String,
    pub venue_kind: VenueKind,
    pub venue_name: String,
    pub form: SessionForm,
    pub attendees: u32,
    pub women: u32,
    pub topic: Topic,
    /// Changed here since the hub last confirmed it (chưa đồng bộ).
    pub unsynced: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{Labelled, Lang};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    fn good() -> SessionInput {
        SessionInput {
            date: NaiveDate::from_ymd_opt(2026, 6, 26).unwrap(),
            commune: "62-610-23284".into(),
            venue_kind: VenueKind::School,
            venue_name: "Trường THCS Đăk Pék".into(),
            form: SessionForm::Talk,
            attendees: 120,
            women: 64,
            topic: Topic::SyntheticDrugs,
        }
    }

    fn problems(input: &SessionInput) -> Vec<(Field, Problem)> {
        input
            .validate(&OrgTree::demo(), today())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn a_complete_session_is_valid() {
        assert_eq!(problems(&good()), vec![]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = SessionInput {
            date: today().succ_opt().unwrap(),
            commune: "62-610".into(),
            venue_name: "   ".into(),
            attendees: 10,
            women: 11,
            ..good()
        };
        assert_eq!(
            problems(&bad),
            vec![
                (Field::Date, Problem::InFuture),
                (Field::Commune, Problem::NotACommune),
                (Field::VenueName, Problem::Required),
                (Field::Women, Problem::MoreThanTotal),
            ]
        );
    }

    #[test]
    fn limits_on_dates_names_and_counts() {
        let old = SessionInput {
            date: NaiveDate::from_ymd_opt(1999, 12, 31).unwrap(),
            venue_name: "x".repeat(MAX_NAME_CHARS + 1),
            attendees: MAX_ATTENDEES + 1,
            ..good()
        };
        assert_eq!(
            problems(&old),
            vec![
                (
                    Field::Date,
                    Problem::TooOld {
                        earliest: EARLIEST_DATE
                    }
                ),
                (
                    Field::VenueName,
                    Problem::TooLong {
                        max: MAX_NAME_CHARS
                    }
                ),
                (Field::Attendees, Problem::TooLarge { max: MAX_ATTENDEES }),
            ]
        );
        let today_is_fine = SessionInput {
            date: today(),
            ..good()
        };
        assert_eq!(problems(&today_is_fine), vec![]);
    }

    #[test]
    fn every_choice_has_a_label_in_both_languages() {
        for v in VenueKind::ALL {
            assert!(!v.label(Lang::Vi).is_empty() && !v.label(Lang::En).is_empty());
        }
        for f in SessionForm::ALL {
            assert!(!f.label(Lang::Vi).is_empty() && !f.label(Lang::En).is_empty());
        }
        for t in Topic::ALL {
            assert!(!t.label(Lang::Vi).is_empty() && !t.label(Lang::En).is_empty());
        }
    }
}
