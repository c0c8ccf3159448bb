//! A site found during a survey (điểm phát hiện cây có chứa chất ma túy):
//! where, what grew there, and how it was destroyed.

use crate::check::{optional_text, past_date_since, required_text, Report, MAX_NAME_CHARS};
use crate::geometry::{location_problem, polygon_area_m2, polygon_problem, GeoPoint};
use crate::labelled_enum;
use crate::validation::Field;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum!(
    /// Loại cây có chứa chất ma túy.
    PlantSpecies {
        OpiumPoppy = ("opium_poppy", "Cây thuốc phiện", "Opium poppy"),
        Cannabis = ("cannabis", "Cây cần sa", "Cannabis"),
        Coca = ("coca", "Cây côca", "Coca"),
        Khat = ("khat", "Cây khát (Khat)", "Khat"),
        Kratom = ("kratom", "Cây Kratom", "Kratom"),
        Other = ("other", "Cây khác có chứa chất ma túy", "Other"),
    }
);

labelled_enum!(
    /// Giai đoạn sinh trưởng: harvestable plants are the urgent ones.
    GrowthStage {
        Seedling = ("seedling", "Cây con", "Seedling"),
        Growing = ("growing", "Đang phát triển", "Growing"),
        Flowering = ("flowering", "Ra hoa", "Flowering"),
        Harvestable = ("harvestable", "Có quả, thu hoạch được", "Fruiting / harvestable"),
    }
);

labelled_enum!(
    /// Loại đất trồng — where growers hide the plants.
    LandKind {
        MaizeField = ("maize_field", "Trồng xen trong nương ngô", "Hidden in a maize field"),
        OtherCropField = ("other_crop_field", "Trồng xen cây trồng khác", "Other crop field"),
        Forest = ("forest", "Trong rừng", "Forest"),
        HomeGarden = ("home_garden", "Vườn nhà", "Home garden"),
        Other = ("other", "Nơi khác", "Other"),
    }
);

labelled_enum!(
    /// Biện pháp triệt xóa.
    ActionKind {
        Uprooted = ("uprooted", "Nhổ bỏ", "Uprooted"),
        Cut = ("cut", "Chặt, phát", "Cut"),
        Burned = ("burned", "Đốt", "Burned"),
        Other = ("other", "Biện pháp khác", "Other"),
    }
);

/// How the plants were destroyed, when, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteAction {
    pub kind: ActionKind,
    pub date: NaiveDate,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteInput {
    /// Names the site in its survey's document, so edits of different sites
    /// merge. Nil for a site not yet saved: the core gives it one.
    #[serde(default)]
    pub id: Uuid,
    pub point: GeoPoint,
    /// The boundary as walked, if it was; see `geometry` for how it closes.
    pub polygon: Option<Vec<GeoPoint>>,
    /// The officer confirms a position outside Vietnam's box is right
    /// (an island, a border plot); without it such a position is an error.
    pub outside_vietnam_confirmed: bool,
    pub species: PlantSpecies,
    pub plant_count: u32,
    pub growth_stage: GrowthStage,
    pub land_kind: LandKind,
    /// Người trồng, if known.
    pub grower: Option<String>,
    pub action: SiteAction,
    pub samples_taken: bool,
    /// The earlier site this one re-plants (tái trồng), by its record id.
    pub replanting_of: Option<Uuid>,
}

impl SiteInput {
    /// The walked area in m², if a boundary was walked.
    pub fn area_m2(&self) -> Option<f64> {
        self.polygon.as_deref().map(polygon_area_m2)
    }

    /// Checks this site, the `item`-th of a survey held on `survey_date`.
    pub(crate) fn check(
        &self,
        item: usize,
        survey_date: NaiveDate,
        today: NaiveDate,
        r: &mut Report,
    ) {
        let confirmed = self.outside_vietnam_confirmed;
        r.check_at(
            Field::SitePoint,
            item,
            location_problem(self.point, confirmed),
        );
        if let Some(points) = &self.polygon {
            r.check_at(Field::SitePolygon, item, polygon_problem(points, confirmed));
        }
        let grower = self.grower.as_deref().unwrap_or("");
        r.check_at(Field::Grower, item, optional_text(grower, MAX_NAME_CHARS));
        // Plants are destroyed on the day they are found or later.
        r.check_at(
            Field::ActionDate,
            item,
            past_date_since(self.action.date, survey_date, today),
        );
        r.check_at(
            Field::ActionBy,
            item,
            required_text(&self.action.by, MAX_NAME_CHARS),
        );
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::tests::assert_well_labelled;
    use crate::status::tests::d;
    use crate::validation::{FieldError, Problem};

    pub(crate) fn found(on: NaiveDate) -> SiteInput {
        SiteInput {
            id: Uuid::nil(),
            point: GeoPoint {
                lat: 15.0512,
                lon: 107.7321,
            },
            polygon: None,
            outside_vietnam_confirmed: false,
            species: PlantSpecies::OpiumPoppy,
            plant_count: 1_250,
            growth_stage: GrowthStage::Flowering,
            land_kind: LandKind::MaizeField,
            grower: None,
            action: SiteAction {
                kind: ActionKind::Uprooted,
                date: on,
                by: "Tổ công tác xã Đăk Pék".into(),
            },
            samples_taken: true,
            replanting_of: None,
        }
    }

    fn problems(site: &SiteInput) -> Vec<FieldError> {
        let mut r = Report::default();
        site.check(1, d(2026, 2, 10), d(2026, 2, 20), &mut r);
        r.finish().err().unwrap_or_default()
    }

    #[test]
    fn a_site_found_and_uprooted_the_same_day_is_valid() {
        assert_eq!(problems(&found(d(2026, 2, 10))), vec![]);
    }

    #[test]
    fn the_action_falls_between_the_survey_and_today() {
        assert_eq!(
            problems(&found(d(2026, 2, 9))),
            vec![FieldError::at(
                Field::ActionDate,
                1,
                Problem::BeforeStart {
                    start: d(2026, 2, 10)
                }
            )]
        );
        assert_eq!(
            problems(&found(d(2026, 2, 21))),
            vec![FieldError::at(Field::ActionDate, 1, Problem::InFuture)]
        );
        assert_eq!(problems(&found(d(2026, 2, 20))), vec![]);
    }

    #[test]
    fn who_acted_is_required_and_the_grower_is_not() {
        let mut site = found(d(2026, 2, 10));
        site.action.by = " ".into();
        site.grower = Some("x".repeat(MAX_NAME_CHARS + 1));
        assert_eq!(
            problems(&site),
            vec![
                FieldError::at(
                    Field::Grower,
                    1,
                    Problem::TooLong {
                        max: MAX_NAME_CHARS
                    }
                ),
                FieldError::at(Field::ActionBy, 1, Problem::Required),
            ]
        );
    }

    #[test]
    fn point_and_boundary_are_checked_and_named() {
        let p = |lat: f64, lon: f64| GeoPoint { lat, lon };
        let mut site = found(d(2026, 2, 10));
        site.point = p(13.75, 100.5);
        site.polygon = Some(vec![
            p(15.0, 107.0),
            p(15.0, 107.001),
            p(15.001, 107.0),
            p(15.001, 107.001),
        ]);
        assert_eq!(
            problems(&site),
            vec![
                FieldError::at(Field::SitePoint, 1, Problem::OutsideVietnam),
                FieldError::at(Field::SitePolygon, 1, Problem::SelfIntersecting),
            ]
        );
        site.outside_vietnam_confirmed = true;
        site.polygon = Some(vec![p(13.75, 100.5), p(13.75, 100.501), p(13.751, 100.501)]);
        assert_eq!(problems(&site), vec![]);
    }

    #[test]
    fn the_area_comes_from_the_walked_boundary() {
        let mut site = found(d(2026, 2, 10));
        assert_eq!(site.area_m2(), None);
        site.polygon = Some(vec![]);
        assert_eq!(site.area_m2(), Some(0.0));
        let p = |lat: f64, lon: f64| GeoPoint { lat, lon };
        site.polygon = Some(vec![
            p(15.0, 107.0),
            p(15.0, 107.001),
            p(15.001, 107.001),
            p(15.001, 107.0),
        ]);
        // About 107 m by 111 m at 15° N.
        let area = site.area_m2().unwrap_or_default();
        assert!((11_000.0..12_500.0).contains(&area), "{area}");
    }

    #[test]
    fn site_choices_are_well_labelled() {
        assert_well_labelled::<PlantSpecies>();
        assert_well_labelled::<GrowthStage>();
        assert_well_labelled::<LandKind>();
        assert_well_labelled::<ActionKind>();
    }
}
