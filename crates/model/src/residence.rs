//! Chuyển nơi cư trú: a person under management moving to another commune
//! of the district, and where they lived on each day since.
//!
//! A person file belongs to one commune at a time (its `commune`); a move
//! hands it, with its whole history, to another. The moves are kept in the
//! file (oldest first), so reports can count the person in each commune
//! for the days they lived there and the old commune's tablets can say
//! where the file went.

use crate::check::past_date_since;
use crate::org::OrgTree;
use crate::report::dmy;
use crate::validation::{Field, FieldError, Problem};
use crate::Lang;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One move, as the person file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// Nil until the core gives one (the list merges item by item).
    #[serde(default)]
    pub id: Uuid,
    pub from: String,
    pub to: String,
    /// The first day the person lives in `to`.
    pub on: NaiveDate,
    /// Who recorded it: the officer, or "Văn phòng: <username>".
    pub by: String,
}

/// What the move form (or the office's) sends: where to, from which day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveInput {
    pub to: String,
    pub on: NaiveDate,
}

impl MoveInput {
    /// Checks a move of a person of `from`, managed since `managed_since`,
    /// who moved `before` already: to another commune with the same parent
    /// unit (the district) in `units`, on a day not in the future, not
    /// before management began and not before the last move.
    pub fn validate(
        &self,
        units: &OrgTree,
        from: &str,
        managed_since: Option<NaiveDate>,
        before: &[Move],
        today: NaiveDate,
    ) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Some(problem) = destination(units, from, &self.to) {
            errors.push(FieldError::new(Field::MoveTo, problem));
        }
        let start = before
            .iter()
            .map(|m| m.on)
            .chain(managed_since)
            .max()
            .unwrap_or(NaiveDate::MIN);
        if let Some(problem) = past_date_since(self.on, start, today) {
            errors.push(FieldError::new(Field::MoveOn, problem));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Why `to` cannot take a file of `from`, if it cannot.
fn destination(units: &OrgTree, from: &str, to: &str) -> Option<Problem> {
    if !units.is_commune(to) {
        Some(Problem::NotACommune)
    } else if to == from {
        Some(Problem::SameCommune)
    } else if !same_district(units, from, to) {
        Some(Problem::OutsideDistrict)
    } else {
        None
    }
}

/// Whether two communes of `units` lie under the same unit (the district;
/// the province where there are no districts).
pub fn same_district(units: &OrgTree, a: &str, b: &str) -> bool {
    let parent = |c: &str| units.get(c).and_then(|u| u.parent.clone());
    units.is_commune(a) && units.is_commune(b) && parent(a).is_some() && parent(a) == parent(b)
}

/// The move in force: the latest by day (the later in the list on a tie).
pub fn last(moves: &[Move]) -> Option<&Move> {
    moves
        .iter()
        .enumerate()
        .max_by_key(|(i, m)| (m.on, *i))
        .map(|(_, m)| m)
}

/// A stretch of days a person lived in one commune: from `from` (None:
/// since before any move) up to the day before `until` (None: still).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stay<'a> {
    pub commune: &'a str,
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

/// Where a person of `commune` (the file's commune now) who made `moves`
/// lived, oldest first. Without moves, one stay with no bounds.
pub fn stays<'a>(commune: &'a str, moves: &'a [Move]) -> Vec<Stay<'a>> {
    let mut ordered: Vec<&Move> = moves.iter().collect();
    ordered.sort_by_key(|m| m.on);
    let mut out = Vec::with_capacity(ordered.len() + 1);
    let mut from = None;
    for m in &ordered {
        out.push(Stay {
            commune: m.from.as_str(),
            from,
            until: Some(m.on),
        });
        from = Some(m.on);
    }
    out.push(Stay {
        commune,
        from,
        until: None,
    });
    out
}

/// The commune a person lived in on `day`.
pub fn commune_on<'a>(commune: &'a str, moves: &'a [Move], day: NaiveDate) -> &'a str {
    stays(commune, moves)
        .into_iter()
        .find(|s| s.until.is_none_or(|u| day < u))
        .map_or(commune, |s| s.commune)
}

/// What the old commune's tablets tell the officer of a file that moved:
/// "Người này đã chuyển đến Xã B từ ngày dd/mm/yyyy: hồ sơ do xã B quản lý".
pub fn moved_text(lang: Lang, to_name: &str, on: NaiveDate) -> String {
    let lower = lower_first(to_name);
    match lang {
        Lang::Vi => format!(
            "Người này đã chuyển đến {to_name} từ ngày {}: hồ sơ do {lower} quản lý",
            dmy(on)
        ),
        Lang::En => format!(
            "This person moved to {to_name} on {}: the file is managed by {to_name}",
            dmy(on)
        ),
    }
}

/// "Xã Đăk Pék" → "xã Đăk Pék", as a name reads inside a sentence.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::tests::d;

    const PEK: &str = "62-610-23284";
    const CHOONG: &str = "62-610-23287";

    fn moved(from: &str, to: &str, on: NaiveDate) -> Move {
        Move {
            id: Uuid::nil(),
            from: from.into(),
            to: to.into(),
            on,
            by: "Cán bộ A".into(),
        }
    }

    fn problems(input: &MoveInput, before: &[Move]) -> Vec<(Field, Problem)> {
        crate::validation::problem_pairs(input.validate(
            &OrgTree::demo(),
            PEK,
            Some(d(2025, 2, 3)),
            before,
            d(2026, 11, 24),
        ))
    }

    #[test]
    fn a_move_goes_to_another_commune_of_the_district_on_a_past_day_after_management_began() {
        let ok = MoveInput {
            to: CHOONG.into(),
            on: d(2026, 3, 1),
        };
        assert_eq!(problems(&ok, &[]), vec![]);
        let same = MoveInput {
            to: PEK.into(),
            ..ok.clone()
        };
        assert_eq!(
            problems(&same, &[]),
            vec![(Field::MoveTo, Problem::SameCommune)]
        );
        let village = MoveInput {
            to: "62-610-23284-01".into(),
            ..ok.clone()
        };
        assert_eq!(
            problems(&village, &[]),
            vec![(Field::MoveTo, Problem::NotACommune)]
        );
        let future = MoveInput {
            on: d(2026, 11, 25),
            ..ok.clone()
        };
        assert_eq!(
            problems(&future, &[]),
            vec![(Field::MoveOn, Problem::InFuture)]
        );
        let before_management = MoveInput {
            on: d(2025, 2, 2),
            ..ok.clone()
        };
        assert_eq!(
            problems(&before_management, &[]),
            vec![(
                Field::MoveOn,
                Problem::BeforeStart {
                    start: d(2025, 2, 3)
                }
            )]
        );
        let earlier = [moved(CHOONG, PEK, d(2026, 5, 1))];
        assert_eq!(
            problems(&ok, &earlier),
            vec![(
                Field::MoveOn,
                Problem::BeforeStart {
                    start: d(2026, 5, 1)
                }
            )],
            "a move cannot predate the last one"
        );
    }

    #[test]
    fn a_commune_of_another_district_is_refused() {
        let units = OrgTree::from_json(
            r#"[{"code":"p","name":"Tỉnh","level":"province","parent":null},
                {"code":"d1","name":"Huyện 1","level":"district","parent":"p"},
                {"code":"d2","name":"Huyện 2","level":"district","parent":"p"},
                {"code":"a","name":"Xã A","level":"commune","parent":"d1"},
                {"code":"b","name":"Xã B","level":"commune","parent":"d1"},
                {"code":"c","name":"Xã C","level":"commune","parent":"d2"}]"#,
        )
        .expect("a good tree");
        assert!(same_district(&units, "a", "b"));
        assert!(!same_district(&units, "a", "c"));
        assert!(!same_district(&units, "a", "d1"));
        let to_c = MoveInput {
            to: "c".into(),
            on: d(2026, 3, 1),
        };
        assert_eq!(
            crate::validation::problem_pairs(to_c.validate(
                &units,
                "a",
                None,
                &[],
                d(2026, 11, 24)
            )),
            vec![(Field::MoveTo, Problem::OutsideDistrict)]
        );
    }

    #[test]
    fn stays_tell_where_the_person_lived_on_each_day() {
        let moves = [
            moved(CHOONG, "62-610-23290", d(2026, 8, 1)),
            moved(PEK, CHOONG, d(2026, 3, 1)),
        ];
        let s = stays("62-610-23290", &moves);
        assert_eq!(
            s,
            vec![
                Stay {
                    commune: PEK,
                    from: None,
                    until: Some(d(2026, 3, 1))
                },
                Stay {
                    commune: CHOONG,
                    from: Some(d(2026, 3, 1)),
                    until: Some(d(2026, 8, 1))
                },
                Stay {
                    commune: "62-610-23290",
                    from: Some(d(2026, 8, 1)),
                    until: None
                },
            ]
        );
        assert_eq!(commune_on("62-610-23290", &moves, d(2026, 2, 28)), PEK);
        assert_eq!(commune_on("62-610-23290", &moves, d(2026, 3, 1)), CHOONG);
        assert_eq!(
            commune_on("62-610-23290", &moves, d(2026, 8, 1)),
            "62-610-23290"
        );
        assert_eq!(commune_on(PEK, &[], d(2026, 8, 1)), PEK);
        assert_eq!(last(&moves).map(|m| m.on), Some(d(2026, 8, 1)));
    }

    #[test]
    fn the_old_communes_words_name_the_new_commune_and_the_day() {
        assert_eq!(
            moved_text(Lang::Vi, "Xã Đăk Choong", d(2026, 3, 1)),
            "Người này đã chuyển đến Xã Đăk Choong từ ngày 01/03/2026: hồ sơ do xã Đăk Choong quản lý"
        );
        assert_eq!(
            moved_text(Lang::En, "Xã Đăk Choong", d(2026, 3, 1)),
            "This person moved to Xã Đăk Choong on 01/03/2026: the file is managed by Xã Đăk Choong"
        );
    }
}
