//! Staff accounts and browser sessions over any store: the rules are in
//! [`crate::rules::staff`], the rows in [`OfficeStorage`]. The office's
//! command line (`--add-staff`) and the dashboard's sign-in both come here.

pub use crate::rules::staff::*;

use crate::error::HubError;
use crate::rules::audit::{Action, Entry};
use crate::rules::devices::{hash, now, random_bytes};
use crate::storage::OfficeStorage;
use pcmt_model::Labelled;
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
    // A hub given no list yet takes its first administrator for the unit
    // the list will have at its top: the province's office then loads it
    // in the dashboard (which requires that unit at the list's top).
    let units = store.units();
    if !units.is_empty() && units.get(unit).is_none() {
        return Err(StaffError::UnknownUnit(unit.into()));
    }
    let phc = hash_password(password)?;
    store.put_staff(&username, &phc, unit, role, now())?;
    Ok(())
}

/// What an administrator asks for an account from the dashboard: as
/// [`StaffChange`], with a password as typed.
#[derive(Debug, Clone)]
pub enum AccountRequest {
    Create {
        password: String,
        unit: String,
        role: Role,
    },
    Password(String),
    Disable,
    Enable,
    Place {
        unit: String,
        role: Role,
    },
}

/// Makes `admin`'s change to the account `username`, if the rules allow it
/// ([`may_change`]), hashing a new password here and never logging it; the
/// change, the end of the account's sessions and the log entry commit
/// together. False when nothing changed (disabling a disabled account).
pub fn change_account(
    store: &(impl OfficeStorage + ?Sized),
    admin: &Staff,
    username: &str,
    request: AccountRequest,
) -> Result<bool, StaffError> {
    let username = normalize_username(username);
    if !valid_username(&username) {
        return Err(StaffError::BadUsername);
    }
    let password_hash = |password: &str| {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(StaffError::WeakPassword);
        }
        hash_password(password)
    };
    let units = store.units();
    let target = store
        .staff_accounts()?
        .into_iter()
        .find(|a| a.staff.username == username);
    let change = |phc: String| match &request {
        AccountRequest::Create { unit, role, .. } => StaffChange::Create {
            phc,
            unit: unit.clone(),
            role: *role,
        },
        AccountRequest::Password(_) => StaffChange::Password { phc },
        AccountRequest::Disable => StaffChange::Disable,
        AccountRequest::Enable => StaffChange::Enable,
        AccountRequest::Place { unit, role } => StaffChange::Place {
            unit: unit.clone(),
            role: *role,
        },
    };
    // Refused before a password is hashed: a refusal costs nothing.
    may_change(
        &units,
        admin,
        &username,
        target.as_ref(),
        &change(String::new()),
    )?;
    let change = change(match &request {
        AccountRequest::Create { password, .. } | AccountRequest::Password(password) => {
            password_hash(password)?
        }
        _ => String::new(),
    });
    let action = match &change {
        StaffChange::Create { .. } => Action::StaffAdded,
        StaffChange::Password { .. } => Action::StaffPasswordReset,
        StaffChange::Disable => Action::StaffDisabled,
        StaffChange::Enable => Action::StaffEnabled,
        StaffChange::Place { .. } => Action::StaffPlaced,
    };
    let mut scope: Vec<String> = target.iter().map(|t| t.staff.unit.clone()).collect();
    let placed = match &change {
        StaffChange::Create { unit, role, .. } | StaffChange::Place { unit, role } => {
            if !scope.contains(unit) {
                scope.push(unit.clone());
            }
            Some((unit.as_str(), role.code()))
        }
        _ => None,
    };
    let logged = Entry::staff_changed(&admin.username, action, &username, scope, placed);
    Ok(store.change_staff(&username, &change, now(), &logged)?)
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
