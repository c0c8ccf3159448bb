//! Enrolment and device tokens. Codes are short enough to read out over the
//! phone; tokens are 256 random bits. Both are stored only as SHA-256 hashes
//! (a fast hash is right for high-entropy secrets; codes are also one-time
//! and expire).

use crate::error::HubError;
use pcmt_core::sync::wire::Enrolment;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Crockford base32 without I, L, O, U: nothing to misread on a phone call.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LEN: usize = 10;

/// The origin the changes a hub received from the hub above it are marked
/// with: the uplink writes as this device.
pub const UPLINK_ORIGIN: Uuid = Uuid::from_u128(0x7570_6c69_6e6b);

/// The origin of what the office writes itself (the dashboard's import of
/// the register): the nil id, that of the office's own tools, which no
/// tablet may enrol as.
pub const OFFICE_ORIGIN: Uuid = Uuid::nil();

/// What a device may touch: its communes, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub device: Uuid,
    pub communes: Vec<String>,
    /// The office data's versions, read with the device's token in the
    /// same statement: a push answers from them instead of reading them
    /// again, a round trip to PostgreSQL less at every sync. None for a
    /// scope not read from a token (the office's tools, tests), whose
    /// pushes read them.
    pub office: Option<OfficeVersions>,
}

/// The versions of what the office hands its tablets: the unit list's,
/// the plan's, and how many files were purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OfficeVersions {
    pub units: u64,
    pub plan: u64,
    pub purges: u64,
}

pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Upper case, dashes and spaces dropped: "abcd-efgh 12" is "ABCDEFGH12".
fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], HubError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| HubError::Random(e.to_string()))?;
    Ok(buf)
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A fresh code for `communes`: (its hash, the communes as stored, the
/// code as the office reads it out).
pub fn new_code(communes: &[String]) -> Result<(Vec<u8>, String, String), HubError> {
    if communes.is_empty() {
        return Err(HubError::Malformed(
            "an enrolment code needs at least one commune".into(),
        ));
    }
    let raw: String = random_bytes::<CODE_LEN>()?
        .iter()
        .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
        .collect();
    let communes =
        serde_json::to_string(communes).map_err(|e| HubError::Malformed(e.to_string()))?;
    Ok((hash(&raw), communes, format!("{}-{}", &raw[..5], &raw[5..])))
}

/// The hash a code typed by a person is looked up by.
pub fn code_hash(code: &str) -> Vec<u8> {
    hash(&normalize_code(code))
}

/// A fresh device token: (the token, its hash).
pub fn new_token() -> Result<(String, Vec<u8>), HubError> {
    let token = hex::encode(random_bytes::<32>()?);
    let hashed = hash(&token);
    Ok((token, hashed))
}

/// An enrolment code's row as both stores keep it.
pub struct CodeRow {
    pub communes: String,
    pub officer: String,
    pub expires_at: i64,
    pub used_by: Option<String>,
}

/// The communes and officer of a code that may still be used. A used,
/// expired or unknown code gets the same refusal, so a guesser learns
/// nothing.
pub fn usable_code(row: Option<CodeRow>) -> Result<CodeRow, HubError> {
    row.filter(|r| r.used_by.is_none() && r.expires_at > now())
        .ok_or_else(|| HubError::Unauthorized("enrolment code unknown, used or expired".into()))
}

/// A tablet as the office's administration page lists it: who it was
/// enrolled for, where, when, whether it is withdrawn, and what it has sent
/// (read from the audit log: its last change stored, and how many record
/// changes it brought).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub id: String,
    pub officer: String,
    pub communes: Vec<String>,
    pub enrolled_at: i64,
    pub revoked_at: Option<i64>,
    pub lost_at: Option<i64>,
    pub last_change_at: Option<i64>,
    pub records_sent: i64,
}

/// The audit actions of a record a tablet sent (`audit::Action`'s codes).
macro_rules! record_actions {
    () => {
        "('record_created', 'record_changed', 'record_deleted', 'record_restored', 'record_moved')"
    };
}

/// The listing both stores run (the same SQL in either dialect): every
/// device, newest first, with what the audit log says it sent.
pub const DEVICES_SQL: &str = concat!(
    "SELECT d.id, d.officer, d.communes, d.enrolled_at, d.revoked_at, d.lost_at,
        (SELECT max(a.at) FROM audit_log a WHERE a.device_id = d.id AND a.actor_kind = 'device'
            AND a.action IN ",
    record_actions!(),
    "),
        (SELECT count(*) FROM audit_log a WHERE a.device_id = d.id AND a.actor_kind = 'device'
            AND a.action IN ",
    record_actions!(),
    ")
 FROM devices d ORDER BY d.enrolled_at DESC, d.id"
);

/// What the tablets of one commune have sent, read from the audit log: a
/// record entry's scope is its commune alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneActivity {
    pub commune: String,
    /// The last record change a tablet brought, stored.
    pub last_at: i64,
    /// Record changes tablets brought since the time asked for.
    pub since: i64,
}

/// Per commune, the last record change its tablets brought and how many
/// since `$1` (both stores bind `$1` by position). Reads the whole log:
/// for the administration page, not a sync.
pub const COMMUNE_ACTIVITY_SQL: &str = concat!(
    "SELECT scope, max(at), count(*) FILTER (WHERE at >= $1) FROM audit_log
 WHERE actor_kind = 'device' AND action IN ",
    record_actions!(),
    " GROUP BY scope"
);

/// A row of [`COMMUNE_ACTIVITY_SQL`] (its scope as the store holds it: a
/// JSON array in SQLite, an array in PostgreSQL); none for a scope that is
/// not one commune.
pub fn commune_activity(scope: &[String], last_at: i64, since: i64) -> Option<CommuneActivity> {
    match scope {
        [commune] => Some(CommuneActivity {
            commune: commune.clone(),
            last_at,
            since,
        }),
        _ => None,
    }
}

/// A device's communes as stored (a JSON array); none if it does not read.
pub fn communes_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// A device's row as both stores read it to authenticate a token.
pub struct DeviceRow {
    pub id: String,
    /// JSON array of commune codes.
    pub communes: String,
    pub revoked: bool,
    pub lost: bool,
}

/// A device's row as its scope. A lost device is told so before a revoked
/// one: marking lost also revokes.
pub fn scope_of(row: Option<DeviceRow>) -> Result<Scope, HubError> {
    match row {
        None => Err(HubError::Unauthorized("unknown device token".into())),
        Some(DeviceRow { lost: true, .. }) => Err(HubError::Lost),
        Some(DeviceRow { revoked: true, .. }) => Err(HubError::Revoked),
        Some(DeviceRow { id, communes, .. }) => Ok(Scope {
            device: Uuid::parse_str(&id).map_err(|e| HubError::Malformed(e.to_string()))?,
            communes: serde_json::from_str(&communes)
                .map_err(|e| HubError::Malformed(e.to_string()))?,
            office: None,
        }),
    }
}

/// Refuses the enrolment of a device the office marked lost, whatever code
/// it brings, and before the code is looked at: the code stays unused.
pub fn not_lost(lost: Option<bool>) -> Result<(), HubError> {
    match lost {
        Some(true) => Err(HubError::Lost),
        _ => Ok(()),
    }
}

/// Device ids no tablet may enrol as: the nil id marks the office's own
/// tools, [`UPLINK_ORIGIN`] the changes of the hub above.
pub fn not_reserved(device: Uuid) -> Result<(), HubError> {
    if device.is_nil() || device == UPLINK_ORIGIN {
        return Err(HubError::Unauthorized(
            "Mã thiết bị này dành riêng cho máy chủ, không dùng cho máy tính bảng. \
             / This device id is reserved and cannot be enrolled."
                .into(),
        ));
    }
    Ok(())
}

/// A tablet chooses its own device id, so an id the hub already knows is
/// enrolled again only by the device that holds it: `previous_token` must
/// be the last token the hub gave that id (revoked or not). `stored` is the
/// hash of that token, `None` for an id the hub has never seen. The
/// refusal names no one.
pub fn proves_device(stored: Option<&[u8]>, previous_token: Option<&str>) -> Result<(), HubError> {
    match (stored, previous_token) {
        (None, _) => Ok(()),
        (Some(stored), Some(token)) if hash(token) == stored => Ok(()),
        (Some(_), _) => Err(taken()),
    }
}

/// The refusal of an enrolment as a device id held by another tablet.
pub fn taken() -> HubError {
    HubError::Unauthorized(
        "Mã thiết bị này đã được đăng ký cho một máy khác; máy đăng ký lại phải \
         chứng minh là chính máy đó. Hãy liên hệ văn phòng huyện. \
         / This device id is enrolled to another tablet; re-enrolling it needs \
         that tablet's proof. Contact the district office."
            .into(),
    )
}

/// The enrolment handed to the device once its token is stored.
pub fn enrolment(token: String, communes: &str, officer: String) -> Result<Enrolment, HubError> {
    Ok(Enrolment {
        token,
        communes: serde_json::from_str(communes).map_err(|e| HubError::Malformed(e.to_string()))?,
        officer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_the_same_however_it_is_typed() {
        let (hashed, _, shown) = new_code(&["62-610-23284".into()]).unwrap();
        assert_eq!(shown.len(), 11);
        assert_eq!(code_hash(&shown), hashed);
        assert_eq!(code_hash(&shown.to_lowercase().replace('-', " ")), hashed);
        assert!(new_code(&[]).is_err());
    }

    #[test]
    fn a_known_id_is_enrolled_again_only_with_its_last_token() {
        let (token, stored) = new_token().unwrap();
        let (other, _) = new_token().unwrap();
        assert!(proves_device(None, None).is_ok(), "a new id");
        assert!(proves_device(Some(&stored), Some(&token)).is_ok());
        for wrong in [None, Some(other.as_str()), Some("")] {
            assert!(matches!(
                proves_device(Some(&stored), wrong),
                Err(HubError::Unauthorized(_))
            ));
        }
        assert!(not_reserved(Uuid::nil()).is_err());
        assert!(not_reserved(UPLINK_ORIGIN).is_err());
        assert!(not_reserved(Uuid::now_v7()).is_ok());
    }
}
