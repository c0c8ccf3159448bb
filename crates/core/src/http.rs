//! The thin HTTP transport: one POST per request, postcard bodies.

use crate::sync::wire::{self, EnrolRequest, Enrolment, PullResponse, PushAck, PROTOCOL_VERSION};
use crate::sync::{
    Request, Response, SyncError, Transport, REFUSAL_HEADER, REFUSAL_LOST, REFUSAL_RATE_LIMITED,
    REFUSAL_REVOKED,
};
use pcmt_model::api::Withdrawal;
use pcmt_model::Labelled;
use std::time::Duration;
use uuid::Uuid;

/// The device-local values a sync leaves, now kept by the store; named here
/// too for the callers that found them here first.
pub use crate::store::{LAST_SYNC, RENEWAL_CODE, WITHDRAWN};

pub const ENROL_PATH: &str = "/sync/v1/enrol";
pub const PUSH_PATH: &str = "/sync/v1/push";
pub const PULL_PATH: &str = "/sync/v1/pull";

pub struct HttpTransport {
    base: String,
    token: Option<String>,
    client: reqwest::blocking::Client,
}

impl HttpTransport {
    /// A transport that presents `token` (the device's) on every request.
    pub fn with_token(base_url: &str, token: &str) -> Result<Self, SyncError> {
        Ok(Self::new(base_url)?.presenting(token))
    }

    /// Trades the office's one-time code for this device's token and scope.
    pub fn enrol(&self, code: &str, device: Uuid) -> Result<Enrolment, SyncError> {
        let req = EnrolRequest {
            protocol: PROTOCOL_VERSION,
            code: code.to_string(),
            device,
        };
        wire::decode(&self.post(ENROL_PATH, wire::encode(&req)?)?)
    }

    pub fn new(base_url: &str) -> Result<Self, SyncError> {
        Self::build(base_url, None)
    }

    /// A transport that also trusts the certificate authority (or
    /// self-signed certificate) in `ca_pem`, besides the usual roots: for a
    /// hub whose HTTPS certificate the office made itself.
    pub fn trusting(base_url: &str, ca_pem: &[u8]) -> Result<Self, SyncError> {
        Self::build(base_url, Some(ca_pem))
    }

    /// The same transport presenting `token` (the device's) on every request.
    pub fn presenting(self, token: &str) -> Self {
        Self {
            token: Some(token.to_string()),
            ..self
        }
    }

    fn build(base_url: &str, ca_pem: Option<&[u8]>) -> Result<Self, SyncError> {
        let unreachable = |e: reqwest::Error| SyncError::Unreachable(e.to_string());
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120));
        if let Some(pem) = ca_pem {
            builder = builder
                .add_root_certificate(reqwest::Certificate::from_pem(pem).map_err(unreachable)?);
        }
        Ok(Self {
            base: base_url.trim_end_matches('/').to_string(),
            token: None,
            client: builder.build().map_err(unreachable)?,
        })
    }

    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
        let mut request = self
            .client
            .post(format!("{}{}", self.base, path))
            .header("content-type", "application/octet-stream")
            .body(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let resp = request
            .send()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (refusal, retry_after) = (header(REFUSAL_HEADER), header("retry-after"));
        let bytes = resp
            .bytes()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        if !status.is_success() {
            return Err(refusal_of(
                status.as_u16(),
                refusal.as_deref(),
                retry_after.as_deref(),
                &bytes,
            ));
        }
        Ok(bytes.to_vec())
    }
}

/// The error a refused request means, told apart by the hub's refusal code
/// where the officer must be told something different.
fn refusal_of(
    status: u16,
    refusal: Option<&str>,
    retry_after: Option<&str>,
    body: &[u8],
) -> SyncError {
    match (status, refusal) {
        (403, Some(REFUSAL_REVOKED)) => SyncError::Revoked,
        (403, Some(REFUSAL_LOST)) => SyncError::Lost,
        (429, Some(REFUSAL_RATE_LIMITED)) => SyncError::TooManyAttempts {
            retry_after_s: retry_after
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(60),
        },
        _ => SyncError::Refused {
            status,
            message: String::from_utf8_lossy(body).chars().take(500).collect(),
        },
    }
}

impl Transport for HttpTransport {
    fn exchange(&mut self, request: &Request) -> Result<Response, SyncError> {
        match request {
            Request::Push(p) => {
                let body = self.post(PUSH_PATH, wire::encode(p)?)?;
                Ok(Response::Push(wire::decode::<PushAck>(&body)?))
            }
            Request::Pull(p) => {
                let body = self.post(PULL_PATH, wire::encode(p)?)?;
                Ok(Response::Pull(wire::decode::<PullResponse>(&body)?))
            }
        }
    }
}

/// Syncs with the hub at `base_url`. A device not yet enrolled enrols first
/// with `code` (the office's one-time code) and keeps its token; without a
/// code it is told to ask the office for one.
pub fn sync_with_hub(
    store: &dyn crate::shared::SharedStore,
    base_url: &str,
    code: Option<&str>,
) -> Result<crate::sync::SyncReport, crate::CoreError> {
    sync_with_hub_observed(store, base_url, code, &mut |_| {})
}

/// As [`sync_with_hub`], reporting progress after every exchange and
/// noting in the store the time of a finished sync, or that the hub
/// withdrew this tablet ([`WITHDRAWN`]), which a later sync that goes
/// through clears.
pub fn sync_with_hub_observed(
    store: &dyn crate::shared::SharedStore,
    base_url: &str,
    code: Option<&str>,
    progress: &mut dyn FnMut(&crate::sync::SyncReport),
) -> Result<crate::sync::SyncReport, crate::CoreError> {
    let outcome = sync_once(store, base_url, code, progress);
    let withdrawn = match &outcome {
        Ok(_) => {
            store.access()?.set_local_value(WITHDRAWN, None)?;
            return outcome;
        }
        Err(crate::CoreError::Sync(SyncError::Revoked)) => Withdrawal::Revoked,
        Err(crate::CoreError::Sync(SyncError::Lost)) => Withdrawal::Lost,
        Err(_) => return outcome,
    };
    // The refusal is what the officer must read: failing to note it for the
    // settings screen (the app locked meanwhile) must not hide it.
    if let Ok(mut s) = store.access() {
        let _ = s.set_local_value(WITHDRAWN, Some(withdrawn.code()));
    }
    outcome
}

fn sync_once(
    store: &dyn crate::shared::SharedStore,
    base_url: &str,
    code: Option<&str>,
    progress: &mut dyn FnMut(&crate::sync::SyncReport),
) -> Result<crate::sync::SyncReport, crate::CoreError> {
    renew_enrolment(store, base_url)?;
    let known = store.access()?.enrolment()?;
    let enrolment = match (known, code) {
        (Some(e), _) => e,
        (None, Some(code)) => {
            let device = store.access()?.device_id();
            let e = HttpTransport::new(base_url)?.enrol(code, device)?;
            store.access()?.set_enrolment(&e)?;
            e
        }
        (None, None) => return Err(SyncError::NotEnrolled.into()),
    };
    let mut transport = HttpTransport::with_token(base_url, &enrolment.token)?;
    let report =
        crate::sync::run_sync_observed(store, &mut transport, enrolment.communes, progress)?;
    store
        .access()?
        .set_local_value(LAST_SYNC, Some(&chrono::Utc::now().timestamp().to_string()))?;
    Ok(report)
}

/// Trades a waiting [`RENEWAL_CODE`] for a new token, replacing the old
/// enrolment only once the hub said yes: a wrong or used code leaves the
/// tablet as it was (and the code waiting, for the officer to correct).
/// New communes start their pull from the beginning of the feed.
fn renew_enrolment(
    store: &dyn crate::shared::SharedStore,
    base_url: &str,
) -> Result<(), crate::CoreError> {
    let Some(code) = store.access()?.local_value(RENEWAL_CODE)? else {
        return Ok(());
    };
    let device = store.access()?.device_id();
    let fresh = HttpTransport::new(base_url)?.enrol(&code, device)?;
    let mut s = store.access()?;
    let before = s.enrolment()?;
    s.renew_enrolment(&fresh, before.is_some_and(|b| b.communes != fresh.communes))?;
    s.set_local_value(RENEWAL_CODE, None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hubs_refusal_codes_become_their_own_errors_and_anything_else_stays_a_refusal() {
        assert_eq!(
            refusal_of(403, Some("revoked"), None, b""),
            SyncError::Revoked
        );
        assert_eq!(refusal_of(403, Some("lost"), None, b""), SyncError::Lost);
        assert_eq!(
            refusal_of(429, Some("rate-limited"), Some("120"), b""),
            SyncError::TooManyAttempts { retry_after_s: 120 }
        );
        assert_eq!(
            refusal_of(403, None, None, b"outside"),
            SyncError::Refused {
                status: 403,
                message: "outside".into()
            }
        );
        assert!(matches!(
            refusal_of(401, Some("lost"), None, b""),
            SyncError::Refused { status: 401, .. }
        ));
    }
}
