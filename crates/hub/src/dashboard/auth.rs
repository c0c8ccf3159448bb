//! Office staff (cán bộ văn phòng) and their browser sessions.
//!
//! The rules live here, once, for both stores: a store only keeps the rows
//! ([`OfficeStorage`]). Passwords are kept as Argon2id PHC strings (salt
//! and parameters inside), checked outside the store (the SQLite store's
//! lock, a PostgreSQL connection) because a check costs tens of
//! milliseconds on purpose. A signed-in browser holds a 256-bit random token
//! in an HttpOnly, SameSite=Strict cookie; the hub keeps only its SHA-256,
//! like device tokens. Failed sign-ins are answered after a delay and
//! counted per username and per client address in memory (see
//! [`crate::limiter`]).

use super::storage::OfficeStorage;
use crate::audit::Entry;
use crate::devices::{hash, now, random_bytes};
use crate::limiter::Key;
pub use crate::limiter::Limits;
use crate::store::HubError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::net::IpAddr;

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

fn valid_username(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Usernames are compared as typed but without case or surrounding spaces.
pub fn normalize_username(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// Adds a staff account, or resets its password and unit if it exists
/// (which ends the sessions opened with the old password).
pub fn add_staff(
    store: &(impl OfficeStorage + ?Sized),
    username: &str,
    password: &str,
    unit: &str,
) -> Result<(), StaffError> {
    let username = normalize_username(username);
    if !valid_username(&username) {
        return Err(StaffError::BadUsername);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StaffError::WeakPassword);
    }
    if store.units().get(unit).is_none() {
        return Err(StaffError::UnknownUnit(unit.into()));
    }
    let phc = hash_password(password)?;
    store.put_staff(&username, &phc, unit, now())?;
    Ok(())
}

/// The stored hash and unit of a staff member, to be checked outside the
/// store (a check takes tens of milliseconds on purpose).
pub fn staff_credentials(
    store: &(impl OfficeStorage + ?Sized),
    username: &str,
) -> Result<Option<(String, Staff)>, HubError> {
    let username = normalize_username(username);
    Ok(store
        .staff_account(&username)?
        .map(|(phc, unit)| (phc, Staff { username, unit })))
}

/// Opens a session for a staff member who has just proved their password,
/// and logs the sign-in in the same transaction; returns the token for the
/// cookie. The store keeps only its SHA-256.
pub fn open_session(
    store: &(impl OfficeStorage + ?Sized),
    staff: &Staff,
    address: Option<IpAddr>,
) -> Result<String, HubError> {
    let token = hex::encode(random_bytes::<32>()?);
    let now = now();
    store.put_staff_session(
        &hash(&token),
        &staff.username,
        now + SESSION_SECS,
        now,
        &Entry::signed_in(&staff.username, &staff.unit, address),
    )?;
    Ok(token)
}

/// The staff member a cookie's token belongs to, if the session is live.
pub fn session_of(
    store: &(impl OfficeStorage + ?Sized),
    token: &str,
) -> Result<Option<Staff>, HubError> {
    store.staff_session(&hash(token), now())
}

pub fn close_session(store: &(impl OfficeStorage + ?Sized), token: &str) -> Result<(), HubError> {
    store.delete_staff_session(&hash(token))
}

/// What a sign-in's failures are counted under: its username and, when
/// known, the client's address.
pub fn login_keys(username: &str, address: Option<IpAddr>) -> Vec<Key> {
    let mut keys = vec![Key::Username(normalize_username(username))];
    keys.extend(address.map(Key::login));
    keys
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

    #[test]
    fn the_limiter_blocks_a_username_after_its_failures_and_forgets_on_success() {
        use crate::limiter::Limiter;
        let limiter = Limiter::new(Limits {
            per_user: 2,
            per_address: 3,
            ..Limits::default()
        });
        let ip: IpAddr = [10, 0, 0, 7].into();
        limiter.record_failure(&login_keys("an", Some(ip)));
        assert!(limiter.blocked_for(&login_keys("an", Some(ip))).is_none());
        limiter.record_failure(&login_keys("AN", Some(ip)));
        assert!(
            limiter.blocked_for(&login_keys("an", None)).is_some(),
            "per username"
        );
        assert!(limiter.blocked_for(&login_keys("binh", Some(ip))).is_none());
        limiter.record_failure(&login_keys("binh", Some(ip)));
        assert!(
            limiter.blocked_for(&login_keys("chi", Some(ip))).is_some(),
            "per address"
        );
        limiter.forget(&login_keys("an", None)[0]);
        assert!(limiter.blocked_for(&login_keys("an", None)).is_none());
    }
}
