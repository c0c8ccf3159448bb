//! Checks shared by every record's `validate`: text lengths, dates against
//! today and against each other, and the collector that gathers all problems
//! so the officer fixes a form in one pass.

use crate::org::OrgTree;
use crate::validation::{Field, FieldError, Problem};
use chrono::NaiveDate;

/// The earliest date a record may carry; older entries are typing mistakes.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("2000-01-01 is a date"),
};
/// Names, places, teams: one line of text.
pub const MAX_NAME_CHARS: usize = 200;
/// Free text (notes, health, family situation): a paragraph or two.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Collects field errors in the order the form shows the fields.
#[derive(Debug, Default)]
pub(crate) struct Report {
    errs: Vec<FieldError>,
}

impl Report {
    pub(crate) fn add(&mut self, field: Field, problem: Problem) {
        self.errs.push(FieldError::new(field, problem));
    }

    pub(crate) fn check(&mut self, field: Field, problem: Option<Problem>) {
        if let Some(p) = problem {
            self.add(field, p);
        }
    }

    /// Like `check`, for the field of one entry of a list.
    pub(crate) fn check_at(&mut self, field: Field, item: usize, problem: Option<Problem>) {
        if let Some(p) = problem {
            self.errs.push(FieldError::at(field, item, p));
        }
    }

    pub(crate) fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errs.is_empty() {
            Ok(())
        } else {
            Err(self.errs)
        }
    }
}

/// A line of text the officer must fill in.
pub(crate) fn required_text(value: &str, max: usize) -> Option<Problem> {
    if value.trim().is_empty() {
        Some(Problem::Required)
    } else {
        optional_text(value, max)
    }
}

/// Text that may stay empty but not overflow what reports can print.
pub(crate) fn optional_text(value: &str, max: usize) -> Option<Problem> {
    (value.trim().chars().count() > max).then_some(Problem::TooLong { max })
}

/// A date of something that already happened, and not before `earliest`.
pub(crate) fn past_date(date: NaiveDate, earliest: NaiveDate, today: NaiveDate) -> Option<Problem> {
    if date > today {
        Some(Problem::InFuture)
    } else if date < earliest {
        Some(Problem::TooOld { earliest })
    } else {
        None
    }
}

/// The commune a record belongs to, which scopes who may see it.
pub(crate) fn commune(units: &OrgTree, code: &str) -> Option<Problem> {
    (!units.is_commune(code)).then_some(Problem::NotACommune)
}

/// The commune of a record dated `day`: one of the list, and one that
/// existed that day (a commune merged away takes no new records).
pub(crate) fn commune_on(units: &OrgTree, code: &str, day: NaiveDate) -> Option<Problem> {
    commune(units, code).or_else(|| {
        let unit = units.get(code)?;
        if unit.in_force(day) {
            return None;
        }
        let into = units.counted_in(code, day);
        Some(match (units.get(into), unit.merged_on()) {
            (Some(new), Some(on)) if into != code => Problem::CommuneMerged {
                into: new.name.clone(),
                on,
            },
            _ => Problem::CommuneNotInForce,
        })
    })
}

/// A village named on a record must lie in the record's commune.
pub(crate) fn village_of(units: &OrgTree, village: &str, commune: &str) -> Option<Problem> {
    (!units.is_village_of(village, commune)).then_some(Problem::NotAVillageOfCommune)
}

/// A date of something that already happened, after `start`: a visit after
/// management began, plants destroyed after they were found.
pub(crate) fn past_date_since(
    date: NaiveDate,
    start: NaiveDate,
    today: NaiveDate,
) -> Option<Problem> {
    if date > today {
        Some(Problem::InFuture)
    } else {
        not_before(date, start)
    }
}

/// The end (or a later event) of something that began on `start`; the same
/// day is allowed, since a status can end and the next begin on one day.
pub(crate) fn not_before(date: NaiveDate, start: NaiveDate) -> Option<Problem> {
    (date < start).then_some(Problem::BeforeStart { start })
}

/// A date that must come strictly after `date`, such as the next visit.
pub(crate) fn strictly_after(later: NaiveDate, date: NaiveDate) -> Option<Problem> {
    (later <= date).then_some(Problem::NotAfterDate { date })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn text_is_trimmed_and_counted_in_characters() {
        assert_eq!(required_text("  ", 5), Some(Problem::Required));
        // Five Vietnamese letters are ten bytes but five characters.
        assert_eq!(required_text(" Đắk Hà ", 6), None);
        assert_eq!(
            required_text("Đắk Hà", 5),
            Some(Problem::TooLong { max: 5 })
        );
        assert_eq!(optional_text("", 5), None);
        assert_eq!(
            optional_text("abcdef", 5),
            Some(Problem::TooLong { max: 5 })
        );
    }

    #[test]
    fn past_dates_stop_at_today_and_at_the_earliest() {
        let today = d(2026, 11, 24);
        assert_eq!(past_date(today, EARLIEST_DATE, today), None);
        assert_eq!(
            past_date(d(2026, 11, 25), EARLIEST_DATE, today),
            Some(Problem::InFuture)
        );
        assert_eq!(
            past_date(d(1999, 12, 31), EARLIEST_DATE, today),
            Some(Problem::TooOld {
                earliest: EARLIEST_DATE
            })
        );
    }

    #[test]
    fn events_since_a_start_stop_at_today() {
        let (start, today) = (d(2026, 3, 1), d(2026, 3, 10));
        assert_eq!(past_date_since(start, start, today), None);
        assert_eq!(past_date_since(today, start, today), None);
        assert_eq!(
            past_date_since(d(2026, 2, 28), start, today),
            Some(Problem::BeforeStart { start })
        );
        assert_eq!(
            past_date_since(d(2026, 3, 11), start, today),
            Some(Problem::InFuture)
        );
    }

    #[test]
    fn ranges_allow_the_same_day_but_next_dates_do_not() {
        let start = d(2026, 3, 1);
        assert_eq!(not_before(start, start), None);
        assert_eq!(
            not_before(d(2026, 2, 28), start),
            Some(Problem::BeforeStart { start })
        );
        assert_eq!(strictly_after(d(2026, 3, 2), start), None);
        assert_eq!(
            strictly_after(start, start),
            Some(Problem::NotAfterDate { date: start })
        );
    }

    #[test]
    fn a_report_keeps_every_problem_in_order() {
        let mut r = Report::default();
        r.check(Field::Date, None);
        r.check(Field::Team, Some(Problem::Required));
        r.check_at(Field::StatusFrom, 2, Some(Problem::Overlaps));
        let errs = r.finish().unwrap_err();
        assert_eq!(
            errs,
            vec![
                FieldError::new(Field::Team, Problem::Required),
                FieldError::at(Field::StatusFrom, 2, Problem::Overlaps),
            ]
        );
        assert_eq!(Report::default().finish(), Ok(()));
    }

    #[test]
    fn a_record_dated_after_its_communes_merger_is_told_where_it_belongs() {
        use crate::{OrgLevel, OrgUnit};
        let units = OrgTree::from_units(vec![
            OrgUnit::new("46", "Huế", OrgLevel::Province, None),
            OrgUnit {
                valid_to: Some(d(2025, 6, 30)),
                merged_into: Some("20014".into()),
                ..OrgUnit::new("19996", "Xã Hồng Kim", OrgLevel::Commune, Some("46"))
            },
            OrgUnit {
                valid_from: Some(d(2025, 7, 1)),
                ..OrgUnit::new("20014", "Xã A Lưới 1", OrgLevel::Commune, Some("46"))
            },
        ])
        .unwrap();
        assert_eq!(commune_on(&units, "19996", d(2025, 6, 30)), None);
        let merged = commune_on(&units, "19996", d(2025, 7, 1)).unwrap();
        assert_eq!(
            FieldError::new(Field::Commune, merged).problem_text(crate::Lang::Vi),
            "Xã này đã sáp nhập vào Xã A Lưới 1 từ ngày 01/07/2025: chọn Xã A Lưới 1"
        );
        assert_eq!(
            commune_on(&units, "20014", d(2025, 6, 30)),
            Some(Problem::CommuneNotInForce)
        );
        assert_eq!(commune_on(&units, "20014", d(2025, 7, 1)), None);
        assert_eq!(
            commune_on(&units, "46", d(2025, 7, 1)),
            Some(Problem::NotACommune)
        );
    }
}
