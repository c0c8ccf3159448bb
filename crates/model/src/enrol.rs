//! The office's one-time enrolment code (mã đăng ký) as the officer types
//! it: at first start, and again in Cài đặt › Đăng ký lại after the office
//! revoked the tablet. Only the hub can say whether a code is right; these
//! rules keep out of the store what cannot be a code, and say so beside the
//! field, the same on the screen and in the core.

use crate::api::SetupInput;
use crate::validation::{Field, FieldError, Problem};

/// An office code is read out as XXXXX-XXXXX; anything much longer is not
/// one, and is not kept.
pub const MAX_ENROL_CODE_CHARS: usize = 32;

/// The code to keep, without the spaces a phone keyboard adds around it:
/// `None` when nothing was typed (a waiting renewal code is then
/// withdrawn), refused when it is too long to be an office code.
pub fn enrol_code(typed: &str) -> Result<Option<&str>, FieldError> {
    let code = typed.trim();
    if code.chars().count() > MAX_ENROL_CODE_CHARS {
        return Err(FieldError::new(
            Field::EnrolCode,
            Problem::TooLong {
                max: MAX_ENROL_CODE_CHARS,
            },
        ));
    }
    Ok((!code.is_empty()).then_some(code))
}

impl SetupInput {
    /// First start: valid settings, and a code unless the tablet already
    /// holds an enrolment (`enrolled`), which needs none.
    pub fn validate(&self, enrolled: bool) -> Result<(), Vec<FieldError>> {
        let mut errors = self.settings.validate().err().unwrap_or_default();
        match enrol_code(&self.code) {
            Ok(None) if !enrolled => {
                errors.push(FieldError::new(Field::EnrolCode, Problem::Required))
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Settings;

    fn setup(code: &str) -> SetupInput {
        SetupInput {
            settings: Settings {
                officer: "Y Bhim Niê".into(),
                unit: "Công an xã Đăk Pék".into(),
                hub_url: "https://10.0.0.2:8787".into(),
                lock_after_min: Settings::DEFAULT_LOCK_AFTER_MIN,
                ..Settings::default()
            },
            code: code.into(),
        }
    }

    fn problems(r: Result<(), Vec<FieldError>>) -> Vec<(Field, Problem)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn a_code_is_kept_without_the_spaces_around_it_and_an_empty_one_is_none() {
        assert_eq!(enrol_code("  ABCDE-FGHJK \n"), Ok(Some("ABCDE-FGHJK")));
        assert_eq!(enrol_code(" \t"), Ok(None));
        assert_eq!(enrol_code(""), Ok(None));
    }

    #[test]
    fn a_code_longer_than_any_office_code_is_refused_beside_its_field() {
        let longest = "7".repeat(MAX_ENROL_CODE_CHARS);
        assert_eq!(enrol_code(&longest), Ok(Some(longest.as_str())));
        let e = enrol_code(&"7".repeat(MAX_ENROL_CODE_CHARS + 1)).unwrap_err();
        assert_eq!(e.field, Field::EnrolCode);
        assert_eq!(e.problem, Problem::TooLong { max: 32 });
        // Characters, not bytes: 32 Vietnamese letters are still 32.
        assert!(enrol_code(&"đ".repeat(MAX_ENROL_CODE_CHARS)).is_ok());
        // Spaces around a code do not count against it.
        assert!(enrol_code(&format!("  {longest}  ")).is_ok());
    }

    #[test]
    fn first_start_needs_a_code_only_before_the_tablet_is_enrolled() {
        assert_eq!(problems(setup("ABCDE-FGHJK").validate(false)), vec![]);
        assert_eq!(
            problems(setup("  ").validate(false)),
            vec![(Field::EnrolCode, Problem::Required)]
        );
        assert_eq!(problems(setup("").validate(true)), vec![]);
        assert_eq!(
            problems(setup(&"7".repeat(40)).validate(true)),
            vec![(Field::EnrolCode, Problem::TooLong { max: 32 })]
        );
    }

    #[test]
    fn settings_errors_come_first_and_the_codes_after_them() {
        let mut input = setup("");
        input.settings.officer = " ".into();
        assert_eq!(
            problems(input.validate(false)),
            vec![
                (Field::Officer, Problem::Required),
                (Field::EnrolCode, Problem::Required)
            ]
        );
    }
}
