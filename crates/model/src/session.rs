//! Propaganda / education sessions (buổi tuyên truyền, phổ biến, giáo dục),
//! with every field DOMAIN.md lists: the plans count sessions by form and
//! venue, attendees by audience group, materials, pledges and campaigns.

use crate::check::{commune_on, optional_text, past_date, required_text, Report};
use crate::geometry::{location_problem, GeoPoint};
use crate::labelled_enum;
use crate::org::OrgTree;
use crate::validation::{Field, FieldError, Problem};
use chrono::{NaiveDate, NaiveTime};
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

labelled_enum!(
    /// Đối tượng — audience groups the plans count separately.
    AudienceGroup {
        Students = ("students", "Học sinh, sinh viên", "Students"),
        Youth = ("youth", "Thanh niên", "Youth"),
        Workers = ("workers", "Công nhân, người lao động", "Workers"),
        EthnicMinority = ("ethnic_minority", "Đồng bào dân tộc thiểu số", "Ethnic-minority people"),
        Parents = ("parents", "Phụ huynh", "Parents"),
        HighRisk = ("high_risk", "Nhóm nguy cơ cao", "High-risk groups"),
        Officials = ("officials", "Cán bộ, công chức", "Officials"),
        Residents = ("residents", "Nhân dân", "Residents"),
    }
);

labelled_enum!(
    /// Đơn vị tổ chức — who ran the session.
    Organiser {
        Police = ("police", "Công an xã", "Commune police"),
        PeoplesCommittee = ("peoples_committee", "UBND xã", "People's Committee"),
        YouthUnion = ("youth_union", "Đoàn Thanh niên", "Youth Union"),
        WomenUnion = ("women_union", "Hội Liên hiệp Phụ nữ", "Women's Union"),
        FatherlandFront = ("fatherland_front", "Mặt trận Tổ quốc", "Fatherland Front"),
        School = ("school", "Nhà trường", "School"),
        HealthStation = ("health_station", "Trạm Y tế", "Health station"),
        Veterans = ("veterans", "Hội Cựu chiến binh", "Veterans' Association"),
        Other = ("other", "Khác", "Other"),
    }
);

labelled_enum!(
    /// Ngôn ngữ — plans ask for sessions in minority languages (seed 001 IV.14).
    SessionLanguage {
        Vietnamese = ("vietnamese", "Tiếng Việt", "Vietnamese"),
        MinorityLanguage = ("minority", "Tiếng dân tộc thiểu số", "Ethnic-minority language"),
        Bilingual = ("bilingual", "Song ngữ", "Bilingual"),
    }
);

impl Default for SessionLanguage {
    /// Most sessions are held in Vietnamese.
    fn default() -> Self {
        SessionLanguage::Vietnamese
    }
}

labelled_enum!(
    /// Đợt cao điểm — the campaign a session belongs to.
    Campaign {
        ActionMonth = ("action_month", "Tháng hành động phòng, chống ma túy (tháng 6)", "Action Month against drugs (June)"),
        NationalDay = ("national_day", "Ngày toàn dân phòng, chống ma túy 26/6", "National day against drugs, 26 June"),
        Other = ("other", "Đợt cao điểm khác", "Other campaign"),
    }
);

/// Attendees of one audience group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceCount {
    pub group: AudienceGroup,
    pub count: u32,
}

pub use crate::check::{EARLIEST_DATE, MAX_NAME_CHARS, MAX_NOTE_CHARS};
pub const MAX_ATTENDEES: u32 = 100_000;
/// Leaflets and pledges are counted in the thousands at most per session.
pub const MAX_HANDED_OUT: u32 = 1_000_000;

/// What the session form sends to the core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInput {
    pub date: NaiveDate,
    pub commune: String,
    pub venue_kind: VenueKind,
    pub venue_name: String,
    pub form: SessionForm,
    pub attendees: u32,
    pub women: u32,
    /// Several topics may be covered; the first is the main one.
    pub topics: Vec<Topic>,
    #[serde(flatten)]
    pub details: SessionDetails,
}

/// The rest of a session's fields: a quick entry leaves them at their
/// defaults and an officer fills them in later. Stored flat, one document
/// field each, like the fields above.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionDetails {
    #[serde(default)]
    pub start_time: Option<NaiveTime>,
    #[serde(default)]
    pub end_time: Option<NaiveTime>,
    #[serde(default)]
    pub location: Option<GeoPoint>,
    #[serde(default)]
    pub audience: Vec<AudienceCount>,
    #[serde(default)]
    pub language: SessionLanguage,
    /// Which minority language (Xơ Đăng, Ba Na, …), when not Vietnamese.
    #[serde(default)]
    pub language_name: String,
    #[serde(default)]
    pub organisers: Vec<Organiser>,
    /// Leaflets, booklets and other materials handed out.
    #[serde(default)]
    pub materials: u32,
    /// Commitments signed (households, students, teachers).
    #[serde(default)]
    pub pledges: u32,
    #[serde(default)]
    pub campaign: Option<Campaign>,
    #[serde(default)]
    pub notes: String,
}

impl SessionInput {
    /// Checks every field and reports every problem at once, so the officer
    /// fixes the form in one pass.
    pub fn validate(&self, units: &OrgTree, today: NaiveDate) -> Result<(), Vec<FieldError>> {
        let mut r = Report::default();
        r.check(Field::Date, past_date(self.date, EARLIEST_DATE, today));
        r.check(Field::Commune, commune_on(units, &self.commune, self.date));
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
        if self.topics.is_empty() {
            r.add(Field::Topic, Problem::Required);
        }
        for (i, t) in self.topics.iter().enumerate() {
            if self.topics[..i].contains(t) {
                r.check_at(Field::Topic, i, Some(Problem::Overlaps));
            }
        }
        let d = &self.details;
        if let (Some(start), Some(end)) = (d.start_time, d.end_time) {
            if end <= start {
                r.add(Field::EndTime, Problem::OutOfOrder);
            }
        }
        if let Some(p) = d.location {
            r.check(Field::Location, location_problem(p, false));
        }
        for (i, a) in d.audience.iter().enumerate() {
            if a.count > self.attendees {
                r.check_at(Field::Audience, i, Some(Problem::MoreThanTotal));
            } else if d.audience[..i].iter().any(|b| b.group == a.group) {
                r.check_at(Field::Audience, i, Some(Problem::Overlaps));
            }
        }
        if d.language != SessionLanguage::Vietnamese {
            r.check(
                Field::LanguageName,
                required_text(&d.language_name, MAX_NAME_CHARS),
            );
        }
        for (field, n) in [(Field::Materials, d.materials), (Field::Pledges, d.pledges)] {
            if n > MAX_HANDED_OUT {
                r.add(
                    field,
                    Problem::TooLarge {
                        max: MAX_HANDED_OUT,
                    },
                );
            }
        }
        r.check(Field::Notes, optional_text(&d.notes, MAX_NOTE_CHARS));
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
    pub topics: Vec<Topic>,
    /// Changed here since the hub last confirmed it (chưa đồng bộ).
    pub unsynced: bool,
    /// Holds concurrent values on a field, to be settled by an officer.
    pub conflicted: bool,
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
            topics: vec![Topic::SyntheticDrugs],
            details: SessionDetails::default(),
        }
    }

    fn problems(input: &SessionInput) -> Vec<(Field, Problem)> {
        crate::validation::problem_pairs(input.validate(&OrgTree::demo(), today()))
    }

    #[test]
    fn a_complete_session_is_valid() {
        assert_eq!(problems(&good()), vec![]);
        let full = SessionInput {
            topics: vec![Topic::SyntheticDrugs, Topic::DrugLaw2021],
            details: SessionDetails {
                start_time: NaiveTime::from_hms_opt(8, 0, 0),
                end_time: NaiveTime::from_hms_opt(10, 30, 0),
                location: Some(GeoPoint {
                    lat: 15.1,
                    lon: 107.73,
                }),
                audience: vec![
                    AudienceCount {
                        group: AudienceGroup::Students,
                        count: 100,
                    },
                    AudienceCount {
                        group: AudienceGroup::Parents,
                        count: 20,
                    },
                ],
                language: SessionLanguage::Bilingual,
                language_name: "Xơ Đăng".into(),
                organisers: vec![Organiser::Police, Organiser::School],
                materials: 300,
                pledges: 95,
                campaign: Some(Campaign::ActionMonth),
                notes: "Phát tờ rơi song ngữ".into(),
            },
            ..good()
        };
        assert_eq!(problems(&full), vec![]);
    }

    #[test]
    fn the_details_are_checked_too() {
        let bad = SessionInput {
            topics: vec![Topic::Rehab, Topic::Rehab],
            details: SessionDetails {
                start_time: NaiveTime::from_hms_opt(10, 0, 0),
                end_time: NaiveTime::from_hms_opt(9, 0, 0),
                location: Some(GeoPoint {
                    lat: 48.85,
                    lon: 2.35,
                }),
                audience: vec![
                    AudienceCount {
                        group: AudienceGroup::Students,
                        count: 121,
                    },
                    AudienceCount {
                        group: AudienceGroup::Youth,
                        count: 10,
                    },
                    AudienceCount {
                        group: AudienceGroup::Youth,
                        count: 5,
                    },
                ],
                language: SessionLanguage::MinorityLanguage,
                language_name: " ".into(),
                materials: MAX_HANDED_OUT + 1,
                ..SessionDetails::default()
            },
            ..good()
        };
        assert_eq!(
            problems(&bad),
            vec![
                (Field::Topic, Problem::Overlaps),
                (Field::EndTime, Problem::OutOfOrder),
                (Field::Location, Problem::OutsideVietnam),
                (Field::Audience, Problem::MoreThanTotal),
                (Field::Audience, Problem::Overlaps),
                (Field::LanguageName, Problem::Required),
                (
                    Field::Materials,
                    Problem::TooLarge {
                        max: MAX_HANDED_OUT
                    }
                ),
            ]
        );
        let none = SessionInput {
            topics: vec![],
            ..good()
        };
        assert_eq!(problems(&none), vec![(Field::Topic, Problem::Required)]);
    }

    #[test]
    fn a_quick_entry_reads_back_with_default_details() {
        let json = serde_json::json!({
            "date": "2026-06-26", "commune": "62-610-23284", "venue_kind": "school",
            "venue_name": "Trường THCS Đăk Pék", "form": "talk", "attendees": 120,
            "women": 64, "topics": ["synthetic_drugs"]
        });
        let s: SessionInput = serde_json::from_value(json).unwrap();
        assert_eq!(s, good());
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
        for t in AudienceGroup::ALL {
            assert!(!t.label(Lang::Vi).is_empty() && !t.label(Lang::En).is_empty());
        }
        for t in Organiser::ALL {
            assert!(!t.label(Lang::Vi).is_empty() && !t.label(Lang::En).is_empty());
        }
    }
}
