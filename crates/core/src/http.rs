//! The thin HTTP transport: one POST per request, postcard bodies. It
//! carries what the sync logic ([`crate::sync`]) asks for and turns the
//! hub's refusals into [`SyncError`]s; it decides nothing else.

use crate::shared::SharedStore;
use crate::sync::wire::{self, EnrolRequest, Enrolment, PullResponse, PushAck, PROTOCOL_VERSION};
use crate::sync::{
    run_session, HubLink, Request, Response, SyncError, SyncReport, Transport, REFUSAL_HEADER,
    REFUSAL_LOST, REFUSAL_RATE_LIMITED, REFUSAL_REVOKED,
};
use crate::CoreError;
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

    /// Trades the office's one-time code for this device's token and scope,
    /// as a device the hub does not know yet (no previous token).
    pub fn enrol(&self, code: &str, device: Uuid) -> Result<Enrolment, SyncError> {
        let req = EnrolRequest {
            protocol: PROTOCOL_VERSION,
            code: code.to_string(),
            device,
            previous_token: None,
        };
        wire::decode(&self.post(ENROL_PATH, wire::encode(&req)?, self.token.as_deref())?)
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

    fn post(&self, path: &str, body: Vec<u8>, token: Option<&str>) -> Result<Vec<u8>, SyncError> {
        let mut request = self
            .client
            .post(format!("{}{}", self.base, path))
            .header("content-type", "application/octet-stream")
            .body(body);
        if let Some(token) = token {
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

    fn carry_as(&self, token: Option<&str>, request: &Request) -> Result<Response, SyncError> {
        match request {
            Request::Push(p) => {
                let body = self.post(PUSH_PATH, wire::encode(p)?, token)?;
                Ok(Response::Push(wire::decode::<PushAck>(&body)?))
            }
            Request::Pull(p) => {
                let body = self.post(PULL_PATH, wire::encode(p)?, token)?;
                Ok(Response::Pull(wire::decode::<PullResponse>(&body)?))
            }
        }
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
        self.carry_as(self.token.as_deref(), request)
    }
}

impl HubLink for HttpTransport {
    fn trade_code(&mut self, request: &EnrolRequest) -> Result<Enrolment, SyncError> {
        wire::decode(&self.post(ENROL_PATH, wire::encode(request)?, None)?)
    }

    fn carry(&mut self, token: &str, request: &Request) -> Result<Response, SyncError> {
        self.carry_as(Some(token), request)
    }
}

/// Syncs with the hub at `base_url`: [`crate::sync::run_session`] over
/// HTTP. `code` is the office's one-time code, used if the tablet holds no
/// enrolment yet.
pub fn sync_with_hub(
    store: &dyn SharedStore,
    base_url: &str,
    code: Option<&str>,
) -> Result<SyncReport, CoreError> {
    sync_with_hub_observed(store, base_url, code, &mut |_| {})
}

/// As [`sync_with_hub`], reporting progress after every exchange.
pub fn sync_with_hub_observed(
    store: &dyn SharedStore,
    base_url: &str,
    code: Option<&str>,
    progress: &mut dyn FnMut(&SyncReport),
) -> Result<SyncReport, CoreError> {
    let mut link = HttpTransport::new(base_url)?;
    run_session(store, &mut link, code, progress)
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
