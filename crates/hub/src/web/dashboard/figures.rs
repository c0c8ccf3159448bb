//! Everything one dashboard page shows, computed from the hub's projection
//! rows with the same code the tablets run (`pcmt_core::report`). Monthly
//! trends and the communes' table are reports of their own (one per month,
//! one per commune), so every figure on the page means what it means in the
//! exported workbook.

use super::error::DashError;
use chrono::{Datelike, Months, NaiveDate};
use pcmt_core::report;
use pcmt_core::report::ReportSource;
use pcmt_model::report::{IndicatorCode, Period, Report, SiteFeature};
use pcmt_model::{OrgLevel, OrgTree, Plan, StatusRules};

/// Trends show at least a year, so a monthly report still shows its
/// context, and at most three years, so the bars stay readable.
const MIN_TREND_MONTHS: u32 = 12;
const MAX_TREND_MONTHS: u32 = 36;

/// One month's figures for the trend charts.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthFigures {
    pub month: NaiveDate,
    pub sessions: f64,
    pub attendees: f64,
    /// Check-ins done (the numerator of done against due).
    pub checkins: f64,
    pub plants_destroyed: f64,
}

impl MonthFigures {
    /// "06/26": short enough for 36 bars.
    pub fn label(&self) -> String {
        self.month.format("%m/%y").to_string()
    }
}

pub struct Figures {
    pub report: Report,
    pub trends: Vec<MonthFigures>,
    /// One report per commune of the unit, in code order.
    pub communes: Vec<Report>,
    pub sites: Vec<SiteFeature>,
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The months the trend charts cover: those of the period, widened back to
/// a year and cut to the last three years.
pub fn trend_months(period: &Period) -> Vec<NaiveDate> {
    let end = first_of_month(period.until);
    let mut start = first_of_month(period.from);
    let back = |n: u32| end.checked_sub_months(Months::new(n - 1)).unwrap_or(end);
    start = start
        .min(back(MIN_TREND_MONTHS))
        .max(back(MAX_TREND_MONTHS));
    let mut months = Vec::new();
    let mut at = start;
    while at <= end {
        months.push(at);
        match at.checked_add_months(Months::new(1)) {
            Some(next) => at = next,
            None => break,
        }
    }
    months
}

fn value(r: &Report, code: IndicatorCode) -> f64 {
    r.indicator(code).and_then(|i| i.value).unwrap_or(0.0)
}

impl Figures {
    pub fn compute(
        rows: &mut dyn ReportSource,
        units: &OrgTree,
        rules: &StatusRules,
        plan: &Plan,
        unit: &str,
        period: &Period,
        today: NaiveDate,
    ) -> Result<Self, DashError> {
        let compute = |rows: &mut dyn ReportSource, unit: &str, period: &Period| {
            report::compute(rows, units, rules, unit, period, today).map(|mut r| {
                r.apply_plan(plan);
                r
            })
        };
        let report = compute(rows, unit, period)?;
        let mut trends = Vec::new();
        for month in trend_months(period) {
            let p = Period::month(month.year(), month.month())
                .map_err(|e| DashError::BadQuery(e.to_string()))?;
            let r = compute(rows, unit, &p)?;
            trends.push(MonthFigures {
                month,
                sessions: value(&r, IndicatorCode::Sessions),
                attendees: value(&r, IndicatorCode::Attendees),
                checkins: r
                    .indicator(IndicatorCode::CheckInsDone)
                    .and_then(|i| i.numerator)
                    .unwrap_or(0) as f64,
                plants_destroyed: value(&r, IndicatorCode::PlantsDestroyed),
            });
        }
        // A commune merged away before the period's end is counted in the
        // one it became part of, not listed on its own.
        let communes = units
            .units_within(unit, OrgLevel::Commune)
            .filter(|c| c.in_force(period.until))
            .map(|c| compute(rows, &c.code, period))
            .collect::<Result<Vec<_>, _>>()?;
        let sites = report::site_features(rows, units, unit, period)?;
        Ok(Self {
            report,
            trends,
            communes,
            sites,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }

    #[test]
    fn trends_cover_at_least_a_year_and_at_most_three() {
        let june = trend_months(&Period::month(2026, 6).unwrap());
        assert_eq!(
            (june[0], june[11], june.len()),
            (d(2025, 7), d(2026, 6), 12)
        );
        let year = trend_months(&Period::year(2026).unwrap());
        assert_eq!((year[0], year.len()), (d(2026, 1), 12));
        let long = trend_months(
            &Period::range(d(2020, 1), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()).unwrap(),
        );
        assert_eq!((long[0], long.len()), (d(2024, 1), 36));
    }
}
