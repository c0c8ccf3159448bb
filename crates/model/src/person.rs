//! A person under management (hồ sơ quản lý người sử dụng trái phép chất ma
//! túy, người nghiện, người sau cai): who they are, where they live, what they
//! use, who looks after them, and their legal status over time.
//!
//! This is sensitive personal data; the core encrypts it and scopes it to
//! the managing commune. Here it is only shaped and checked.

use crate::check::{
    commune, optional_text, past_date, required_text, village_of, Report, MAX_NAME_CHARS,
};
use crate::labelled_enum;
use crate::org::OrgTree;
use crate::status::{self, LegalStatus, StatusSpan};
use crate::validation::{Field, FieldError, Problem};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

labelled_enum!(
    /// Giới tính, as on the citizen ID card.
    Sex {
        Male = ("male", "Nam", "Male"),
        Female = ("female", "Nữ", "Female"),
    }
);

labelled_enum!(
    /// Chất ma túy — what a person uses, or what a test found.
    Substance {
        Heroin = ("heroin", "Heroin", "Heroin"),
        Methamphetamine = ("methamphetamine", "Ma túy đá (methamphetamine)", "Methamphetamine (crystal)"),
        Mdma = ("mdma", "Thuốc lắc (MDMA)", "MDMA / ecstasy"),
        Cannabis = ("cannabis", "Cần sa", "Cannabis"),
        Ketamine = ("ketamine", "Ketamine", "Ketamine"),
        Other = ("other", "Chất khác", "Other"),
    }
);

/// The youngest a person under management can be: the 2021 Law applies
/// testing and rehab from 12 years of age (người từ đủ 12 tuổi).
pub const MIN_AGE_YEARS: u32 = 12;
/// Older birth dates are typing mistakes.
pub const MAX_AGE_YEARS: u32 = 110;
/// Số định danh cá nhân on the CCCD card.
pub const CITIZEN_ID_DIGITS: usize = 12;
/// Vietnamese numbers have 10 digits (11 for old landlines, 11–12 with +84);
/// 9 to 15 (the E.164 maximum) leaves room for foreign numbers.
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 9..=15;

/// What the person form sends to the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInput {
    pub full_name: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// Số CCCD; not everyone has one at hand, so it may be left out.
    pub citizen_id: Option<String>,
    /// Dân tộc, as written on the ID card (Kinh, Xơ Đăng, Ba Na, …).
    pub ethnicity: String,
    pub commune: String,
    pub village: Option<String>,
    /// May be empty: some people have no fixed residence (không có nơi cư trú
    /// ổn định), which the law treats as a case of its own.
    pub address: String,
    pub phone: Option<String>,
    /// Name and phone of a relative to call (người thân).
    pub family_contact: String,
    pub substances: Vec<Substance>,
    /// Cán bộ, người được giao quản lý, giúp đỡ.
    pub officer_in_charge: String,
    /// Oldest first; the last one is in force.
    pub statuses: Vec<StatusSpan>,
}

impl PersonInput {
    /// Checks every field and reports every problem at once.
    pub fn validate(&self, units: &OrgTree, today: NaiveDate) -> Result<(), Vec<FieldError>> {
        let mut r = Report::default();
        r.check(
            Field::FullName,
            required_text(&self.full_name, MAX_NAME_CHARS),
        );
        r.check(Field::BirthDate, birth_date(self.birth_date, today));
        r.check(
            Field::CitizenId,
            filled(&self.citizen_id).and_then(citizen_id),
        );
        r.check(
            Field::Ethnicity,
            optional_text(&self.ethnicity, MAX_NAME_CHARS),
        );
        r.check(Field::Commune, commune(units, &self.commune));
        r.check(
            Field::Village,
            filled(&self.village).and_then(|v| village_of(units, v, &self.commune)),
        );
        r.check(Field::Address, optional_text(&self.address, MAX_NAME_CHARS));
        r.check(Field::Phone, filled(&self.phone).and_then(phone));
        r.check(
            Field::FamilyContact,
            optional_text(&self.family_contact, MAX_NAME_CHARS),
        );
        if self.substances.is_empty() {
            r.add(Field::Substances, Problem::Required);
        }
        r.check(
            Field::OfficerInCharge,
            required_text(&self.officer_in_charge, MAX_NAME_CHARS),
        );
        status::check_spans(&self.statuses, self.birth_date, today, &mut r);
        r.finish()
    }

    /// The status in force: the one entered last.
    pub fn current_status(&self) -> Option<LegalStatus> {
        self.current_span().map(|s| s.status)
    }

    pub fn current_span(&self) -> Option<&StatusSpan> {
        status::current(&self.statuses)
    }

    /// The day management began: no visit can predate it.
    pub fn managed_since(&self) -> Option<NaiveDate> {
        self.statuses.iter().map(|s| s.from).min()
    }
}

/// An optional text box: blank counts as not given.
fn filled(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn birth_date(born: NaiveDate, today: NaiveDate) -> Option<Problem> {
    let years_ago = |years: u32| today.checked_sub_months(Months::new(years * 12));
    let earliest = years_ago(MAX_AGE_YEARS).unwrap_or(NaiveDate::MIN);
    past_date(born, earliest, today).or_else(|| {
        let latest = years_ago(MIN_AGE_YEARS).unwrap_or(NaiveDate::MIN);
        (born > latest).then_some(Problem::TooYoung {
            min_years: MIN_AGE_YEARS,
        })
    })
}

fn citizen_id(id: &str) -> Option<Problem> {
    if !id.chars().all(|c| c.is_ascii_digit()) {
        Some(Problem::NotDigits)
    } else if id.len() != CITIZEN_ID_DIGITS {
        Some(Problem::NotTwelveDigits { found: id.len() })
    } else {
        None
    }
}

/// Spaces, dots and dashes are how numbers are written on paper
/// ("0912 345 678"); anything else is a typing mistake.
fn phone(number: &str) -> Option<Problem> {
    let rest = number.strip_prefix('+').unwrap_or(number);
    let mut digits = 0;
    for c in rest.chars() {
        match c {
            '0'..='9' => digits += 1,
            ' ' | '.' | '-' => {}
            _ => return Some(Problem::NotAPhone),
        }
    }
    (!PHONE_DIGITS.contains(&digits)).then_some(Problem::NotAPhone)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::tests::assert_well_labelled;
    use crate::status::tests::{d, span};
    use crate::status::ClosedReason;

    pub(crate) fn today() -> NaiveDate {
        d(2026, 11, 24)
    }

    pub(crate) fn good() -> PersonInput {
        crate::fixtures::person("A Lê Văn Hùng")
    }

    fn problems(p: &PersonInput) -> Vec<(Field, Problem)> {
        crate::validation::problem_pairs(p.validate(&OrgTree::demo(), today()))
    }

    #[test]
    fn a_complete_file_is_valid() {
        assert_eq!(problems(&good()), vec![]);
    }

    #[test]
    fn optional_fields_may_be_absent_or_blank() {
        let sparse = PersonInput {
            citizen_id: None,
            village: Some("  ".into()),
            phone: Some(String::new()),
            ethnicity: String::new(),
            address: String::new(),
            family_contact: String::new(),
            ..good()
        };
        assert_eq!(problems(&sparse), vec![]);
    }

    #[test]
    fn name_officer_and_substances_are_required() {
        let empty = PersonInput {
            full_name: " ".into(),
            substances: vec![],
            officer_in_charge: String::new(),
            ..good()
        };
        assert_eq!(
            problems(&empty),
            vec![
                (Field::FullName, Problem::Required),
                (Field::Substances, Problem::Required),
                (Field::OfficerInCharge, Problem::Required),
            ]
        );
        let long = PersonInput {
            full_name: "x".repeat(MAX_NAME_CHARS + 1),
            ..good()
        };
        assert_eq!(
            problems(&long),
            vec![(
                Field::FullName,
                Problem::TooLong {
                    max: MAX_NAME_CHARS
                }
            )]
        );
    }

    #[test]
    fn birth_date_is_past_plausible_and_at_least_twelve_years_ago() {
        let born = |birth_date| PersonInput {
            birth_date,
            statuses: vec![span(LegalStatus::DrugUserManaged, d(2026, 11, 1), None)],
            ..good()
        };
        assert_eq!(problems(&born(d(2014, 11, 24))), vec![]);
        assert_eq!(
            problems(&born(d(2014, 11, 25))),
            vec![(Field::BirthDate, Problem::TooYoung { min_years: 12 })]
        );
        assert_eq!(
            problems(&born(d(1916, 11, 24))),
            vec![],
            "110 years to the day is still plausible"
        );
        assert_eq!(
            problems(&born(d(1916, 11, 23))),
            vec![(
                Field::BirthDate,
                Problem::TooOld {
                    earliest: d(1916, 11, 24)
                }
            )]
        );
        let future = problems(&born(d(2026, 11, 25)));
        assert_eq!(future[0], (Field::BirthDate, Problem::InFuture));
    }

    #[test]
    fn citizen_id_is_exactly_twelve_digits() {
        let with_id = |id: &str| PersonInput {
            citizen_id: Some(id.into()),
            ..good()
        };
        assert_eq!(problems(&with_id(" 062098001234 ")), vec![]);
        for (id, found) in [("123456789", 9), ("0620980012", 10), ("0620980012345", 13)] {
            assert_eq!(
                problems(&with_id(id)),
                vec![(Field::CitizenId, Problem::NotTwelveDigits { found })],
                "{id}"
            );
        }
        for id in [
            "06209800123A",
            "062 098 001 234",
            "０６２０９８００１２３４",
        ] {
            assert_eq!(
                problems(&with_id(id)),
                vec![(Field::CitizenId, Problem::NotDigits)],
                "{id}"
            );
        }
    }

    #[test]
    fn phone_is_digits_with_an_optional_plus_and_separators() {
        let with_phone = |p: &str| PersonInput {
            phone: Some(p.into()),
            ..good()
        };
        for ok in [
            "0912345678",
            "+84 912 345 678",
            "0260.3862.123",
            "091-234-5678",
        ] {
            assert_eq!(problems(&with_phone(ok)), vec![], "{ok}");
        }
        for bad in [
            "09123",
            "0912345678901234",
            "09 12 ab 34 56",
            "84+912345678",
            "++84912345678",
        ] {
            assert_eq!(
                problems(&with_phone(bad)),
                vec![(Field::Phone, Problem::NotAPhone)],
                "{bad}"
            );
        }
    }

    #[test]
    fn commune_and_village_come_from_the_unit_tree() {
        let elsewhere = PersonInput {
            commune: "62-610".into(),
            village: Some("62-610-23284-01".into()),
            ..good()
        };
        assert_eq!(
            problems(&elsewhere),
            vec![
                (Field::Commune, Problem::NotACommune),
                (Field::Village, Problem::NotAVillageOfCommune),
            ]
        );
        let neighbour_village = PersonInput {
            village: Some("62-610-23287-01".into()),
            ..good()
        };
        assert_eq!(
            problems(&neighbour_village),
            vec![(Field::Village, Problem::NotAVillageOfCommune)]
        );
    }

    #[test]
    fn status_history_problems_name_the_span() {
        let no_history = PersonInput {
            statuses: vec![],
            ..good()
        };
        assert_eq!(
            problems(&no_history),
            vec![(Field::Statuses, Problem::Required)]
        );
        let mut overlapping = good();
        overlapping.statuses[1].from = d(2025, 7, 1);
        let errs = overlapping.validate(&OrgTree::demo(), today()).unwrap_err();
        assert_eq!(
            errs,
            vec![FieldError::at(Field::StatusFrom, 1, Problem::Overlaps)]
        );
    }

    #[test]
    fn current_status_and_start_of_management() {
        let p = good();
        assert_eq!(
            p.current_status(),
            Some(LegalStatus::VoluntaryCommunityRehab)
        );
        assert_eq!(p.managed_since(), Some(d(2025, 2, 3)));
        let mut closed = good();
        closed.statuses[1].until = Some(d(2026, 8, 1));
        closed.statuses.push(StatusSpan {
            id: uuid::Uuid::nil(),
            closed_reason: Some(ClosedReason::MovedAway),
            ..span(LegalStatus::Closed, d(2026, 8, 1), None)
        });
        assert_eq!(closed.current_status(), Some(LegalStatus::Closed));
        let none = PersonInput {
            statuses: vec![],
            ..good()
        };
        assert_eq!(none.current_status(), None);
        assert_eq!(none.managed_since(), None);
    }

    #[test]
    fn sexes_and_substances_are_well_labelled() {
        assert_well_labelled::<Sex>();
        assert_well_labelled::<Substance>();
    }
}
