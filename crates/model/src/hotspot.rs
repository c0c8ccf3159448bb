//! A drug hot spot (điểm, tụ điểm phức tạp về ma túy): a place where drugs
//! are dealt, used in company or kept, found by the commune and followed
//! until it is cleared (triệt xóa) or the area transformed (chuyển hóa), as
//! the plans for Dự án 3 ask (seeds 001, 002: "triệt xóa trên 80% số điểm
//! nóng"). Its status over time is a list of spans, each the day a stage
//! takes effect, so officers adding stages on two tablets keep both.

use crate::check::{
    commune, optional_text, past_date, required_text, village_of, Report, EARLIEST_DATE,
    MAX_NAME_CHARS, MAX_NOTE_CHARS,
};
use crate::geometry::{location_problem, GeoPoint};
use crate::labelled_enum;
use crate::org::OrgTree;
use crate::validation::{Field, FieldError, Problem};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum!(
    /// Hoạt động phát hiện tại điểm, in the plans' words (seeds 000, 001,
    /// 003): selling, organising or harbouring use, gathering to use,
    /// keeping, making.
    HotSpotActivity {
        Dealing = ("dealing", "Mua bán trái phép chất ma túy", "Dealing drugs"),
        OrganisedUse = ("organised_use", "Tổ chức sử dụng trái phép chất ma túy", "Organising drug use"),
        HarbouredUse = ("harboured_use", "Chứa chấp sử dụng trái phép chất ma túy", "Harbouring drug use"),
        Gathering = ("gathering", "Tụ tập sử dụng trái phép chất ma túy", "Gathering to use drugs"),
        Storage = ("storage", "Tàng trữ trái phép chất ma túy", "Keeping drugs"),
        Production = ("production", "Sản xuất, điều chế trái phép chất ma túy", "Making drugs"),
    }
);

labelled_enum!(
    /// Tình trạng của điểm, in the order a spot moves through them.
    HotSpotStage {
        Detected = ("detected", "Mới phát hiện", "Detected"),
        BeingDealtWith = ("being_dealt_with", "Đang đấu tranh, giải quyết", "Being dealt with"),
        Cleared = ("cleared", "Đã triệt xóa", "Cleared"),
        Transformed = ("transformed", "Đã chuyển hóa", "Transformed"),
    }
);

impl HotSpotStage {
    /// Cleared or transformed: what the plan's share counts.
    pub fn is_resolved(self) -> bool {
        matches!(self, Self::Cleared | Self::Transformed)
    }
}

/// One stage of a hot spot, from the day it takes effect until the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotSpotSpan {
    /// Names the span in its document, so stages added on two tablets
    /// merge. Nil for a span not yet saved: the core gives it one.
    #[serde(default)]
    pub id: Uuid,
    pub stage: HotSpotStage,
    pub from: NaiveDate,
    pub notes: String,
}

/// What the hot spot form sends to the core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotSpotInput {
    /// Tên, mô tả địa điểm: "Quán karaoke X, thôn 3", "Lán rẫy bờ suối".
    pub place_name: String,
    pub commune: String,
    pub village: Option<String>,
    /// Where the officer stood, if a fix was taken.
    pub point: Option<GeoPoint>,
    /// The officer confirms a position outside Vietnam's box is right.
    #[serde(default)]
    pub outside_vietnam_confirmed: bool,
    /// At least one.
    pub activities: Vec<HotSpotActivity>,
    /// Tình hình phát hiện: what was found, in the officer's words.
    pub findings: String,
    /// Oldest first; the first is its detection.
    pub stages: Vec<HotSpotSpan>,
}

impl HotSpotInput {
    /// Checks every field and reports every problem at once.
    pub fn validate(&self, units: &OrgTree, today: NaiveDate) -> Result<(), Vec<FieldError>> {
        let mut r = Report::default();
        r.check(
            Field::HotSpotPlace,
            required_text(&self.place_name, MAX_NAME_CHARS),
        );
        r.check(Field::Commune, commune(units, &self.commune));
        let village = self
            .village
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        r.check(
            Field::Village,
            village.and_then(|v| village_of(units, v, &self.commune)),
        );
        if let Some(p) = self.point {
            r.check(
                Field::Location,
                location_problem(p, self.outside_vietnam_confirmed),
            );
        }
        if self.activities.is_empty() {
            r.add(Field::Activities, Problem::Required);
        }
        r.check(
            Field::Findings,
            optional_text(&self.findings, MAX_NOTE_CHARS),
        );
        check_spans(&self.stages, today, &mut r);
        r.finish()
    }

    /// The day it was found: its first span's.
    pub fn detected_on(&self) -> Option<NaiveDate> {
        self.stages.first().map(|s| s.from)
    }

    /// The stage in force on `day`: the last span to take effect on or
    /// before it (ties to the one listed last); none before detection.
    pub fn stage_on(&self, day: NaiveDate) -> Option<HotSpotStage> {
        stage_on(&self.stages, day)
    }

    /// The stage in force now: the span that takes effect last.
    pub fn current_stage(&self) -> Option<HotSpotStage> {
        self.stages.iter().max_by_key(|s| s.from).map(|s| s.stage)
    }
}

/// The stage in force on `day` of a status history.
pub fn stage_on(spans: &[HotSpotSpan], day: NaiveDate) -> Option<HotSpotStage> {
    spans
        .iter()
        .filter(|s| s.from <= day)
        .max_by_key(|s| s.from)
        .map(|s| s.stage)
}

/// A history: at least one span, the first its detection and no other,
/// each dated between the detection and today, in time order.
fn check_spans(spans: &[HotSpotSpan], today: NaiveDate, r: &mut Report) {
    let Some(first) = spans.first() else {
        r.add(Field::HotSpotStages, Problem::Required);
        return;
    };
    let detected = first.from;
    let mut previous: Option<NaiveDate> = None;
    for (i, span) in spans.iter().enumerate() {
        let stage = match (i, span.stage) {
            (0, HotSpotStage::Detected) => None,
            (0, _) => Some(Problem::NotDetectedFirst),
            (_, HotSpotStage::Detected) => Some(Problem::DetectedTwice),
            _ => None,
        };
        r.check_at(Field::HotSpotStage, i, stage);
        let from = past_date(span.from, EARLIEST_DATE, today)
            .or_else(|| (span.from < detected).then_some(Problem::BeforeDetection { detected }))
            .or_else(|| {
                previous
                    .filter(|&p| span.from < p)
                    .map(|_| Problem::OutOfOrder)
            });
        r.check_at(Field::StatusFrom, i, from);
        r.check_at(Field::Notes, i, optional_text(&span.notes, MAX_NOTE_CHARS));
        previous = Some(span.from);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::tests::assert_well_labelled;
    use crate::status::tests::d;

    pub(crate) fn span(stage: HotSpotStage, from: NaiveDate) -> HotSpotSpan {
        HotSpotSpan {
            id: Uuid::nil(),
            stage,
            from,
            notes: String::new(),
        }
    }

    pub(crate) fn karaoke() -> HotSpotInput {
        HotSpotInput {
            place_name: "Quán karaoke bờ suối, thôn Đăk Dung".into(),
            commune: "62-610-23284".into(),
            village: Some("62-610-23284-01".into()),
            point: Some(GeoPoint {
                lat: 15.0512,
                lon: 107.7321,
            }),
            outside_vietnam_confirmed: false,
            activities: vec![HotSpotActivity::OrganisedUse, HotSpotActivity::Dealing],
            findings: "Nhiều thanh niên tụ tập sử dụng ma túy tổng hợp vào ban đêm".into(),
            stages: vec![
                span(HotSpotStage::Detected, d(2026, 3, 2)),
                span(HotSpotStage::BeingDealtWith, d(2026, 3, 10)),
                span(HotSpotStage::Cleared, d(2026, 5, 20)),
            ],
        }
    }

    fn problems(h: &HotSpotInput) -> Vec<FieldError> {
        h.validate(&OrgTree::demo(), d(2026, 6, 1))
            .err()
            .unwrap_or_default()
    }

    #[test]
    fn a_spot_detected_dealt_with_and_cleared_is_valid() {
        assert_eq!(problems(&karaoke()), vec![]);
        let bare = HotSpotInput {
            village: None,
            point: None,
            findings: String::new(),
            stages: vec![span(HotSpotStage::Detected, d(2026, 6, 1))],
            ..karaoke()
        };
        assert_eq!(problems(&bare), vec![]);
    }

    #[test]
    fn place_commune_village_activity_and_position_are_checked() {
        let bad = HotSpotInput {
            place_name: "  ".into(),
            commune: "62".into(),
            activities: vec![],
            point: Some(GeoPoint {
                lat: 13.75,
                lon: 100.5,
            }),
            findings: "x".repeat(MAX_NOTE_CHARS + 1),
            ..karaoke()
        };
        assert_eq!(
            problems(&bad),
            vec![
                FieldError::new(Field::HotSpotPlace, Problem::Required),
                FieldError::new(Field::Commune, Problem::NotACommune),
                FieldError::new(Field::Village, Problem::NotAVillageOfCommune),
                FieldError::new(Field::Location, Problem::OutsideVietnam),
                FieldError::new(Field::Activities, Problem::Required),
                FieldError::new(
                    Field::Findings,
                    Problem::TooLong {
                        max: MAX_NOTE_CHARS
                    }
                ),
            ]
        );
        let confirmed = HotSpotInput {
            point: bad.point,
            outside_vietnam_confirmed: true,
            ..karaoke()
        };
        assert_eq!(problems(&confirmed), vec![]);
    }

    #[test]
    fn a_history_needs_its_detection_first_and_only_once() {
        let none = HotSpotInput {
            stages: vec![],
            ..karaoke()
        };
        assert_eq!(
            problems(&none),
            vec![FieldError::new(Field::HotSpotStages, Problem::Required)]
        );
        // Cleared before it was ever found: the first stage is not a detection.
        let mut h = karaoke();
        h.stages.remove(0);
        assert_eq!(
            problems(&h),
            vec![FieldError::at(
                Field::HotSpotStage,
                0,
                Problem::NotDetectedFirst
            )]
        );
        let mut twice = karaoke();
        twice
            .stages
            .push(span(HotSpotStage::Detected, d(2026, 5, 25)));
        assert_eq!(
            problems(&twice),
            vec![FieldError::at(
                Field::HotSpotStage,
                3,
                Problem::DetectedTwice
            )]
        );
    }

    #[test]
    fn stages_fall_between_detection_and_today_in_order() {
        let mut h = karaoke();
        // Dealt with before it was detected.
        h.stages[1].from = d(2026, 3, 1);
        // Cleared tomorrow.
        h.stages[2].from = d(2026, 6, 2);
        assert_eq!(
            problems(&h),
            vec![
                FieldError::at(
                    Field::StatusFrom,
                    1,
                    Problem::BeforeDetection {
                        detected: d(2026, 3, 2)
                    }
                ),
                FieldError::at(Field::StatusFrom, 2, Problem::InFuture),
            ]
        );
        let mut swapped = karaoke();
        swapped.stages[1].from = d(2026, 5, 21);
        assert_eq!(
            problems(&swapped),
            vec![FieldError::at(Field::StatusFrom, 2, Problem::OutOfOrder)]
        );
        // Same day is fine: found and dealt with at once.
        let mut same = karaoke();
        same.stages[1].from = d(2026, 3, 2);
        assert_eq!(problems(&same), vec![]);
        let mut ancient = karaoke();
        ancient.stages[0].from = d(1999, 12, 31);
        assert_eq!(
            problems(&ancient),
            vec![FieldError::at(
                Field::StatusFrom,
                0,
                Problem::TooOld {
                    earliest: EARLIEST_DATE
                }
            )]
        );
        let mut noted = karaoke();
        noted.stages[2].notes = "x".repeat(MAX_NOTE_CHARS + 1);
        assert_eq!(
            problems(&noted),
            vec![FieldError::at(
                Field::Notes,
                2,
                Problem::TooLong {
                    max: MAX_NOTE_CHARS
                }
            )]
        );
    }

    #[test]
    fn the_stage_in_force_follows_the_days() {
        let h = karaoke();
        assert_eq!(h.detected_on(), Some(d(2026, 3, 2)));
        assert_eq!(h.stage_on(d(2026, 3, 1)), None);
        assert_eq!(h.stage_on(d(2026, 3, 2)), Some(HotSpotStage::Detected));
        assert_eq!(
            h.stage_on(d(2026, 5, 19)),
            Some(HotSpotStage::BeingDealtWith)
        );
        assert_eq!(h.stage_on(d(2026, 5, 20)), Some(HotSpotStage::Cleared));
        assert_eq!(h.current_stage(), Some(HotSpotStage::Cleared));
        assert!(HotSpotStage::Cleared.is_resolved() && HotSpotStage::Transformed.is_resolved());
        assert!(!HotSpotStage::BeingDealtWith.is_resolved());
    }

    #[test]
    fn hot_spot_choices_are_well_labelled() {
        assert_well_labelled::<HotSpotActivity>();
        assert_well_labelled::<HotSpotStage>();
    }
}
