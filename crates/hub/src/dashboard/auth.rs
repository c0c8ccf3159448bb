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
//! [`LoginLimiter`]).

use super::storage::OfficeStorage;
use crate::audit::Entry;
use crate::devices::{hash, now, random_bytes};
use crate::store::HubError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// Failed sign-ins counted in memory, per username and per client address,
/// over a sliding window. Simple on purpose: one hub process serves one
/// office, a restart forgets the counts (an attacker gains a few guesses per
/// restart), and nothing is written to disk for a wrong password. Hub
/// processes sharing a PostgreSQL database count apart: N processes behind
/// one address allow N times the tries. A successful sign-in clears its
/// username's count.
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    pub limits: Limits,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures allowed per username within `window`.
    pub per_user: usize,
    /// Failures allowed per client address within `window` (an office shares one address).
    pub per_address: usize,
    pub window: Duration,
    /// Every wrong answer waits this long: guessing gets slow even under the limit.
    pub failure_delay: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_user: 5,
            per_address: 30,
            window: Duration::from_secs(15 * 60),
            failure_delay: Duration::from_secs(1),
        }
    }
}

impl LoginLimiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            limits,
        }
    }

    fn keys(username: &str, address: Option<IpAddr>) -> [Option<String>; 2] {
        [
            Some(format!("user:{}", normalize_username(username))),
            address.map(|a| format!("addr:{a}")),
        ]
    }

    /// How long until a sign-in may be tried again, if the limit is reached.
    pub fn blocked_for(&self, username: &str, address: Option<IpAddr>) -> Option<Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let window = self.limits.window;
        let [user, addr] = Self::keys(username, address);
        let mut wait = None;
        for (key, limit) in [
            (user, self.limits.per_user),
            (addr, self.limits.per_address),
        ] {
            let Some(key) = key else { continue };
            let Some(times) = map.get_mut(&key) else {
                continue;
            };
            times.retain(|t| now.duration_since(*t) < window);
            if times.len() >= limit {
                let oldest = times.first().copied().unwrap_or(now);
                let left = window.saturating_sub(now.duration_since(oldest));
                wait = Some(wait.map_or(left, |w: Duration| w.max(left)));
            }
        }
        map.retain(|_, t| !t.is_empty());
        wait
    }

    pub fn record_failure(&self, username: &str, address: Option<IpAddr>) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in Self::keys(username, address).into_iter().flatten() {
            map.entry(key).or_default().push(Instant::now());
        }
    }

    pub fn record_success(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let [Some(user), _] = Self::keys(username, None) {
            map.remove(&user);
        }
    }
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
        let limiter = LoginLimiter::new(Limits {
            per_user: 2,
            per_address: 3,
            ..Limits::default()
        });
        let ip: IpAddr = [10, 0, 0, 7].into();
        limiter.record_failure("an", Some(ip));
        assert!(limiter.blocked_for("an", Some(ip)).is_none());
        limiter.record_failure("AN", Some(ip));
        assert!(limiter.blocked_for("an", None).is_some(), "per username");
        assert!(limiter.blocked_for("binh", Some(ip)).is_none());
        limiter.record_failure("binh", Some(ip));
        assert!(
            limiter.blocked_for("chi", Some(ip)).is_some(),
            "per address"
        );
        limiter.record_success("an");
        assert!(limiter.blocked_for("an", None).is_none());
    }
}
