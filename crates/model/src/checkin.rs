//! A check-in (lần gặp, kiểm tra): one visit to a person under management,
//! whether or not they came, with a drug test if one was done.

use crate::check::{
    optional_text, past_date_since, required_text, strictly_after, Report, EARLIEST_DATE,
    MAX_NAME_CHARS, MAX_NOTE_CHARS,
};
use crate::labelled_enum;
use crate::person::{PersonInput, Substance};
use crate::validation::{Field, FieldError, Problem};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum!(
    /// Nơi gặp.
    CheckInPlace {
        Home = ("home", "Tại nhà", "Home"),
        CommuneOffice = ("commune_office", "Trụ sở UBND, Công an xã", "Commune office"),
        HealthStation = ("health_station", "Trạm y tế xã", "Commune health station"),
        Other = ("other", "Nơi khác", "Other"),
    }
);

labelled_enum!(
    /// Loại xét nghiệm chất ma túy trong cơ thể.
    TestKind {
        UrineQuick = ("urine_quick", "Test nhanh nước tiểu", "Urine quick test"),
        Other = ("other", "Loại khác", "Other"),
    }
);

labelled_enum!(
    /// Kết quả xét nghiệm.
    TestResult {
        Negative = ("negative", "Âm tính", "Negative"),
        Positive = ("positive", "Dương tính", "Positive"),
    }
);

labelled_enum!(
    /// Hỗ trợ — what the officer or supporter did for the person.
    SupportKind {
        Counselling = ("counselling", "Tư vấn", "Counselling"),
        VocationalTraining = ("vocational_training", "Học nghề", "Vocational training"),
        JobReferral = ("job_referral", "Giới thiệu việc làm", "Job referral"),
        Loan = ("loan", "Hỗ trợ vay vốn", "Loan"),
        HealthReferral = ("health_referral", "Chuyển tuyến y tế", "Health referral"),
        MethadoneAdherence = ("methadone_adherence", "Theo dõi tuân thủ điều trị Methadone", "Methadone adherence"),
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrugTest {
    pub kind: TestKind,
    pub result: TestResult,
    /// What the test found positive for; empty for a negative test.
    pub substances: Vec<Substance>,
}

/// What the check-in form sends to the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInInput {
    /// The person's record id.
    pub person: Uuid,
    pub date: NaiveDate,
    pub officer: String,
    pub place: CheckInPlace,
    pub attended: bool,
    /// Why the person did not come; only when `attended` is false.
    pub absence_reason: Option<String>,
    pub drug_test: Option<DrugTest>,
    pub health_state: String,
    /// Biểu hiện loạn thần ("ngáo đá"): the plans ask for these to be
    /// counted and followed up.
    pub psychosis_signs: bool,
    pub work_situation: String,
    pub family_situation: String,
    pub support: Vec<SupportKind>,
    pub relapse_suspected: bool,
    pub next_visit: Option<NaiveDate>,
    pub notes: String,
}

impl CheckInInput {
    /// Checks the visit against today and against the person's file: nobody
    /// is visited before their management began.
    pub fn validate(&self, person: &PersonInput, today: NaiveDate) -> Result<(), Vec<FieldError>> {
        let mut r = Report::default();
        let since = person.managed_since().unwrap_or(EARLIEST_DATE);
        r.check(Field::Date, past_date_since(self.date, since, today));
        r.check(Field::Officer, required_text(&self.officer, MAX_NAME_CHARS));
        r.check(Field::AbsenceReason, self.absence_reason_problem());
        if let Some(test) = &self.drug_test {
            // A test needs the person there.
            if !self.attended {
                r.add(Field::TestKind, Problem::NotApplicable);
            }
            r.check(Field::TestSubstances, test_substances(test));
        }
        for (field, text) in [
            (Field::HealthState, &self.health_state),
            (Field::WorkSituation, &self.work_situation),
            (Field::FamilySituation, &self.family_situation),
        ] {
            r.check(field, optional_text(text, MAX_NOTE_CHARS));
        }
        if let Some(next) = self.next_visit {
            r.check(Field::NextVisit, strictly_after(next, self.date));
        }
        r.check(Field::Notes, optional_text(&self.notes, MAX_NOTE_CHARS));
        r.finish()
    }

    fn absence_reason_problem(&self) -> Option<Problem> {
        let reason = self.absence_reason.as_deref().unwrap_or("");
        if self.attended {
            (!reason.trim().is_empty()).then_some(Problem::NotApplicable)
        } else {
            required_text(reason, MAX_NAME_CHARS)
        }
    }
}

fn test_substances(test: &DrugTest) -> Option<Problem> {
    match (test.result, test.substances.is_empty()) {
        (TestResult::Positive, true) => Some(Problem::Required),
        (TestResult::Negative, false) => Some(Problem::NotApplicable),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::tests::assert_well_labelled;
    use crate::person::tests::{good as person, today};
    use crate::status::tests::d;

    pub(crate) fn visit(date: NaiveDate) -> CheckInInput {
        crate::fixtures::checkin(Uuid::nil(), date)
    }

    fn problems(c: &CheckInInput) -> Vec<(Field, Problem)> {
        crate::validation::problem_pairs(c.validate(&person(), today()))
    }

    #[test]
    fn a_complete_visit_is_valid() {
        let c = CheckInInput {
            next_visit: Some(d(2026, 12, 8)),
            ..visit(d(2026, 11, 24))
        };
        assert_eq!(problems(&c), vec![]);
    }

    #[test]
    fn the_date_is_not_in_the_future_nor_before_management_began() {
        assert_eq!(
            problems(&visit(d(2026, 11, 25))),
            vec![(Field::Date, Problem::InFuture)]
        );
        // The file in `person()` starts on 3 February 2025.
        assert_eq!(problems(&visit(d(2025, 2, 3))), vec![]);
        assert_eq!(
            problems(&visit(d(2025, 2, 2))),
            vec![(
                Field::Date,
                Problem::BeforeStart {
                    start: d(2025, 2, 3)
                }
            )]
        );
    }

    #[test]
    fn the_next_visit_comes_after_this_one() {
        let same_day = CheckInInput {
            next_visit: Some(d(2026, 11, 20)),
            ..visit(d(2026, 11, 20))
        };
        assert_eq!(
            problems(&same_day),
            vec![(
                Field::NextVisit,
                Problem::NotAfterDate {
                    date: d(2026, 11, 20)
                }
            )]
        );
    }

    #[test]
    fn an_absence_needs_a_reason_and_an_attendance_needs_none() {
        let absent = CheckInInput {
            attended: false,
            absence_reason: Some("  ".into()),
            drug_test: None,
            ..visit(d(2026, 11, 20))
        };
        assert_eq!(
            problems(&absent),
            vec![(Field::AbsenceReason, Problem::Required)]
        );
        let excused = CheckInInput {
            absence_reason: Some("Đi làm thuê ở Kon Tum".into()),
            ..absent.clone()
        };
        assert_eq!(problems(&excused), vec![]);
        let contradictory = CheckInInput {
            absence_reason: Some("Đi làm thuê".into()),
            ..visit(d(2026, 11, 20))
        };
        assert_eq!(
            problems(&contradictory),
            vec![(Field::AbsenceReason, Problem::NotApplicable)]
        );
    }

    #[test]
    fn a_drug_test_needs_the_person_present() {
        let absent_tested = CheckInInput {
            attended: false,
            absence_reason: Some("Ốm".into()),
            ..visit(d(2026, 11, 20))
        };
        assert_eq!(
            problems(&absent_tested),
            vec![(Field::TestKind, Problem::NotApplicable)]
        );
    }

    #[test]
    fn a_positive_test_names_what_it_found_and_a_negative_one_nothing() {
        let test = |result, substances| CheckInInput {
            drug_test: Some(DrugTest {
                kind: TestKind::UrineQuick,
                result,
                substances,
            }),
            ..visit(d(2026, 11, 20))
        };
        assert_eq!(
            problems(&test(TestResult::Positive, vec![])),
            vec![(Field::TestSubstances, Problem::Required)]
        );
        assert_eq!(
            problems(&test(
                TestResult::Positive,
                vec![Substance::Methamphetamine]
            )),
            vec![]
        );
        assert_eq!(
            problems(&test(TestResult::Negative, vec![Substance::Heroin])),
            vec![(Field::TestSubstances, Problem::NotApplicable)]
        );
    }

    #[test]
    fn free_text_and_officer_have_limits() {
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        let c = CheckInInput {
            officer: String::new(),
            health_state: long.clone(),
            work_situation: long.clone(),
            family_situation: long.clone(),
            notes: long,
            ..visit(d(2026, 11, 20))
        };
        let too_long = Problem::TooLong {
            max: MAX_NOTE_CHARS,
        };
        assert_eq!(
            problems(&c),
            vec![
                (Field::Officer, Problem::Required),
                (Field::HealthState, too_long.clone()),
                (Field::WorkSituation, too_long.clone()),
                (Field::FamilySituation, too_long.clone()),
                (Field::Notes, too_long),
            ]
        );
    }

    #[test]
    fn check_in_choices_are_well_labelled() {
        assert_well_labelled::<CheckInPlace>();
        assert_well_labelled::<TestKind>();
        assert_well_labelled::<TestResult>();
        assert_well_labelled::<SupportKind>();
    }
}
