//! Staff accounts and browser sessions over any store: the rules are in
//! [`crate::rules::staff`], the rows in [`OfficeStorage`]. The office's
//! command line (`--add-staff`) and the dashboard's sign-in both come here.

pub use crate::rules::staff::*;

use crate::error::HubError;
use crate::rules::audit::Entry;
use crate::rules::devices::{hash, now, random_bytes};
use crate::storage::OfficeStorage;
use std::net::IpAddr;

/// Adds a staff account, or resets its password, unit and role if it
/// exists (which ends the sessions opened with the old password).
pub fn add_staff(
    store: &(impl OfficeStorage + ?Sized),
    username: &str,
    password: &str,
    unit: &str,
    role: Role,
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
    store.put_staff(&username, &phc, unit, role, now())?;
    Ok(())
}

/// The stored hash and unit of a staff member, to be checked outside the
/// store (a check takes tens of milliseconds on purpose).
pub fn staff_credentials(
    store: &(impl OfficeStorage + ?Sized),
    username: &str,
) -> Result<Option<(String, Staff)>, HubError> {
    store.staff_account(&normalize_username(username))
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
