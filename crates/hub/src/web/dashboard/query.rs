//! What the period and unit choosers send. Every field is text because an
//! HTML form sends empty fields as empty strings; each is read here with a
//! clear refusal, and what is left out takes today's defaults.

use super::error::DashError;
use super::html::{lang_of, percent_encode};
use chrono::{Datelike, NaiveDate};
use pcmt_model::report::{Period, PeriodKind};
use pcmt_model::{Labelled, Lang};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ReportQuery {
    pub unit: Option<String>,
    /// A `PeriodKind` code: month, half_year, year or range.
    pub kind: Option<String>,
    pub year: Option<String>,
    pub month: Option<String>,
    /// 1 (January–June) or 2.
    pub half: Option<String>,
    /// yyyy-mm-dd, as a date input sends it.
    pub from: Option<String>,
    pub until: Option<String>,
    pub lang: Option<String>,
}

fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse<T: std::str::FromStr>(v: &Option<String>, what: &str) -> Result<Option<T>, DashError> {
    filled(v)
        .map(|s| {
            s.parse::<T>()
                .map_err(|_| DashError::BadQuery(format!("{what} `{s}`")))
        })
        .transpose()
}

fn date(v: &Option<String>, what: &str) -> Result<Option<NaiveDate>, DashError> {
    filled(v)
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| DashError::BadQuery(format!("{what} `{s}`")))
        })
        .transpose()
}

impl ReportQuery {
    pub fn unit(&self) -> Option<&str> {
        filled(&self.unit)
    }

    pub fn lang(&self) -> Lang {
        lang_of(filled(&self.lang))
    }

    pub fn kind(&self) -> PeriodKind {
        filled(&self.kind)
            .and_then(PeriodKind::from_code)
            .unwrap_or(PeriodKind::Year)
    }

    /// The period asked for; without one, the current year (what an office
    /// looks at first). Month and half default to today's.
    pub fn period(&self, today: NaiveDate) -> Result<Period, DashError> {
        // A kind no chooser sends is a crafted or broken link: say so
        // rather than show a year the user did not ask for.
        if let Some(k) = filled(&self.kind).filter(|k| PeriodKind::from_code(k).is_none()) {
            return Err(DashError::BadQuery(format!("loại kỳ / period kind `{k}`")));
        }
        let year = parse::<i32>(&self.year, "năm / year")?.unwrap_or(today.year());
        if !(2000..=2100).contains(&year) {
            return Err(DashError::BadQuery(format!("năm / year {year}")));
        }
        let bad = |e: pcmt_model::report::PeriodError| DashError::BadQuery(e.to_string());
        match self.kind() {
            PeriodKind::Month => {
                let month = parse::<u32>(&self.month, "tháng / month")?.unwrap_or(today.month());
                Period::month(year, month).map_err(bad)
            }
            PeriodKind::HalfYear => {
                let half = parse::<u32>(&self.half, "6 tháng / half")?
                    .unwrap_or(if today.month() <= 6 { 1 } else { 2 });
                Period::half_year(year, half).map_err(bad)
            }
            PeriodKind::Year => Period::year(year).map_err(bad),
            PeriodKind::Range => {
                let from = date(&self.from, "từ ngày / from")?
                    .ok_or_else(|| DashError::BadQuery("từ ngày / from".into()))?;
                let until = date(&self.until, "đến ngày / until")?
                    .ok_or_else(|| DashError::BadQuery("đến ngày / until".into()))?;
                if (until - from).num_days() > 366 * 5 {
                    return Err(DashError::BadQuery("tối đa 5 năm / at most 5 years".into()));
                }
                Period::range(from, until).map_err(bad)
            }
        }
    }

    /// The same choice as a query string, with the language replaced: for
    /// the language toggle and the download links.
    pub fn to_query(&self, lang: Lang) -> String {
        let mut parts = Vec::new();
        let fields = [
            ("unit", &self.unit),
            ("kind", &self.kind),
            ("year", &self.year),
            ("month", &self.month),
            ("half", &self.half),
            ("from", &self.from),
            ("until", &self.until),
        ];
        for (name, value) in fields {
            if let Some(v) = filled(value) {
                parts.push(format!("{name}={}", percent_encode(v)));
            }
        }
        if lang == Lang::En {
            parts.push("lang=en".into());
        }
        parts.join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> ReportQuery {
        let text: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        serde_json::from_value(serde_json::Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
                .collect(),
        ))
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn each_kind_reads_its_fields_and_empty_fields_take_todays_defaults() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            ReportQuery::default().period(today).unwrap(),
            Period::year(2026).unwrap()
        );
        assert_eq!(
            q(&[("kind", "month"), ("year", "2026"), ("month", "6")])
                .period(today)
                .unwrap(),
            Period::month(2026, 6).unwrap()
        );
        assert_eq!(
            q(&[("kind", "half_year"), ("year", ""), ("half", "")])
                .period(today)
                .unwrap(),
            Period::half_year(2026, 2).unwrap()
        );
        assert_eq!(
            q(&[
                ("kind", "range"),
                ("from", "2026-03-01"),
                ("until", "2026-05-31")
            ])
            .period(today)
            .unwrap(),
            Period::range(
                NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()
            )
            .unwrap()
        );
        for bad in [
            q(&[("kind", "month"), ("month", "13")]),
            q(&[("year", "abc")]),
            q(&[
                ("kind", "range"),
                ("from", "2026-05-01"),
                ("until", "2026-04-01"),
            ]),
            q(&[("kind", "range"), ("from", "2026-05-01")]),
        ] {
            assert!(
                matches!(bad.period(today), Err(DashError::BadQuery(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_query_string_keeps_the_choice_and_switches_the_language() {
        let choice = q(&[
            ("unit", "62-610"),
            ("kind", "month"),
            ("month", "6"),
            ("from", ""),
        ]);
        assert_eq!(choice.to_query(Lang::Vi), "unit=62-610&kind=month&month=6");
        assert_eq!(
            choice.to_query(Lang::En),
            "unit=62-610&kind=month&month=6&lang=en"
        );
    }
}
