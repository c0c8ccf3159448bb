//! Enrolment and device tokens. Codes are short enough to read out over the
//! phone; tokens are 256 random bits. Both are stored only as SHA-256 hashes
//! (a fast hash is right for high-entropy secrets; codes are also one-time
//! and expire).

use crate::audit::{self, Action, Entry};
use crate::storage::{self, CodeRow, DeviceRow};
use crate::store::{HubError, HubStore};
use pcmt_core::sync::wire::Enrolment;
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Crockford base32 without I, L, O, U: nothing to misread on a phone call.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LEN: usize = 10;

/// What a device may touch: its communes, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub device: Uuid,
    pub communes: Vec<String>,
}

pub(crate) fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Upper case, dashes and spaces dropped: "abcd-efgh 12" is "ABCDEFGH12".
fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], HubError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| HubError::Random(e.to_string()))?;
    Ok(buf)
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A fresh code for `communes`: (its hash, the communes as stored, the
/// code as the office reads it out).
pub(crate) fn new_code(communes: &[String]) -> Result<(Vec<u8>, String, String), HubError> {
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
pub(crate) fn code_hash(code: &str) -> Vec<u8> {
    hash(&normalize_code(code))
}

/// A fresh device token: (the token, its hash).
pub(crate) fn new_token() -> Result<(String, Vec<u8>), HubError> {
    let token = hex::encode(random_bytes::<32>()?);
    let hashed = hash(&token);
    Ok((token, hashed))
}

impl HubStore {
    /// Issues a one-time enrolment code for an officer and their communes,
    /// valid for `valid_secs`. Returns it as the office reads it out: XXXXX-XXXXX.
    pub fn issue_code(
        &mut self,
        communes: &[String],
        officer: &str,
        valid_secs: i64,
    ) -> Result<String, HubError> {
        let (code_hash, communes_json, shown) = new_code(communes)?;
        let tx = self.conn_mut().transaction()?;
        tx.execute(
            "INSERT INTO enrolment_codes (code_hash, communes, officer, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![code_hash, communes_json, officer, now() + valid_secs],
        )?;
        audit::sqlite_append(&tx, &Entry::code_issued(communes, officer))?;
        tx.commit()?;
        Ok(shown)
    }

    /// Trades a code for a device token, once. A used, expired or unknown
    /// code gets the same refusal, so a guesser learns nothing.
    pub fn enrol(&mut self, code: &str, device: Uuid) -> Result<Enrolment, HubError> {
        let tx = self.conn_mut().transaction()?;
        storage::not_lost(
            tx.query_row(
                "SELECT lost_at IS NOT NULL FROM devices WHERE id = ?1",
                [device.to_string()],
                |r| r.get(0),
            )
            .optional()?,
        )?;
        let row = tx
            .query_row(
                "SELECT communes, officer, expires_at, used_by FROM enrolment_codes WHERE code_hash = ?1",
                [code_hash(code)],
                |r| {
                    Ok(CodeRow {
                        communes: r.get(0)?,
                        officer: r.get(1)?,
                        expires_at: r.get(2)?,
                        used_by: r.get(3)?,
                    })
                },
            )
            .optional()?;
        let code_row = storage::usable_code(row)?;
        let (token, token_hash) = new_token()?;
        tx.execute(
            "UPDATE enrolment_codes SET used_by = ?2 WHERE code_hash = ?1",
            params![code_hash(code), device.to_string()],
        )?;
        tx.execute(
            "INSERT INTO devices (id, token_hash, communes, officer, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET token_hash = excluded.token_hash, communes = excluded.communes,
               officer = excluded.officer, enrolled_at = excluded.enrolled_at, revoked_at = NULL",
            params![device.to_string(), token_hash, code_row.communes, code_row.officer, now()],
        )?;
        audit::sqlite_append(
            &tx,
            &Entry::enrolled(device, &code_row.officer, &code_row.communes),
        )?;
        tx.commit()?;
        storage::enrolment(token, &code_row.communes, code_row.officer)
    }

    /// The scope of the device holding `token`.
    pub fn authenticate(&self, token: &str) -> Result<Scope, HubError> {
        let row = self
            .conn()
            .query_row(
                "SELECT id, communes, revoked_at IS NOT NULL, lost_at IS NOT NULL FROM devices WHERE token_hash = ?1",
                [hash(token)],
                |r| {
                    Ok(DeviceRow {
                        id: r.get(0)?,
                        communes: r.get(1)?,
                        revoked: r.get(2)?,
                        lost: r.get(3)?,
                    })
                },
            )
            .optional()?;
        storage::scope_of(row)
    }

    /// The office withdraws a device (officer left, token leaked).
    pub fn revoke(&mut self, device: Uuid) -> Result<bool, HubError> {
        let tx = self.conn_mut().transaction()?;
        let revoked: Option<(String, String)> = tx
            .query_row(
                "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL
                 RETURNING officer, communes",
                params![device.to_string(), now()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((officer, communes)) = &revoked {
            audit::sqlite_append(
                &tx,
                &Entry::withdrawn(Action::DeviceRevoked, device, officer, communes),
            )?;
        }
        tx.commit()?;
        Ok(revoked.is_some())
    }

    /// The office marks a device lost: refused for good, never enrolled again.
    pub fn mark_lost(&mut self, device: Uuid) -> Result<bool, HubError> {
        let tx = self.conn_mut().transaction()?;
        let lost: Option<(String, String)> = tx
            .query_row(
                "UPDATE devices SET lost_at = ?2, revoked_at = coalesce(revoked_at, ?2)
                 WHERE id = ?1 AND lost_at IS NULL RETURNING officer, communes",
                params![device.to_string(), now()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((officer, communes)) = &lost {
            audit::sqlite_append(
                &tx,
                &Entry::withdrawn(Action::DeviceLost, device, officer, communes),
            )?;
        }
        tx.commit()?;
        Ok(lost.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hash_of_a_token_is_stored() {
        let mut hub = HubStore::open_in_memory().unwrap();
        let code = hub
            .issue_code(&["62-610-23284".into()], "A Lưu", 3600)
            .unwrap();
        let e = hub.enrol(&code, Uuid::now_v7()).unwrap();
        let stored: Vec<u8> = hub
            .conn()
            .query_row("SELECT token_hash FROM devices", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, e.token.as_bytes());
        assert_eq!(stored, hash(&e.token));
    }
}
