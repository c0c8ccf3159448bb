//! Org units (đơn vị hành chính) as a tree kept as data: province → district
//! or cluster → commune → village. Since 2025 many provinces have two tiers,
//! so no code here assumes a fixed depth.
//!
//! Schools, industrial zones and agencies (trường học, khu/cụm công nghiệp,
//! cơ quan, đơn vị) hang under their commune in the same tree: the plans ask
//! that 100% of them be reached by propaganda each year (seed 000 "Các chỉ
//! tiêu"), so reports need the list to count against.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgLevel {
    Province,
    District,
    Commune,
    Village,
    /// Trường học: a place propaganda must reach, under its commune.
    School,
    /// Khu, cụm công nghiệp: likewise.
    #[serde(rename = "industrial_zone")]
    IndustrialZone,
    /// Cơ quan, đơn vị (a health station, a forest ranger post, a border
    /// post…): likewise, under the commune it sits in. A tree written
    /// before this level still reads; it simply lists none.
    Agency,
}

impl OrgLevel {
    pub const ALL: [OrgLevel; 7] = [
        OrgLevel::Province,
        OrgLevel::District,
        OrgLevel::Commune,
        OrgLevel::Village,
        OrgLevel::School,
        OrgLevel::IndustrialZone,
        OrgLevel::Agency,
    ];

    /// The stable code, as the bundled list and the hub's rows write it.
    pub fn code(self) -> &'static str {
        match self {
            OrgLevel::Province => "province",
            OrgLevel::District => "district",
            OrgLevel::Commune => "commune",
            OrgLevel::Village => "village",
            OrgLevel::School => "school",
            OrgLevel::IndustrialZone => "industrial_zone",
            OrgLevel::Agency => "agency",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub code: String,
    pub name: String,
    pub level: OrgLevel,
    pub parent: Option<String>,
    /// Hiệu lực từ ngày: the first day the unit exists (a commune formed by
    /// a merger), none when it always has. Lists written before dates
    /// read as units that always were and still are.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// Hiệu lực đến ngày: the last day it exists.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    /// Sáp nhập vào: the commune this one became part of the day after
    /// `valid_to` (the 2025 reform). Records made in it keep its code;
    /// reports of later periods count them in that commune.
    #[serde(default)]
    pub merged_into: Option<String>,
}

impl OrgUnit {
    /// A unit with no dates and no merger, as most lines of a list are.
    pub fn new(code: &str, name: &str, level: OrgLevel, parent: Option<&str>) -> Self {
        Self {
            code: code.into(),
            name: name.into(),
            level,
            parent: parent.map(Into::into),
            valid_from: None,
            valid_to: None,
            merged_into: None,
        }
    }

    /// Whether the unit exists on `day`.
    pub fn in_force(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_to.is_none_or(|to| day <= to)
    }

    /// The day its merger takes effect: the day after its last.
    pub fn merged_on(&self) -> Option<NaiveDate> {
        self.merged_into.as_ref()?;
        self.valid_to?.checked_add_days(Days::new(1))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OrgTreeError {
    #[error("org unit list is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("org unit {0} appears twice")]
    Duplicate(String),
    #[error("org unit {child} names a parent {parent} that is not in the list")]
    MissingParent { child: String, parent: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgTree {
    units: BTreeMap<String, OrgUnit>,
    /// Each commune with the communes merged straight into it: kept with
    /// the units, so [`OrgTree::with_merged`] (asked at every token check
    /// of the hub) walks the mergers only, not the whole list.
    absorbed: BTreeMap<String, Vec<String>>,
}

impl OrgTree {
    pub fn from_units(list: Vec<OrgUnit>) -> Result<Self, OrgTreeError> {
        let mut units = BTreeMap::new();
        for u in list {
            if units.contains_key(&u.code) {
                return Err(OrgTreeError::Duplicate(u.code));
            }
            units.insert(u.code.clone(), u);
        }
        for u in units.values() {
            if let Some(p) = &u.parent {
                if !units.contains_key(p) {
                    return Err(OrgTreeError::MissingParent {
                        child: u.code.clone(),
                        parent: p.clone(),
                    });
                }
            }
        }
        Ok(Self::of(units))
    }

    fn of(units: BTreeMap<String, OrgUnit>) -> Self {
        let mut absorbed: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for u in units.values() {
            if let Some(into) = &u.merged_into {
                absorbed
                    .entry(into.clone())
                    .or_default()
                    .push(u.code.clone());
            }
        }
        Self { units, absorbed }
    }

    /// A tree of units whose codes and parents were checked already
    /// (`crate::org_sheet`, or the hub's own rows).
    pub(crate) fn from_checked(list: Vec<OrgUnit>) -> Self {
        Self::of(list.into_iter().map(|u| (u.code.clone(), u)).collect())
    }

    /// A tree with no units: a hub whose office has not loaded its list.
    pub fn empty() -> Self {
        Self::of(BTreeMap::new())
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The units at the top (a province, or whatever the list starts at).
    pub fn roots(&self) -> impl Iterator<Item = &OrgUnit> {
        self.units.values().filter(|u| u.parent.is_none())
    }

    /// Every unit, in code order.
    pub fn units(&self) -> impl Iterator<Item = &OrgUnit> {
        self.units.values()
    }

    pub fn from_json(json: &str) -> Result<Self, OrgTreeError> {
        Self::from_units(serde_json::from_str(json)?)
    }

    /// The demo district shipped with the app for `cargo xtask run` and the
    /// tests, until org units arrive from the office at enrolment.
    pub fn demo() -> Self {
        Self::from_json(include_str!("../data/demo_org_units.json"))
            .expect("the bundled demo org tree is checked by a unit test")
    }

    pub fn get(&self, code: &str) -> Option<&OrgUnit> {
        self.units.get(code)
    }

    pub fn communes(&self) -> impl Iterator<Item = &OrgUnit> {
        self.units.values().filter(|u| u.level == OrgLevel::Commune)
    }

    pub fn is_commune(&self, code: &str) -> bool {
        self.get(code).is_some_and(|u| u.level == OrgLevel::Commune)
    }

    /// The villages (thôn, bản) of a commune, in list order.
    pub fn villages_of<'a>(&'a self, commune: &'a str) -> impl Iterator<Item = &'a OrgUnit> + 'a {
        self.units
            .values()
            .filter(move |u| u.level == OrgLevel::Village && u.parent.as_deref() == Some(commune))
    }

    /// Whether `code` is `ancestor` or lies below it.
    pub fn is_within(&self, code: &str, ancestor: &str) -> bool {
        self.chain(self.get(code), |u| u.parent.as_deref())
            .any(|u| u.code == ancestor)
    }

    /// `first` and the units reached from it one `next` at a time (its
    /// parent, the commune it was merged into), ending at a code the tree
    /// lacks. At most as many as the tree holds, so a loop in bad data
    /// cannot hang a report.
    fn chain<'a>(
        &'a self,
        first: Option<&'a OrgUnit>,
        next: impl Fn(&'a OrgUnit) -> Option<&'a str> + 'a,
    ) -> impl Iterator<Item = &'a OrgUnit> + 'a {
        std::iter::successors(first, move |u| next(u).and_then(|c| self.get(c)))
            .take(self.units.len() + 1)
    }

    /// Units of one level at or below `ancestor`, in code order: the
    /// communes of a district or province (a commune alone when it is asked
    /// for), or the schools of a district. This is how reports roll up.
    pub fn units_within<'a>(
        &'a self,
        ancestor: &'a str,
        level: OrgLevel,
    ) -> impl Iterator<Item = &'a OrgUnit> + 'a {
        self.units
            .values()
            .filter(move |u| u.level == level && self.is_within(&u.code, ancestor))
    }

    /// What a tablet of `communes` is given of the tree: each commune,
    /// everything above it (its district, its province) and everything
    /// below it (villages, schools, zones, agencies), and the communes it
    /// was merged into, with what is above them, so the tablet can tell
    /// the officer where a record of a later date belongs. Codes the tree
    /// does not hold are left out.
    pub fn part_for(&self, communes: &[String]) -> OrgTree {
        let mut part = BTreeMap::new();
        for commune in communes.iter().filter(|c| self.units.contains_key(*c)) {
            for merged in self.chain(self.get(commune), |u| u.merged_into.as_deref()) {
                for u in self.chain(Some(merged), |u| u.parent.as_deref()) {
                    part.insert(u.code.clone(), u.clone());
                }
            }
            for u in self.units.values() {
                if self.is_within(&u.code, commune) {
                    part.insert(u.code.clone(), u.clone());
                }
            }
        }
        OrgTree::of(part)
    }

    /// The other communes under the same units as `communes` (the
    /// district's): where a person of theirs may move to (issue 20). Only
    /// the communes themselves, in code order, for a tablet to name them;
    /// they are not part of its tree ([`OrgTree::part_for`]).
    pub fn neighbours_of(&self, communes: &[String]) -> Vec<OrgUnit> {
        let parents: BTreeSet<&str> = communes
            .iter()
            .filter_map(|c| self.get(c)?.parent.as_deref())
            .collect();
        self.communes()
            .filter(|u| u.parent.as_deref().is_some_and(|p| parents.contains(p)))
            .filter(|u| !communes.contains(&u.code))
            .cloned()
            .collect()
    }

    /// The commune whose figures `code`'s records count in on `day`:
    /// itself, or the commune it was merged into by then (following a
    /// commune merged twice to the last). A code the tree lacks is its own.
    pub fn counted_in<'a>(&'a self, code: &'a str, day: NaiveDate) -> &'a str {
        let merged_by_then = move |u: &'a OrgUnit| {
            u.merged_on()
                .filter(|on| *on <= day)
                .and(u.merged_into.as_deref())
        };
        self.chain(self.get(code), merged_by_then)
            .last()
            .map_or(code, |u| u.code.as_str())
    }

    /// `communes` with every commune merged into one of them, at any date
    /// and through any number of mergers: what a tablet of `communes`
    /// holds, since the people and places of the old communes are now
    /// its to manage. In code order, without repeats.
    pub fn with_merged(&self, communes: &[String]) -> Vec<String> {
        let mut all: BTreeSet<String> = communes.iter().cloned().collect();
        let mut next: Vec<&String> = communes.iter().collect();
        while let Some(commune) = next.pop() {
            for old in self.absorbed.get(commune).into_iter().flatten() {
                if all.insert(old.clone()) {
                    next.push(old);
                }
            }
        }
        all.into_iter().collect()
    }

    /// Whether `code` is a village (thôn, bản) of `commune`: records name the
    /// village inside the commune they belong to, never one next door.
    pub fn is_village_of(&self, code: &str, commune: &str) -> bool {
        self.get(code)
            .is_some_and(|u| u.level == OrgLevel::Village && u.parent.as_deref() == Some(commune))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_tree_loads_and_has_communes() {
        let t = OrgTree::demo();
        assert_eq!(t.communes().count(), 3);
        let villages: Vec<_> = t
            .villages_of("62-610-23284")
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(villages, ["Thôn Đăk Ung", "Thôn Đăk Dung"]);
        assert_eq!(t.villages_of("62-610").count(), 0);
        assert!(t.is_commune("62-610-23284"));
        assert!(!t.is_commune("62-610"));
        assert!(!t.is_commune("nowhere"));
    }

    #[test]
    fn villages_belong_to_their_own_commune_only() {
        let t = OrgTree::demo();
        assert!(t.is_village_of("62-610-23284-01", "62-610-23284"));
        assert!(!t.is_village_of("62-610-23287-01", "62-610-23284"));
        // A commune is not a village of its district.
        assert!(!t.is_village_of("62-610-23284", "62-610"));
        assert!(!t.is_village_of("nowhere", "62-610-23284"));
    }

    #[test]
    fn units_roll_up_through_the_tree() {
        let t = OrgTree::demo();
        let codes = |root: &str, level| -> Vec<String> {
            t.units_within(root, level)
                .map(|u| u.code.clone())
                .collect()
        };
        assert_eq!(
            codes("62", OrgLevel::Commune),
            ["62-610-23284", "62-610-23287", "62-610-23290"]
        );
        assert_eq!(codes("62-610-23284", OrgLevel::Commune), ["62-610-23284"]);
        assert_eq!(codes("62-610-23287", OrgLevel::School).len(), 1);
        assert_eq!(codes("62-610", OrgLevel::School).len(), 3);
        assert_eq!(codes("62-610", OrgLevel::IndustrialZone).len(), 1);
        assert_eq!(codes("62-610-23284", OrgLevel::Agency).len(), 2);
        assert_eq!(codes("62-610", OrgLevel::Agency).len(), 3);
        assert!(codes("62-610-23290", OrgLevel::Agency).is_empty());
        assert!(codes("nowhere", OrgLevel::Commune).is_empty());
        assert!(t.is_within("62-610-23284-01", "62"));
        assert!(!t.is_within("62", "62-610"));
    }

    #[test]
    fn a_tablets_part_holds_its_communes_with_all_above_and_below() {
        let t = OrgTree::demo();
        let part = t.part_for(&["62-610-23284".into(), "nowhere".into()]);
        assert!(part.get("62").is_some() && part.get("62-610").is_some());
        assert_eq!(part.communes().count(), 1);
        assert!(part.is_village_of("62-610-23284-02", "62-610-23284"));
        assert_eq!(part.units_within("62", OrgLevel::Agency).count(), 2);
        assert!(part.get("62-610-23287").is_none());
        assert!(part.get("62-610-23287-01").is_none());
        assert!(t.part_for(&[]).is_empty());
        // What arrives at a tablet is a tree of its own.
        let list: Vec<OrgUnit> = part.units().cloned().collect();
        assert_eq!(OrgTree::from_units(list).unwrap(), part);
    }

    #[test]
    fn level_codes_are_their_serde_names() {
        for level in OrgLevel::ALL {
            let json = serde_json::to_string(&level).unwrap();
            assert_eq!(json, format!("\"{}\"", level.code()));
            assert_eq!(OrgLevel::from_code(level.code()), Some(level));
        }
    }

    #[test]
    fn a_dangling_parent_is_refused() {
        let err =
            OrgTree::from_json(r#"[{"code":"a","name":"A","level":"commune","parent":"zz"}]"#)
                .unwrap_err();
        assert!(matches!(err, OrgTreeError::MissingParent { .. }));
    }

    #[test]
    fn a_duplicate_code_is_refused() {
        let one = r#"{"code":"a","name":"A","level":"commune","parent":null}"#;
        let err = OrgTree::from_json(&format!("[{one},{one}]")).unwrap_err();
        assert!(matches!(err, OrgTreeError::Duplicate(c) if c == "a"));
    }

    /// Đăk Pék and Đăk Choong become Đăk Glei (mới) on 1 July 2025; that
    /// one is merged again into Đăk Glei 2 on 1 January 2026.
    fn merged_tree() -> OrgTree {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        let commune = |code, to, into: Option<&str>| OrgUnit {
            valid_to: to,
            merged_into: into.map(Into::into),
            ..OrgUnit::new(code, code, OrgLevel::Commune, Some("62"))
        };
        OrgTree::from_units(vec![
            OrgUnit::new("62", "Kon Tum", OrgLevel::Province, None),
            commune("pek", day(2025, 6, 30), Some("glei")),
            commune("choong", day(2025, 6, 30), Some("glei")),
            commune("glei", day(2025, 12, 31), Some("glei2")),
            commune("glei2", None, None),
            commune("xop", None, None),
        ])
        .unwrap()
    }

    #[test]
    fn records_count_in_the_commune_their_commune_was_merged_into() {
        let t = merged_tree();
        let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(t.counted_in("pek", on(2025, 6, 30)), "pek");
        assert_eq!(t.counted_in("pek", on(2025, 7, 1)), "glei");
        assert_eq!(t.counted_in("pek", on(2026, 1, 1)), "glei2");
        assert_eq!(t.counted_in("xop", on(2026, 1, 1)), "xop");
        assert_eq!(t.counted_in("nowhere", on(2026, 1, 1)), "nowhere");
        assert!(!t.get("pek").unwrap().in_force(on(2025, 7, 1)));
        assert!(t.get("glei").unwrap().in_force(on(2025, 7, 1)));
    }

    #[test]
    fn a_tablet_of_the_new_commune_holds_the_old_ones() {
        let t = merged_tree();
        assert_eq!(
            t.with_merged(&["glei2".into()]),
            ["choong", "glei", "glei2", "pek"]
        );
        assert_eq!(t.with_merged(&["pek".into()]), ["pek"]);
        assert_eq!(t.with_merged(&["xop".into()]), ["xop"]);
        // An old commune's tablet is told where its commune went, and
        // nothing of the commune next door.
        let part = t.part_for(&["pek".into()]);
        let codes: Vec<_> = part.units().map(|u| u.code.as_str()).collect();
        assert_eq!(codes, ["62", "glei", "glei2", "pek"]);
    }
}
