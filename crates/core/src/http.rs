//! The thin HTTP transport: one POST per request, postcard bodies. It
//! carries what the sync logic ([`crate::sync`]) asks for and turns the
//! hub's refusals into [`SyncError`]s; it decides nothing else.

use crate::shared::SharedStore;
use crate::store::CHUNK_BYTES;
use crate::sync::attach::{
    run_attachments, AttachmentLink, AttachmentReport, HoldsRequest, HoldsResponse, HubHolds,
    UploadAck, ATTACHMENTS_PATH, ATTACHMENT_PATH, SIZE_HEADER,
};
use crate::sync::compact::COMPACT_PROTOCOL;
use crate::sync::wire::{
    self, EnrolRequest, Enrolment, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, SNAPSHOT_PROTOCOL,
};
use crate::sync::{
    run_session, HubLink, Request, Response, SyncError, SyncReport, Transport, REFUSAL_HEADER,
    REFUSAL_LOST, REFUSAL_MOVED, REFUSAL_RATE_LIMITED, REFUSAL_REVOKED,
};
use crate::tls::{self, Fingerprint, Trust};
use crate::CoreError;
use pcmt_model::{check_hub_address, ContentHash, Problem};
use std::borrow::Cow;
use std::io::Read;
use std::time::Duration;
use uuid::Uuid;

/// The device-local values a sync leaves, now kept by the store; named here
/// too for the callers that found them here first.
pub use crate::store::{LAST_SYNC, RENEWAL_CODE, WITHDRAWN};

pub const ENROL_PATH: &str = "/sync/v1/enrol";
pub const PUSH_PATH: &str = "/sync/v1/push";
pub const PULL_PATH: &str = "/sync/v1/pull";
/// Where a device offers its documents by their heads after meeting a
/// new epoch (a restored hub): only hubs that send an epoch have it.
pub const OFFER_PATH: &str = "/sync/v1/offer";

pub struct HttpTransport {
    base: String,
    token: Option<String>,
    client: reqwest::blocking::Client,
    /// Whether a certificate is pinned: a refused one then means the hub's
    /// certificate changed, not that it was never confirmed.
    pinned: bool,
    /// The certificate the TLS check last refused, if any.
    refused: tls::Refused,
    /// The protocol the hub speaks when it refused this transport's own
    /// (None until then).
    protocol: std::cell::Cell<Option<u16>>,
}

impl HttpTransport {
    /// Trades the office's one-time code for this device's token and scope,
    /// as a device the hub does not know yet (no previous token).
    pub fn enrol(&self, code: &str, device: Uuid) -> Result<Enrolment, SyncError> {
        let req = EnrolRequest {
            protocol: PROTOCOL_VERSION,
            code: code.to_string(),
            device,
            previous_token: None,
        };
        self.trade_as(self.token.as_deref(), &req)
    }

    /// A transport that trusts the public certificate authorities.
    pub fn new(base_url: &str) -> Result<Self, SyncError> {
        Self::build(base_url, &Trust::Public)
    }

    /// A transport that also trusts the certificate authority (or
    /// self-signed certificate) in `ca_pem`, besides the usual roots: for a
    /// hub whose HTTPS certificate the office made itself.
    pub fn trusting(base_url: &str, ca_pem: &[u8]) -> Result<Self, SyncError> {
        Self::build(base_url, &Trust::Authority(ca_pem))
    }

    /// A transport that trusts exactly the certificate `pin` names, or the
    /// public authorities when there is none.
    pub fn pinned(base_url: &str, pin: Option<Fingerprint>) -> Result<Self, SyncError> {
        match pin {
            Some(pin) => Self::build(base_url, &Trust::Pinned(pin)),
            None => Self::new(base_url),
        }
    }

    /// The same transport presenting `token` (the device's) on every request.
    pub fn presenting(self, token: &str) -> Self {
        Self {
            token: Some(token.to_string()),
            ..self
        }
    }

    /// Refuses an `http://` address of another machine before any client
    /// exists, so nothing (a code, a token, the register) can leave in clear.
    fn build(base_url: &str, trust: &Trust<'_>) -> Result<Self, SyncError> {
        if check_hub_address(base_url) == Err(Problem::PlainHttp) {
            return Err(SyncError::PlainHttp);
        }
        let (tls, refused) =
            tls::client_config(trust).map_err(|e| SyncError::Unreachable(e.to_string()))?;
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .use_preconfigured_tls(tls)
            .build()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        Ok(Self {
            base: base_url.trim_end_matches('/').to_string(),
            token: None,
            client,
            pinned: matches!(trust, Trust::Pinned(_)),
            refused,
            protocol: std::cell::Cell::new(None),
        })
    }

    /// What a request that got no answer means: the hub's certificate
    /// refused (nothing was sent: the handshake stopped first), or no hub.
    fn unanswered(&self, error: reqwest::Error) -> SyncError {
        let refused = self.refused.lock().ok().and_then(|mut r| r.take());
        match refused {
            Some(fingerprint) if self.pinned => SyncError::CertificateChanged { fingerprint },
            Some(fingerprint) => SyncError::UnknownCertificate { fingerprint },
            None => SyncError::Unreachable(error.to_string()),
        }
    }

    fn post(&self, path: &str, body: Vec<u8>, token: Option<&str>) -> Result<Vec<u8>, SyncError> {
        let mut request = self
            .client
            .post(format!("{}{}", self.base, path))
            // No content type: the hub reads every body as bytes, and each
            // header crosses the slow link with every request.
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Ok(self.answer(request, MAX_MESSAGE_BYTES)?.1)
    }

    /// Sends a request and reads its answer, at most `limit` bytes of it,
    /// with the size a download's answer announces ([`SIZE_HEADER`]); a
    /// refusal becomes its error.
    fn answer(
        &self,
        request: reqwest::blocking::RequestBuilder,
        limit: usize,
    ) -> Result<(Option<u64>, Vec<u8>), SyncError> {
        let resp = request.send().map_err(|e| self.unanswered(e))?;
        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (refusal, retry_after) = (header(REFUSAL_HEADER), header("retry-after"));
        let size = header(SIZE_HEADER).and_then(|s| s.parse().ok());
        if !status.is_success() {
            let (start, _) = read_at_most(resp, REFUSAL_BYTES)?;
            return Err(refusal_of(
                status.as_u16(),
                refusal.as_deref(),
                retry_after.as_deref(),
                &start,
            ));
        }
        let too_large = |size| SyncError::TooLarge { size, limit };
        if let Some(announced) = resp.content_length() {
            if announced > limit as u64 {
                return Err(too_large(usize::try_from(announced).unwrap_or(usize::MAX)));
            }
        }
        match read_at_most(resp, limit)? {
            (bytes, false) => Ok((size, bytes)),
            (bytes, true) => Err(too_large(bytes.len() + 1)),
        }
    }

    /// Sends what `body` makes of a request of `protocol`, at the protocol
    /// this transport learnt the hub speaks if it is older: a hub of
    /// protocol 2 refuses 3 with 400 in the words of its
    /// `HubError::Protocol`, and the request then goes again at 2, as do
    /// the rest of this transport's. The answer, and the protocol of the
    /// request it answers.
    fn post_speaking(
        &self,
        path: &str,
        token: Option<&str>,
        protocol: u16,
        body: impl Fn(u16) -> Result<Vec<u8>, SyncError>,
    ) -> Result<(u16, Vec<u8>), SyncError> {
        let at = self.protocol.get().map_or(protocol, |p| p.min(protocol));
        match self.post(path, body(at)?, token) {
            Err(SyncError::Refused {
                status: 400,
                message,
            }) if at >= COMPACT_PROTOCOL && refuses_protocol(&message, at) => {
                self.protocol.set(Some(SNAPSHOT_PROTOCOL));
                let answer = self.post(path, body(SNAPSHOT_PROTOCOL)?, token)?;
                Ok((SNAPSHOT_PROTOCOL, answer))
            }
            answer => Ok((at, answer?)),
        }
    }

    fn carry_as(&self, token: Option<&str>, request: &Request) -> Result<Response, SyncError> {
        let path = match request {
            Request::Push(_) => PUSH_PATH,
            Request::Pull(_) => PULL_PATH,
            Request::Offer(_) => OFFER_PATH,
        };
        let at = |p: u16| match p < request.protocol() {
            true => Cow::Owned(request.at_most(p)),
            false => Cow::Borrowed(request),
        };
        let (asked, answer) =
            self.post_speaking(path, token, request.protocol(), |p| at(p).encode())?;
        at(asked).read_answer(&answer)
    }

    fn trade_as(
        &self,
        token: Option<&str>,
        request: &EnrolRequest,
    ) -> Result<Enrolment, SyncError> {
        let (_, answer) = self.post_speaking(ENROL_PATH, token, request.protocol, |protocol| {
            wire::encode(&EnrolRequest {
                protocol,
                ..request.clone()
            })
        })?;
        wire::decode(&answer)
    }
}

/// Whether a hub's refusal (400) says it does not speak `protocol`: the
/// words of its `HubError::Protocol`, which hubs of protocol 2 send too.
pub fn refuses_protocol(message: &str, protocol: u16) -> bool {
    message.starts_with(&format!("protocol version {protocol} is not supported"))
}

/// How much of a refusal's body is read: its first 500 characters are shown.
const REFUSAL_BYTES: usize = 4096;

/// Reads an answer's body as it streams in, but never more than `limit`
/// bytes: whatever answers in the hub's place cannot fill the tablet's
/// memory. True when more followed (left unread; the connection is dropped).
fn read_at_most(
    resp: reqwest::blocking::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), SyncError> {
    let mut body = Vec::new();
    resp.take(limit as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| SyncError::Unreachable(e.to_string()))?;
    let more = body.len() > limit;
    body.truncate(limit);
    Ok((body, more))
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
        (403, Some(REFUSAL_MOVED)) => match serde_json::from_slice(body) {
            Ok(moved) => SyncError::Moved(moved),
            Err(e) => SyncError::Malformed(format!("a refusal of a moved record: {e}")),
        },
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
        self.trade_as(None, request)
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

/// As [`sync_with_hub`], reporting progress after every exchange. The
/// transport trusts the hub certificate the officer pinned, if any, and
/// only it; otherwise the public authorities.
pub fn sync_with_hub_observed(
    store: &dyn SharedStore,
    base_url: &str,
    code: Option<&str>,
    progress: &mut dyn FnMut(&SyncReport),
) -> Result<SyncReport, CoreError> {
    let pin = store.access()?.hub_certificate()?;
    let mut link = HttpTransport::pinned(base_url, pin)?;
    let mut report = run_session(store, &mut link, code, progress)?;
    // After the records, so the hub holds the records that refer to them.
    let Some(enrolment) = store.access()?.enrolment()? else {
        return Ok(report);
    };
    let records = report.clone();
    let files = run_attachments(store, &mut link, &enrolment.token, &mut |a| {
        progress(&with_attachments(&records, a))
    })?;
    report = with_attachments(&records, &files);
    Ok(report)
}

fn with_attachments(records: &SyncReport, files: &AttachmentReport) -> SyncReport {
    SyncReport {
        sent_attachments: files.uploaded.into(),
        received_attachments: files.downloaded.into(),
        attachment_bytes: files.bytes_sent + files.bytes_received,
        ..records.clone()
    }
}

/// The path of one file's chunks.
fn attachment_url(base: &str, hash: ContentHash, pos: u64) -> String {
    format!("{base}{ATTACHMENT_PATH}/{hash}?pos={pos}")
}

impl AttachmentLink for HttpTransport {
    fn holds(&mut self, token: &str, hashes: &[ContentHash]) -> Result<Vec<HubHolds>, SyncError> {
        let request = HoldsRequest {
            hashes: hashes.to_vec(),
        };
        match self.post(ATTACHMENTS_PATH, wire::encode(&request)?, Some(token)) {
            Ok(body) => Ok(wire::decode::<HoldsResponse>(&body)?.holds),
            // A hub from before attachments: they wait for its update,
            // and the records' sync goes through.
            Err(SyncError::Refused {
                status: 404 | 405, ..
            }) => Ok(vec![HubHolds::Unknown; hashes.len()]),
            Err(e) => Err(e),
        }
    }

    fn put_chunk(
        &mut self,
        token: &str,
        hash: ContentHash,
        size: u64,
        pos: u64,
        bytes: &[u8],
    ) -> Result<UploadAck, SyncError> {
        let url = format!("{}&size={size}", attachment_url(&self.base, hash, pos));
        let request = self.client.put(url).bearer_auth(token).body(bytes.to_vec());
        let (_, body) = self.answer(request, REFUSAL_BYTES)?;
        wire::decode(&body)
    }

    fn get_chunk(
        &mut self,
        token: &str,
        hash: ContentHash,
        pos: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, SyncError> {
        let request = self
            .client
            .get(attachment_url(&self.base, hash, pos))
            .bearer_auth(token);
        match self.answer(request, CHUNK_BYTES) {
            Ok((size, body)) => {
                let size = size.ok_or_else(|| {
                    SyncError::Malformed(format!("a chunk without its {SIZE_HEADER}"))
                })?;
                Ok(Some((size, body)))
            }
            Err(SyncError::Refused { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model's narrow reading of a hub address and the URL parser the
    /// transport connects with agree: every plain-HTTP address the rule
    /// lets through is read by the parser as this machine too, however it
    /// is written.
    #[test]
    fn every_plain_http_address_the_rule_allows_connects_to_this_machine() {
        let hosts = [
            "127.0.0.1",
            "127.9.9.9",
            "localhost",
            "LocalHost",
            "[::1]",
            "[0::1]",
            "127.0.0.1@10.0.0.2",
            "10.0.0.2#@127.0.0.1",
            "127.0.0.1\\@10.0.0.2",
            "127.0.0.1.nip.io",
            "127.1",
            "0x7f000001",
            "%31%32%37.0.0.1",
            "[::ffff:7f00:1]",
            "local\thost",
            "127.0.0.1\n.10.0.0.2",
            "0.0.0.0",
            "[::]",
        ];
        let mut allowed = 0;
        for host in hosts {
            for tail in ["", ":8787", ":8787/sync", "/x?y#z"] {
                let url = format!("http://{host}{tail}");
                if check_hub_address(&url).is_err() {
                    continue;
                }
                allowed += 1;
                let parsed = reqwest::Url::parse(&url).unwrap();
                let host = parsed.host_str().unwrap_or_default();
                let here = host == "localhost"
                    || host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|a| a.is_loopback());
                assert!(here, "{url} is read as {host}");
            }
        }
        // The six written plainly, and the one whose backslash both read
        // as the start of the path.
        assert_eq!(allowed, 7 * 4);
    }

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
