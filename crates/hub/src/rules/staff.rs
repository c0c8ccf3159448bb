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
use pcmt_model::{labelled_enum, Labelled, OrgLevel, OrgTree};

/// Short enough to type, long enough that the rate limit makes guessing hopeless.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// A working day and a bit: staff sign in again the next morning.
pub const SESSION_SECS: i64 = 10 * 3600;

labelled_enum!(
    /// What an account may do (vai trò). Plain staff read the reports and
    /// the log of their unit; an administrator also manages its tablets
    /// (codes, revocation, lost tablets). An account is plain staff unless
    /// made an administrator: the first one on the command line.
    Role {
        Staff = ("staff", "Cán bộ xem báo cáo", "Staff (reports)"),
        Admin = ("admin", "Quản trị viên", "Administrator"),
    }
);

/// A signed-in staff member, the org unit they may see (with everything
/// below it), and what they may do there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub username: String,
    pub unit: String,
    pub role: Role,
}

impl Staff {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Whether `staff` may administer a tablet, or issue a code, for
/// `communes`: an administrator, and every commune (at least one) a commune
/// of their unit. A tablet reaching outside the unit is left to an
/// administrator above, whose unit covers all of it.
pub fn administers(units: &OrgTree, staff: &Staff, communes: &[String]) -> bool {
    staff.is_admin() && !communes.is_empty() && outside_unit(units, &staff.unit, communes).is_none()
}

/// Whether `staff` may replace the whole unit list: an administrator of a
/// top unit of the list (a province's office), or any administrator of a
/// hub given no list yet (the first set-up).
pub fn may_load_units(units: &OrgTree, staff: &Staff) -> bool {
    staff.is_admin() && (units.is_empty() || units.roots().any(|u| u.code == staff.unit))
}

/// The first of `codes` that is not a commune within `unit`, if any: what
/// a staff member may act on is the communes of their unit.
pub fn outside_unit<'a>(
    units: &OrgTree,
    unit: &str,
    codes: impl IntoIterator<Item = &'a String>,
) -> Option<&'a String> {
    codes
        .into_iter()
        .find(|c| !units.is_commune(c) || !units.is_within(c, unit))
}

/// An account as the administration page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub staff: Staff,
    pub created_at: i64,
    /// When an administrator disabled it: it cannot sign in, and its
    /// sessions ended then.
    pub disabled_at: Option<i64>,
}

/// What an administrator does to a staff account from the dashboard (the
/// command line's `--add-staff` keeps its own add-or-reset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffChange {
    /// A new account; refused if the username is taken.
    Create {
        phc: String,
        unit: String,
        role: Role,
    },
    /// A new password (its PHC string).
    Password {
        phc: String,
    },
    Disable,
    Enable,
    /// Another unit or role.
    Place {
        unit: String,
        role: Role,
    },
}

/// Why an administrator may not make a change to an account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffRefusal {
    #[error("not an administrator")]
    NotAdmin,
    #[error("account {0} is outside the administrator's unit")]
    NotYours(String),
    #[error("unit {0} is outside the administrator's unit")]
    UnitNotYours(String),
    #[error("an administrator cannot disable their own account or change its unit or role")]
    OwnAccount,
    #[error("no account {0}")]
    NoAccount(String),
    #[error("account {0} exists already")]
    Exists(String),
}

/// Whether `admin` may make `change` to the account `username` (`target`:
/// as stored, None when there is none). An administrator manages the
/// accounts of their unit and below, never places one outside it, and
/// never disables, moves or demotes their own (which could leave a unit
/// with nobody to administer it); resetting their own password is fine.
pub fn may_change(
    units: &OrgTree,
    admin: &Staff,
    username: &str,
    target: Option<&StaffAccount>,
    change: &StaffChange,
) -> Result<(), StaffRefusal> {
    if !admin.is_admin() {
        return Err(StaffRefusal::NotAdmin);
    }
    let within = |unit: &str| account_unit(units, unit) && units.is_within(unit, &admin.unit);
    match (target, change) {
        (Some(_), StaffChange::Create { .. }) => return Err(StaffRefusal::Exists(username.into())),
        (None, StaffChange::Create { .. }) => {}
        (None, _) => return Err(StaffRefusal::NoAccount(username.into())),
        (Some(t), _) if !within(&t.staff.unit) => {
            return Err(StaffRefusal::NotYours(username.into()))
        }
        (Some(_), StaffChange::Disable | StaffChange::Place { .. })
            if username == admin.username =>
        {
            return Err(StaffRefusal::OwnAccount)
        }
        (Some(_), _) => {}
    }
    match change {
        StaffChange::Create { unit, .. } | StaffChange::Place { unit, .. } if !within(unit) => {
            Err(StaffRefusal::UnitNotYours(unit.clone()))
        }
        _ => Ok(()),
    }
}

/// Whether `unit` covers every commune of the hub's tree (a hub with no
/// commune has nothing to cover): the office of the whole area the hub
/// serves.
pub fn covers_every_commune(units: &OrgTree, unit: &str) -> bool {
    let mut communes = units.communes().peekable();
    communes.peek().is_some() && communes.all(|c| units.is_within(&c.code, unit))
}

/// Whether `staff` may put a province plan in force: an administrator of
/// the whole area the hub serves. A commune's administrator may not move
/// its own targets.
pub fn sets_plan(units: &OrgTree, staff: &Staff) -> bool {
    staff.is_admin() && covers_every_commune(units, &staff.unit)
}

/// Whether an account may belong to `code`: an administrative unit
/// (province, district, commune), not a village, school or agency.
pub fn account_unit(units: &OrgTree, code: &str) -> bool {
    units.get(code).is_some_and(|u| {
        matches!(
            u.level,
            OrgLevel::Province | OrgLevel::District | OrgLevel::Commune
        )
    })
}

/// A role as stored; anything this version does not know is plain staff:
/// an unknown word never grants more.
pub fn stored_role(code: &str) -> Role {
    Role::from_code(code).unwrap_or(Role::Staff)
}

/// The token a dashboard form carries against cross-site requests (besides
/// the SameSite cookie): derived from the session's own secret token, so it
/// is stored nowhere, differs per session, and ends with it. A page from
/// another site can neither read the cookie nor this page to learn it.
pub fn csrf_token(session_token: &str) -> String {
    hex::encode(crate::rules::devices::hash(&format!(
        "pcmt csrf\0{session_token}"
    )))
}

/// Whether a form's token is the session's. Compared as digests, so the
/// time taken says nothing about how much of it matched.
pub fn csrf_matches(session_token: &str, sent: &str) -> bool {
    crate::rules::devices::hash(&csrf_token(session_token)) == crate::rules::devices::hash(sent)
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("the password needs at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("a username is 1 to 64 letters, digits, dots, dashes or underscores")]
    BadUsername,
    #[error("no org unit {0}")]
    UnknownUnit(String),
    #[error(transparent)]
    Refused(#[from] StaffRefusal),
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

    fn staff(unit: &str, role: Role) -> Staff {
        Staff {
            username: "a".into(),
            unit: unit.into(),
            role,
        }
    }

    #[test]
    fn an_administrator_administers_only_communes_of_their_unit() {
        let units = OrgTree::demo();
        let pek = "62-610-23284".to_string();
        let xop = "62-610-23290".to_string();
        let district = staff("62-610", Role::Admin);
        assert!(administers(&units, &district, &[pek.clone(), xop.clone()]));
        // A commune's administrator: their commune only.
        let commune = staff(&pek, Role::Admin);
        assert!(administers(&units, &commune, std::slice::from_ref(&pek)));
        assert!(!administers(&units, &commune, &[pek.clone(), xop.clone()]));
        // Plain staff never; nothing is not a scope; a village is not a commune.
        assert!(!administers(
            &units,
            &staff("62-610", Role::Staff),
            std::slice::from_ref(&pek)
        ));
        assert!(!administers(&units, &district, &[]));
        assert!(!administers(&units, &district, &["62-610-23284-01".into()]));
        assert!(!administers(&units, &district, &["99-999-99999".into()]));
    }

    fn account(username: &str, unit: &str, role: Role) -> StaffAccount {
        StaffAccount {
            staff: Staff {
                username: username.into(),
                unit: unit.into(),
                role,
            },
            created_at: 0,
            disabled_at: None,
        }
    }

    #[test]
    fn an_administrator_manages_accounts_of_their_unit_and_never_locks_themselves_out() {
        let units = OrgTree::demo();
        let pek = "62-610-23284";
        let xop = "62-610-23290";
        let admin = Staff {
            username: "a".into(),
            unit: pek.into(),
            role: Role::Admin,
        };
        let create = |unit: &str| StaffChange::Create {
            phc: "x".into(),
            unit: unit.into(),
            role: Role::Staff,
        };
        let mine = account("b", pek, Role::Staff);
        let theirs = account("c", xop, Role::Staff);
        let me = account("a", pek, Role::Admin);
        assert_eq!(may_change(&units, &admin, "b", None, &create(pek)), Ok(()));
        assert_eq!(
            may_change(&units, &admin, "b", None, &create(xop)),
            Err(StaffRefusal::UnitNotYours(xop.into()))
        );
        assert_eq!(
            may_change(&units, &admin, "b", None, &create("62-610")),
            Err(StaffRefusal::UnitNotYours("62-610".into())),
            "a unit above the administrator's is not theirs to give"
        );
        for not_a_unit in ["99-999", "62-610-23284-01"] {
            assert_eq!(
                may_change(&units, &admin, "b", None, &create(not_a_unit)),
                Err(StaffRefusal::UnitNotYours(not_a_unit.into())),
                "a village or an unknown code holds no account"
            );
        }
        assert_eq!(
            may_change(&units, &admin, "b", Some(&mine), &create(pek)),
            Err(StaffRefusal::Exists("b".into()))
        );
        assert_eq!(
            may_change(&units, &admin, "b", Some(&mine), &StaffChange::Disable),
            Ok(())
        );
        assert_eq!(
            may_change(&units, &admin, "c", Some(&theirs), &StaffChange::Disable),
            Err(StaffRefusal::NotYours("c".into()))
        );
        assert_eq!(
            may_change(&units, &admin, "z", None, &StaffChange::Enable),
            Err(StaffRefusal::NoAccount("z".into()))
        );
        let promote = StaffChange::Place {
            unit: pek.into(),
            role: Role::Admin,
        };
        assert_eq!(
            may_change(&units, &admin, "b", Some(&mine), &promote),
            Ok(())
        );
        let move_out = StaffChange::Place {
            unit: xop.into(),
            role: Role::Staff,
        };
        assert_eq!(
            may_change(&units, &admin, "b", Some(&mine), &move_out),
            Err(StaffRefusal::UnitNotYours(xop.into()))
        );
        // Their own account: a new password yes; disabled, moved or demoted no.
        let password = StaffChange::Password { phc: "y".into() };
        assert_eq!(
            may_change(&units, &admin, "a", Some(&me), &password),
            Ok(())
        );
        for change in [StaffChange::Disable, promote] {
            assert_eq!(
                may_change(&units, &admin, "a", Some(&me), &change),
                Err(StaffRefusal::OwnAccount)
            );
        }
        // Plain staff manage nothing, not even their own account.
        let plain = Staff {
            role: Role::Staff,
            ..admin
        };
        assert_eq!(
            may_change(&units, &plain, "b", None, &create(pek)),
            Err(StaffRefusal::NotAdmin)
        );
    }

    #[test]
    fn a_role_word_this_version_does_not_know_grants_nothing() {
        assert_eq!(stored_role("admin"), Role::Admin);
        assert_eq!(stored_role("staff"), Role::Staff);
        assert_eq!(stored_role("superuser"), Role::Staff);
    }

    #[test]
    fn the_form_token_is_the_sessions_own_and_no_other() {
        let token = "a".repeat(64);
        let csrf = csrf_token(&token);
        assert!(csrf_matches(&token, &csrf));
        assert!(!csrf_matches(&token, ""));
        assert!(!csrf_matches(&"b".repeat(64), &csrf));
        assert_ne!(csrf, token, "the token itself is never put in a page");
    }

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
