//! A drug-plant survey (đợt rà soát, phát hiện, triệt xóa cây có chứa chất ma
//! túy): one field trip by one team. A survey with no sites is a result too:
//! it proves the villages were covered.

use crate::check::{
    commune_on, optional_text, past_date, required_text, village_of, Report, EARLIEST_DATE,
    MAX_NAME_CHARS, MAX_NOTE_CHARS,
};
use crate::labelled_enum;
use crate::org::OrgTree;
use crate::site::SiteInput;
use crate::validation::{Field, FieldError, Problem};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

labelled_enum!(
    /// Loại đợt rà soát.
    SurveyKind {
        RoutineSweep = ("routine_sweep", "Rà soát định kỳ, tổng rà soát", "Routine sweep"),
        TipOff = ("tip_off", "Xác minh tin báo, tố giác", "Tip-off follow-up"),
        ReplantingCheck = ("replanting_check", "Kiểm tra tái trồng", "Re-planting check"),
    }
);

/// What the survey form sends to the core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyInput {
    pub date: NaiveDate,
    pub team: String,
    pub commune: String,
    /// Codes of the villages (thôn, bản) of `commune` that were swept.
    pub villages: Vec<String>,
    pub kind: SurveyKind,
    /// Diện tích rà soát, in hectares, when the team estimated it.
    pub area_covered_ha: Option<f64>,
    pub notes: String,
    /// Zero sites means "no findings" (không phát hiện).
    pub sites: Vec<SiteInput>,
}

impl SurveyInput {
    /// Checks the survey and each site; a site's errors carry its index.
    pub fn validate(&self, units: &OrgTree, today: NaiveDate) -> Result<(), Vec<FieldError>> {
        let mut r = Report::default();
        r.check(Field::Date, past_date(self.date, EARLIEST_DATE, today));
        r.check(Field::Team, required_text(&self.team, MAX_NAME_CHARS));
        r.check(Field::Commune, commune_on(units, &self.commune, self.date));
        for (i, v) in self.villages.iter().enumerate() {
            r.check_at(Field::Villages, i, village_of(units, v, &self.commune));
        }
        if let Some(ha) = self.area_covered_ha {
            // NaN fails both comparisons, so it is refused too.
            r.check(
                Field::AreaCovered,
                (!(ha >= 0.0 && ha.is_finite())).then_some(Problem::NotNonNegative),
            );
        }
        r.check(Field::Notes, optional_text(&self.notes, MAX_NOTE_CHARS));
        for (i, site) in self.sites.iter().enumerate() {
            site.check(i, self.date, today, &mut r);
        }
        r.finish()
    }

    /// Plants found across all sites, for the report's totals.
    pub fn plant_count(&self) -> u64 {
        self.sites.iter().map(|s| u64::from(s.plant_count)).sum()
    }

    /// Walked area across all sites, in m²; sites without a boundary add 0.
    pub fn site_area_m2(&self) -> f64 {
        self.sites.iter().filter_map(SiteInput::area_m2).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::GeoPoint;
    use crate::lang::tests::assert_well_labelled;
    use crate::site::tests::found;
    use crate::status::tests::d;

    fn today() -> NaiveDate {
        d(2026, 2, 20)
    }

    fn sweep() -> SurveyInput {
        SurveyInput {
            date: d(2026, 2, 10),
            team: "Công an xã Đăk Pék".into(),
            commune: "62-610-23284".into(),
            villages: vec!["62-610-23284-01".into(), "62-610-23284-02".into()],
            kind: SurveyKind::RoutineSweep,
            area_covered_ha: Some(350.0),
            notes: String::new(),
            sites: vec![],
        }
    }

    fn problems(s: &SurveyInput) -> Vec<FieldError> {
        s.validate(&OrgTree::demo(), today())
            .err()
            .unwrap_or_default()
    }

    #[test]
    fn a_sweep_with_no_findings_is_valid() {
        assert_eq!(problems(&sweep()), vec![]);
        let without_area = SurveyInput {
            area_covered_ha: None,
            villages: vec![],
            ..sweep()
        };
        assert_eq!(problems(&without_area), vec![]);
    }

    #[test]
    fn a_sweep_with_sites_is_valid_and_totals_them() {
        let p = |lat: f64, lon: f64| GeoPoint { lat, lon };
        let mut walked = found(d(2026, 2, 11));
        walked.polygon = Some(vec![
            p(15.0, 107.0),
            p(15.0, 107.001),
            p(15.001, 107.001),
            p(15.001, 107.0),
        ]);
        let s = SurveyInput {
            sites: vec![found(d(2026, 2, 10)), walked.clone()],
            ..sweep()
        };
        assert_eq!(problems(&s), vec![]);
        assert_eq!(s.plant_count(), 2_500);
        assert_eq!(s.site_area_m2(), walked.area_m2().unwrap_or_default());
        assert!(s.site_area_m2() > 10_000.0);
    }

    #[test]
    fn date_team_and_commune_are_checked() {
        let bad = SurveyInput {
            date: d(2026, 2, 21),
            team: String::new(),
            commune: "62".into(),
            ..sweep()
        };
        assert_eq!(
            problems(&bad),
            vec![
                FieldError::new(Field::Date, Problem::InFuture),
                FieldError::new(Field::Team, Problem::Required),
                FieldError::new(Field::Commune, Problem::NotACommune),
                // The villages are right for Đăk Pék but not for "62".
                FieldError::at(Field::Villages, 0, Problem::NotAVillageOfCommune),
                FieldError::at(Field::Villages, 1, Problem::NotAVillageOfCommune),
            ]
        );
    }

    #[test]
    fn villages_must_be_of_the_surveyed_commune() {
        let s = SurveyInput {
            villages: vec!["62-610-23284-01".into(), "62-610-23290-01".into()],
            ..sweep()
        };
        assert_eq!(
            problems(&s),
            vec![FieldError::at(
                Field::Villages,
                1,
                Problem::NotAVillageOfCommune
            )]
        );
    }

    #[test]
    fn area_covered_is_a_number_zero_or_more() {
        for ok in [0.0, 12.5] {
            let s = SurveyInput {
                area_covered_ha: Some(ok),
                ..sweep()
            };
            assert_eq!(problems(&s), vec![], "{ok}");
        }
        for bad in [-0.5, f64::NAN, f64::INFINITY] {
            let s = SurveyInput {
                area_covered_ha: Some(bad),
                ..sweep()
            };
            assert_eq!(
                problems(&s),
                vec![FieldError::new(Field::AreaCovered, Problem::NotNonNegative)],
                "{bad}"
            );
        }
    }

    #[test]
    fn site_errors_carry_the_site_index() {
        let mut late = found(d(2026, 2, 9));
        late.action.by = String::new();
        let s = SurveyInput {
            sites: vec![found(d(2026, 2, 10)), late],
            notes: "x".repeat(MAX_NOTE_CHARS + 1),
            ..sweep()
        };
        assert_eq!(
            problems(&s),
            vec![
                FieldError::new(
                    Field::Notes,
                    Problem::TooLong {
                        max: MAX_NOTE_CHARS
                    }
                ),
                FieldError::at(
                    Field::ActionDate,
                    1,
                    Problem::BeforeStart {
                        start: d(2026, 2, 10)
                    }
                ),
                FieldError::at(Field::ActionBy, 1, Problem::Required),
            ]
        );
    }

    #[test]
    fn survey_kinds_are_well_labelled() {
        assert_well_labelled::<SurveyKind>();
    }
}
