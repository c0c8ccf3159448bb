//! The province's plan (kế hoạch của tỉnh) as data: when each periodic
//! report is due and the target (chỉ tiêu) of each indicator. Provinces
//! differ — one plan asks for the monthly report before the 17th and the
//! half-year's before 20/6 and 20/12, another before 16/6 and 16/12 — so
//! the office sets its own, and every view of a report (the dashboard, the
//! files, the tablet) reads the deadline and the targets from the report,
//! which [`Report::apply_plan`] fills from the plan in force.
//!
//! [`Plan::bundled`] is the plan of the seeds (seed 004 §III for the
//! deadlines, seeds 000–002 and 004 for the targets): what a hub and a
//! tablet use until the office sets one.

use crate::lang::{Labelled, Lang};
use crate::report::{dmy, IndicatorCode, Period, PeriodKind, Report, Target, Unit, INDICATORS};
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// A day of the year, as plans write deadlines ("trước ngày 20/6").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayMonth {
    pub day: u32,
    pub month: u32,
}

impl DayMonth {
    pub const fn new(day: u32, month: u32) -> Self {
        Self { day, month }
    }

    fn in_year(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
    }

    /// Whether the day exists every year (29/2 does not).
    fn exists(self) -> bool {
        self.in_year(2025).is_some()
    }
}

impl std::fmt::Display for DayMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}/{:02}", self.day, self.month)
    }
}

/// One indicator's target in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlanTarget {
    pub indicator: IndicatorCode,
    pub target: Target,
}

/// Deadlines and targets of one province's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// How the office names the plan ("Kế hoạch số 45/KH-UBND"); blank for
    /// the bundled one.
    #[serde(default)]
    pub name: String,
    /// A month's report is due before this day of the next month.
    pub monthly_by_day: u32,
    /// The first half-year's report is due before this day of its year.
    pub first_half_by: DayMonth,
    /// The second half-year's, when the plan asks for one apart from the
    /// year's (None: the yearly report covers it).
    pub second_half_by: Option<DayMonth>,
    pub year_by: DayMonth,
    /// Indicators without an entry have no target.
    pub targets: Vec<PlanTarget>,
}

/// What is wrong with a plan as the office typed it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("the monthly deadline must be a day from 1 to 28, not {0}")]
    MonthlyDay(u32),
    #[error("no such day as {0}")]
    NoSuchDay(DayMonth),
    #[error("the target of {0:?} is not a number from 0 to 100")]
    Share(IndicatorCode),
    #[error("the target of {0:?} is not a number of at least 0")]
    Amount(IndicatorCode),
    #[error("{0:?} has two targets")]
    Twice(IndicatorCode),
    #[error("the plan's name is longer than 200 characters")]
    Name,
}

impl PlanError {
    /// The error in the office's words.
    pub fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::MonthlyDay(d), Lang::Vi) => {
                format!("Hạn báo cáo tháng phải là một ngày từ 1 đến 28 (tháng nào cũng có), không phải {d}.")
            }
            (Self::MonthlyDay(d), Lang::En) => {
                format!("The monthly deadline must be a day from 1 to 28 (every month has it), not {d}.")
            }
            (Self::NoSuchDay(dm), Lang::Vi) => format!("Không có ngày {dm} trong mọi năm."),
            (Self::NoSuchDay(dm), Lang::En) => format!("{dm} is not a day of every year."),
            (Self::Share(c), _) => format!(
                "{}: {}",
                c.label(lang),
                lang.pick(
                    "chỉ tiêu phải là số phần trăm từ 0 đến 100.",
                    "the target must be a percentage from 0 to 100."
                )
            ),
            (Self::Amount(c), _) => format!(
                "{}: {}",
                c.label(lang),
                lang.pick(
                    "chỉ tiêu phải là một số không âm.",
                    "the target must be a number of at least 0."
                )
            ),
            (Self::Twice(c), _) => format!(
                "{}: {}",
                c.label(lang),
                lang.pick("có hai chỉ tiêu.", "has two targets.")
            ),
            (Self::Name, _) => lang
                .pick(
                    "Tên kế hoạch dài quá 200 ký tự.",
                    "The plan's name is longer than 200 characters.",
                )
                .into(),
        }
    }
}

impl Plan {
    /// The plan of the seeds: monthly before the 17th of the next month,
    /// six-monthly before 20 June, yearly before 20 December (seed 004
    /// §III), and the targets of [`INDICATORS`].
    pub fn bundled() -> Self {
        Self {
            name: String::new(),
            monthly_by_day: 17,
            first_half_by: DayMonth::new(20, 6),
            second_half_by: None,
            year_by: DayMonth::new(20, 12),
            targets: INDICATORS
                .iter()
                .filter_map(|d| {
                    d.target.map(|target| PlanTarget {
                        indicator: d.code,
                        target,
                    })
                })
                .collect(),
        }
    }

    /// Every problem with the plan, none if it can be put in force.
    pub fn problems(&self) -> Vec<PlanError> {
        let mut out = Vec::new();
        if !(1..=28).contains(&self.monthly_by_day) {
            out.push(PlanError::MonthlyDay(self.monthly_by_day));
        }
        for dm in [
            Some(self.first_half_by),
            self.second_half_by,
            Some(self.year_by),
        ]
        .into_iter()
        .flatten()
        {
            if !dm.exists() {
                out.push(PlanError::NoSuchDay(dm));
            }
        }
        if self.name.chars().count() > 200 {
            out.push(PlanError::Name);
        }
        for (i, t) in self.targets.iter().enumerate() {
            let v = t.target.value;
            if t.indicator.def().unit == Unit::Percent {
                if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                    out.push(PlanError::Share(t.indicator));
                }
            } else if !(v.is_finite() && v >= 0.0) {
                out.push(PlanError::Amount(t.indicator));
            }
            if self.targets[..i].iter().any(|o| o.indicator == t.indicator) {
                out.push(PlanError::Twice(t.indicator));
            }
        }
        out
    }

    pub fn target(&self, code: IndicatorCode) -> Option<Target> {
        self.targets
            .iter()
            .find(|t| t.indicator == code)
            .map(|t| t.target)
    }

    /// The day a report of `period` must reach the province before; none
    /// for a free range, or a second half-year the plan leaves to the
    /// yearly report.
    pub fn due_before(&self, period: &Period) -> Option<NaiveDate> {
        let y = period.from.year();
        match period.kind {
            PeriodKind::Month => period
                .from
                .checked_add_months(Months::new(1))
                .and_then(|d| d.with_day(self.monthly_by_day)),
            PeriodKind::HalfYear if period.from.month() == 1 => self.first_half_by.in_year(y),
            PeriodKind::HalfYear => self.second_half_by.and_then(|dm| dm.in_year(y)),
            PeriodKind::Year => self.year_by.in_year(y),
            PeriodKind::Range => None,
        }
    }

    /// The deadlines in one line, as the settings page and the report's
    /// footnote say them.
    pub fn deadlines_text(&self, lang: Lang) -> String {
        let second = self
            .second_half_by
            .map(|dm| format!(" {} {dm}", lang.pick("và", "and")))
            .unwrap_or_default();
        match lang {
            Lang::Vi => format!(
                "Báo cáo tháng trước ngày {} tháng sau; 6 tháng trước {}{second}; năm trước {}",
                self.monthly_by_day, self.first_half_by, self.year_by
            ),
            Lang::En => format!(
                "Monthly before day {} of the next month; six-monthly before {}{second}; yearly before {}",
                self.monthly_by_day, self.first_half_by, self.year_by
            ),
        }
    }
}

impl Report {
    /// Puts `plan` in force on the report: its deadline, and each
    /// indicator's target and whether it is met.
    pub fn apply_plan(&mut self, plan: &Plan) {
        self.due_before = plan.due_before(&self.period);
        for i in &mut self.indicators {
            i.target = plan.target(i.code);
            i.met = i.target.zip(i.value).map(|(t, v)| t.met(v));
        }
    }

    /// "Hạn gửi báo cáo: trước ngày 17/03/2026", or nothing.
    pub fn due_text(&self, lang: Lang) -> Option<String> {
        self.due_before.map(|d| {
            format!(
                "{} {}",
                lang.pick("Hạn gửi báo cáo: trước ngày", "Due before"),
                dmy(d)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Comparison;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_bundled_plan_keeps_the_seeds_deadlines() {
        let p = Plan::bundled();
        assert!(p.problems().is_empty());
        let due = |period: Period| p.due_before(&period);
        assert_eq!(due(Period::month(2026, 2).unwrap()), Some(d(2026, 3, 17)));
        assert_eq!(due(Period::month(2026, 12).unwrap()), Some(d(2027, 1, 17)));
        assert_eq!(
            due(Period::half_year(2026, 1).unwrap()),
            Some(d(2026, 6, 20))
        );
        assert_eq!(due(Period::half_year(2026, 2).unwrap()), None);
        assert_eq!(due(Period::year(2026).unwrap()), Some(d(2026, 12, 20)));
        assert_eq!(
            due(Period::range(d(2026, 3, 5), d(2026, 3, 9)).unwrap()),
            None
        );
        assert_eq!(
            p.target(IndicatorCode::SupportReached),
            IndicatorCode::SupportReached.def().target
        );
        assert_eq!(p.target(IndicatorCode::Sessions), None);
    }

    #[test]
    fn another_provinces_plan_moves_the_deadlines_and_the_targets() {
        // The other plan of the issue: half-years before 16/6 and 16/12.
        let mut p = Plan {
            name: "Kế hoạch số 45/KH-UBND".into(),
            monthly_by_day: 15,
            first_half_by: DayMonth::new(16, 6),
            second_half_by: Some(DayMonth::new(16, 12)),
            year_by: DayMonth::new(16, 12),
            targets: vec![PlanTarget {
                indicator: IndicatorCode::SupportReached,
                target: Target {
                    comparison: Comparison::AtLeast,
                    value: 90.0,
                },
            }],
        };
        assert!(p.problems().is_empty());
        assert_eq!(
            p.due_before(&Period::month(2026, 1).unwrap()),
            Some(d(2026, 2, 15))
        );
        assert_eq!(
            p.due_before(&Period::half_year(2026, 2).unwrap()),
            Some(d(2026, 12, 16))
        );
        assert_eq!(
            p.deadlines_text(Lang::Vi),
            "Báo cáo tháng trước ngày 15 tháng sau; 6 tháng trước 16/06 và 16/12; năm trước 16/12"
        );
        // Its report: 85% reached is short of 90%, where the seeds' > 80%
        // would have called it met; files up to date lose their target.
        let mut report = crate::report::tests::report_with(vec![
            crate::report::Indicator::share(IndicatorCode::SupportReached, 17, 20),
            crate::report::Indicator::share(IndicatorCode::FilesUpToDate, 1, 2),
        ]);
        assert_eq!(report.indicators[0].met, Some(true), "the seeds' > 80%");
        assert_eq!(report.indicators[1].met, Some(false));
        report.period = Period::half_year(2026, 2).unwrap();
        report.apply_plan(&p);
        assert_eq!(report.indicators[0].met, Some(false), "85% < 90%");
        assert_eq!(report.indicators[1].target, None);
        assert_eq!(report.indicators[1].met, None);
        assert_eq!(
            report.due_text(Lang::Vi).as_deref(),
            Some("Hạn gửi báo cáo: trước ngày 16/12/2026")
        );
        p.targets.clear();
        report.apply_plan(&p);
        assert!(report.indicators.iter().all(|i| i.met.is_none()));
    }

    #[test]
    fn a_plan_that_cannot_be_in_force_says_each_problem() {
        let mut p = Plan::bundled();
        p.monthly_by_day = 31;
        p.first_half_by = DayMonth::new(31, 6);
        p.second_half_by = Some(DayMonth::new(29, 2));
        p.targets.push(PlanTarget {
            indicator: IndicatorCode::CommunesReached,
            target: Target {
                comparison: Comparison::AtLeast,
                value: 120.0,
            },
        });
        p.targets.push(PlanTarget {
            indicator: IndicatorCode::ReplantingFound,
            target: Target {
                comparison: Comparison::AtMost,
                value: -1.0,
            },
        });
        p.targets.push(PlanTarget {
            indicator: IndicatorCode::Sessions,
            target: Target {
                comparison: Comparison::AtLeast,
                value: f64::NAN,
            },
        });
        let problems = p.problems();
        assert_eq!(
            problems,
            vec![
                PlanError::MonthlyDay(31),
                PlanError::NoSuchDay(DayMonth::new(31, 6)),
                PlanError::NoSuchDay(DayMonth::new(29, 2)),
                PlanError::Share(IndicatorCode::CommunesReached),
                PlanError::Twice(IndicatorCode::CommunesReached),
                PlanError::Amount(IndicatorCode::ReplantingFound),
                PlanError::Twice(IndicatorCode::ReplantingFound),
                PlanError::Amount(IndicatorCode::Sessions),
            ]
        );
        assert_eq!(
            problems[2].text(Lang::Vi),
            "Không có ngày 29/02 trong mọi năm."
        );
        assert!(problems[3].text(Lang::Vi).starts_with(
            "Tỷ lệ xã, phường, thị trấn được tuyên truyền: chỉ tiêu phải là số phần trăm"
        ));
    }
}
