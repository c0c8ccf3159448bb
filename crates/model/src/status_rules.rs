//! How long each legal status lasts and how often an officer checks in, kept
//! as data (`data/status_rules.json`) because the law changes and the office's
//! legal officer, not a programmer, confirms the figures.

use crate::lang::Labelled;
use crate::status::LegalStatus;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// A legal duration: "từ đủ 06 tháng đến 12 tháng" is `{min: 6, max: 12}`; a
/// fixed term has `min == max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthRange {
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRule {
    pub status: LegalStatus,
    /// None where the law sets no term (e.g. methadone treatment).
    pub legal_months: Option<MonthRange>,
    /// The articles the figures come from, for the legal officer to check.
    pub source: String,
    /// The rule in a sentence, as the officer would explain it.
    pub basis: String,
    /// Days between check-ins; None where no visits are scheduled (closed).
    pub visit_interval_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RulesFile {
    note: String,
    rules: Vec<StatusRule>,
}

#[derive(Debug, thiserror::Error)]
pub enum StatusRulesError {
    #[error("status rules are not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("status {0} has no rule")]
    Missing(&'static str),
    #[error("status {0} has more than one rule")]
    Duplicate(&'static str),
    #[error("status {0}: legal months must satisfy 0 < min <= max")]
    BadMonths(&'static str),
    #[error("status {0}: a visit interval must be at least one day")]
    ZeroInterval(&'static str),
}

/// One rule per legal status, complete by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRules {
    note: String,
    /// In the order of `LegalStatus::ALL`, so a lookup cannot miss.
    rules: Vec<StatusRule>,
}

impl StatusRules {
    pub fn from_json(json: &str) -> Result<Self, StatusRulesError> {
        let file: RulesFile = serde_json::from_str(json)?;
        let mut rules = Vec::with_capacity(LegalStatus::ALL.len());
        for status in LegalStatus::ALL {
            let mut matching = file.rules.iter().filter(|r| r.status == *status);
            let rule = matching
                .next()
                .ok_or(StatusRulesError::Missing(status.code()))?;
            if matching.next().is_some() {
                return Err(StatusRulesError::Duplicate(status.code()));
            }
            if rule
                .legal_months
                .is_some_and(|m| m.min == 0 || m.min > m.max)
            {
                return Err(StatusRulesError::BadMonths(status.code()));
            }
            if rule.visit_interval_days == Some(0) {
                return Err(StatusRulesError::ZeroInterval(status.code()));
            }
            rules.push(rule.clone());
        }
        Ok(Self {
            note: file.note,
            rules,
        })
    }

    /// The rules shipped with the app (see the note inside for their status).
    pub fn bundled() -> Self {
        Self::from_json(include_str!("../data/status_rules.json"))
            .expect("the bundled status rules are checked by a unit test")
    }

    /// The caveat shipped with the figures, to show beside them.
    pub fn note(&self) -> &str {
        &self.note
    }

    pub fn rule(&self, status: LegalStatus) -> &StatusRule {
        let index = LegalStatus::ALL
            .iter()
            .position(|s| *s == status)
            .expect("ALL lists every status");
        &self.rules[index]
    }

    pub fn visit_interval_days(&self, status: LegalStatus) -> Option<u32> {
        self.rule(status).visit_interval_days
    }

    /// The last day the status may last by law when it began on `from`
    /// (the upper end of its legal term); None where the law sets no term.
    pub fn legal_end(&self, status: LegalStatus, from: NaiveDate) -> Option<NaiveDate> {
        let months = self.rule(status).legal_months?;
        from.checked_add_months(Months::new(months.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::tests::d;

    #[test]
    fn the_bundled_rules_cover_every_status_and_name_their_sources() {
        let rules = StatusRules::bundled();
        assert!(rules.note().contains("pháp chế"));
        assert!(rules.note().contains("legal officer"));
        for status in LegalStatus::ALL {
            let rule = rules.rule(*status);
            assert_eq!(rule.status, *status);
            assert!(!rule.source.is_empty() && !rule.basis.is_empty());
            // Only a closed file has no visit schedule.
            assert_eq!(
                rule.visit_interval_days.is_none(),
                *status == LegalStatus::Closed,
                "{status:?}"
            );
        }
    }

    #[test]
    fn the_bundled_terms_follow_the_2021_law() {
        let rules = StatusRules::bundled();
        let months = |s| rules.rule(s).legal_months;
        assert_eq!(
            months(LegalStatus::DrugUserManaged),
            Some(MonthRange { min: 12, max: 12 })
        );
        assert!(rules
            .rule(LegalStatus::DrugUserManaged)
            .source
            .contains("Điều 23"));
        assert_eq!(
            months(LegalStatus::VoluntaryCommunityRehab),
            Some(MonthRange { min: 6, max: 12 })
        );
        assert_eq!(
            months(LegalStatus::CompulsoryRehab),
            Some(MonthRange { min: 12, max: 24 })
        );
        assert_eq!(
            months(LegalStatus::PostRehab),
            Some(MonthRange { min: 12, max: 12 })
        );
        assert_eq!(months(LegalStatus::SubstitutionTreatment), None);
    }

    #[test]
    fn legal_end_adds_the_longest_term_in_calendar_months() {
        let rules = StatusRules::bundled();
        assert_eq!(
            rules.legal_end(LegalStatus::DrugUserManaged, d(2025, 3, 15)),
            Some(d(2026, 3, 15))
        );
        assert_eq!(
            rules.legal_end(LegalStatus::CompulsoryRehab, d(2024, 2, 29)),
            Some(d(2026, 2, 28))
        );
        assert_eq!(
            rules.legal_end(LegalStatus::SubstitutionTreatment, d(2025, 1, 1)),
            None
        );
        assert_eq!(rules.visit_interval_days(LegalStatus::PostRehab), Some(30));
    }

    fn file_with(rules: &[&str]) -> String {
        format!(r#"{{"note":"n","rules":[{}]}}"#, rules.join(","))
    }

    fn rule(status: &str, months: &str, days: &str) -> String {
        format!(
            r#"{{"status":"{status}","legal_months":{months},"source":"s","basis":"b","visit_interval_days":{days}}}"#
        )
    }

    fn all_but(skip: &str) -> Vec<String> {
        LegalStatus::ALL
            .iter()
            .filter(|s| s.code() != skip)
            .map(|s| rule(s.code(), "null", "30"))
            .collect()
    }

    #[test]
    fn a_missing_or_repeated_status_is_refused() {
        let mut rules = all_but("post_rehab");
        let refs: Vec<&str> = rules.iter().map(String::as_str).collect();
        assert!(matches!(
            StatusRules::from_json(&file_with(&refs)),
            Err(StatusRulesError::Missing("post_rehab"))
        ));
        rules.push(rule("post_rehab", "null", "30"));
        rules.push(rule("post_rehab", "null", "60"));
        let refs: Vec<&str> = rules.iter().map(String::as_str).collect();
        assert!(matches!(
            StatusRules::from_json(&file_with(&refs)),
            Err(StatusRulesError::Duplicate("post_rehab"))
        ));
    }

    #[test]
    fn impossible_terms_and_intervals_are_refused() {
        for (months, days, expect_months) in [
            (r#"{"min":12,"max":6}"#, "30", true),
            (r#"{"min":0,"max":6}"#, "30", true),
            ("null", "0", false),
        ] {
            let mut rules = all_but("closed");
            rules.push(rule("closed", months, days));
            let refs: Vec<&str> = rules.iter().map(String::as_str).collect();
            let err = StatusRules::from_json(&file_with(&refs)).unwrap_err();
            if expect_months {
                assert!(
                    matches!(err, StatusRulesError::BadMonths("closed")),
                    "{err}"
                );
            } else {
                assert!(
                    matches!(err, StatusRulesError::ZeroInterval("closed")),
                    "{err}"
                );
            }
        }
        assert!(matches!(
            StatusRules::from_json("{"),
            Err(StatusRulesError::Json(_))
        ));
    }
}
