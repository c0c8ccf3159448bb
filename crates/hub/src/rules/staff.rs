//! Office staff (cán bộ văn phòng): accounts, passwords and session rules,
//! once for both stores (which only keep the rows; the sessions themselves
//! are opened in `crate::staff`). Passwords are kept as Argon2id PHC strings (salt
//! and parameters inside), checked outside the store (the SQLite store's
//! lock, a PostgreSQL connection) because a check costs tens of
//! milliseconds on purpose. A signed-in browser holds a 256-bit random token
//! in an HttpOnly, SameSite=Strict cookie; the hub keeps only its SHA-256,
//! like device tokens. Failed sign-ins are answered after a delay and
//! counted per username and per client address in memory (see
//! `crate::web::limiter`).

use super::devices::random_bytes;
use crate::error::HubError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Short enough to type, long enough that the rate limit makes guessing hopeless.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// A working day and a bit: staff sign in again the next morning.
pub const SESSION_SECS: i64 = 10 * 3600;

/// A signed-in staff member and the org unit they may see (with everything below it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub username: String,
    pub unit: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("the password needs at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("a username is 1 to 64 letters, digits, dots, dashes or underscores")]
    BadUsername,
    #[error("no org unit {0}")]
    UnknownUnit(String),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error(transparent)]
    Hub(#[from] HubError),
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's
/// minimum), which keeps a sign-in near 50 ms on the office's machine.
pub fn hash_password(password: &str) -> Result<String, StaffError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| StaffError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StaffError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string. A string that does not parse
/// matches nothing.
pub fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of no one's password, checked for unknown usernames so that a
/// wrong name takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

pub fn valid_username(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Usernames are compared as typed but without case or surrounding spaces.
pub fn normalize_username(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_phc_strings_that_verify_only_themselves() {
        let phc = hash_password("mật khẩu đủ dài").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password(&phc, "mật khẩu đủ dài"));
        assert!(!verify_password(&phc, "mật khẩu sai"));
        assert!(!verify_password("not a hash", "x"));
        assert_ne!(phc, hash_password("mật khẩu đủ dài").unwrap(), "salted");
    }
}
