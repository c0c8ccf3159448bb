//! Field errors with messages in both languages. Every error names the field
//! it belongs to, so a form can show it beside that field.

use crate::labelled_enum;
use crate::lang::{Labelled, Lang};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

labelled_enum!(
    /// The fields a form can show an error beside.
    Field {
        Date = ("date", "Ngày", "Date"),
        Commune = ("commune", "Xã", "Commune"),
        VenueKind = ("venue_kind", "Loại địa điểm", "Venue kind"),
        VenueName = ("venue_name", "Tên địa điểm", "Venue name"),
        Form = ("form", "Hình thức", "Form"),
        Attendees = ("attendees", "Số người dự", "Attendees"),
        Women = ("women", "Số nữ", "Women"),
        Topic = ("topic", "Chủ đề", "Topic"),
    }
);

/// What is wrong with a field's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    Required,
    NotADate,
    InFuture,
    TooOld { earliest: NaiveDate },
    NotACommune,
    TooLong { max: usize },
    NotANumber,
    TooLarge { max: u32 },
    MoreThanTotal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", self.message(Lang::Vi))]
pub struct FieldError {
    pub field: Field,
    pub problem: Problem,
}

impl FieldError {
    pub fn new(field: Field, problem: Problem) -> Self {
        Self { field, problem }
    }

    /// The text shown beside the field, without the field's name.
    pub fn problem_text(&self, lang: Lang) -> String {
        match &self.problem {
            Problem::Required => lang.pick("Chưa nhập", "Required").into(),
            Problem::NotADate => lang
                .pick(
                    "Ngày không hợp lệ (dd/mm/yyyy)",
                    "Not a valid date (dd/mm/yyyy)",
                )
                .into(),
            Problem::InFuture => lang
                .pick("Không được sau ngày hôm nay", "Cannot be after today")
                .into(),
            Problem::TooOld { earliest } => match lang {
                Lang::Vi => format!("Không được trước {}", earliest.format("%d/%m/%Y")),
                Lang::En => format!("Cannot be before {}", earliest.format("%d/%m/%Y")),
            },
            Problem::NotACommune => lang
                .pick(
                    "Không phải xã trong danh mục đơn vị",
                    "Not a commune in the unit list",
                )
                .into(),
            Problem::TooLong { max } => match lang {
                Lang::Vi => format!("Dài quá {max} ký tự"),
                Lang::En => format!("Longer than {max} characters"),
            },
            Problem::NotANumber => lang
                .pick(
                    "Phải là số nguyên không âm",
                    "Must be a whole number, 0 or more",
                )
                .into(),
            Problem::TooLarge { max } => match lang {
                Lang::Vi => format!("Không được lớn hơn {max}"),
                Lang::En => format!("Cannot be more than {max}"),
            },
            Problem::MoreThanTotal => lang
                .pick(
                    "Không được lớn hơn tổng số người dự",
                    "Cannot exceed the total attendees",
                )
                .into(),
        }
    }

    /// The full message, naming the field: "Ngày: Không được sau ngày hôm nay".
    pub fn message(&self, lang: Lang) -> String {
        format!("{}: {}", self.field.label(lang), self.problem_text(lang))
    }
}

/// Reads a date as typed by an officer (dd/mm/yyyy) or as sent by a date
/// input (yyyy-mm-dd). An impossible date such as 30/02 is an error.
pub fn parse_date(field: Field, text: &str) -> Result<NaiveDate, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .map_err(|_| FieldError::new(field, Problem::NotADate))
}

/// Reads a count typed into a number box.
pub fn parse_count(field: Field, text: &str) -> Result<u32, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    t.parse::<u32>()
        .map_err(|_| FieldError::new(field, Problem::NotANumber))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_spellings_parse_and_impossible_ones_do_not() {
        let d = NaiveDate::from_ymd_opt(2026, 6, 26).unwrap();
        assert_eq!(parse_date(Field::Date, "2026-06-26"), Ok(d));
        assert_eq!(parse_date(Field::Date, " 26/06/2026 "), Ok(d));
        assert_eq!(
            parse_date(Field::Date, "30/02/2026").unwrap_err().problem,
            Problem::NotADate
        );
        assert_eq!(
            parse_date(Field::Date, "").unwrap_err().problem,
            Problem::Required
        );
    }

    #[test]
    fn counts_must_be_whole_and_not_negative() {
        assert_eq!(parse_count(Field::Attendees, "40"), Ok(40));
        for bad in ["-1", "4.5", "bốn"] {
            assert_eq!(
                parse_count(Field::Attendees, bad).unwrap_err().problem,
                Problem::NotANumber
            );
        }
    }

    #[test]
    fn messages_name_the_field_in_each_language() {
        let e = FieldError::new(Field::Women, Problem::MoreThanTotal);
        assert_eq!(
            e.message(Lang::Vi),
            "Số nữ: Không được lớn hơn tổng số người dự"
        );
        assert_eq!(
            e.message(Lang::En),
            "Women: Cannot exceed the total attendees"
        );
        assert_eq!(e.to_string(), e.message(Lang::Vi));
    }
}
