//! Rules for the PIN or passphrase that unlocks the store (mã PIN / mật khẩu
//! mở khóa ứng dụng). Shared so the screen refuses a weak PIN as it is typed
//! and the core refuses it again before wrapping the database key.
//!
//! Why these numbers: the wrapped key file can be copied off a tablet and
//! guessed at offline, where no attempt counter applies; only the cost of
//! Argon2 per guess and the number of possible PINs slow that down. Six digits
//! is the least officers will accept typing many times a day; a passphrase is
//! the stronger choice and is allowed everywhere a PIN is.

use crate::validation::{Field, FieldError, Problem};

/// A PIN made only of digits needs at least this many.
pub const MIN_PIN_DIGITS: usize = 6;
/// Anything that is not all digits is a passphrase and needs this many characters.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// Checks a new PIN or passphrase; `field` is the form field it was typed in.
/// Only a new secret is checked: unlocking compares, it does not judge.
pub fn check_new_pin(field: Field, pin: &str) -> Result<(), FieldError> {
    let digits: Option<Vec<u32>> = pin.chars().map(|c| c.to_digit(10)).collect();
    let problem = match digits {
        Some(d) if d.len() < MIN_PIN_DIGITS => Some(Problem::PinTooShort {
            min_digits: MIN_PIN_DIGITS,
            min_chars: MIN_PASSPHRASE_CHARS,
        }),
        Some(d) if too_simple(&d) => Some(Problem::PinTooSimple),
        Some(_) => None,
        None if pin.chars().count() < MIN_PASSPHRASE_CHARS => Some(Problem::PinTooShort {
            min_digits: MIN_PIN_DIGITS,
            min_chars: MIN_PASSPHRASE_CHARS,
        }),
        None => None,
    };
    match problem {
        Some(p) => Err(FieldError::new(field, p)),
        None => Ok(()),
    }
}

/// One digit repeated, or every step +1 or every step −1 (wrapping 9→0 counts
/// too, as in 890123): the PINs an attacker tries first.
fn too_simple(d: &[u32]) -> bool {
    let steps: Vec<u32> = d.windows(2).map(|w| (w[1] + 10 - w[0]) % 10).collect();
    steps.iter().all(|&s| s == 0) || steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == 9)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(pin: &str) -> Option<Problem> {
        check_new_pin(Field::Pin, pin).err().map(|e| e.problem)
    }

    #[test]
    fn accepts_six_digits_and_long_passphrases() {
        for ok in [
            "240719",
            "0918273645",
            "mùa xuân trên bản Xốp",
            "ten chars!",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn refuses_short_pins_and_passphrases() {
        for short in ["", "12345", "90817", "abc123", "mật khẩu"] {
            assert!(
                matches!(problem(short), Some(Problem::PinTooShort { .. })),
                "{short}"
            );
        }
    }

    #[test]
    fn refuses_runs_and_repeats() {
        for simple in ["000000", "123456", "987654", "8901234", "1111111111"] {
            assert_eq!(problem(simple), Some(Problem::PinTooSimple), "{simple}");
        }
        assert_eq!(problem("123457"), None);
    }

    #[test]
    fn the_message_names_the_field_in_both_languages() {
        let e = check_new_pin(Field::NewPin, "123").unwrap_err();
        assert!(e.message(crate::Lang::Vi).starts_with("Mã PIN mới: "));
        assert!(e.message(crate::Lang::En).contains("at least 6 digits"));
    }
}
