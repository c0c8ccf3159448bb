//! Upward sync (district → province): a hub is a device of the hub above
//! it, with the same protocol. It pushes the changes of its own feed the
//! higher hub lacks (by feed position), and pulls the higher hub's feed into
//! its own. Changes that came from above are marked with [`UPLINK_ORIGIN`]
//! and never pushed back up; the higher hub never sends a hub back its own.
//! Sans-IO like the device side: [`Uplink`] decides, a `Transport` carries.

use crate::error::HubError;
pub use crate::rules::devices::UPLINK_ORIGIN;
use crate::rules::protocol::{Writer, UPLINK_PULL_KEY};
use crate::storage::HubStorage;
use pcmt_core::http::HttpTransport;
use pcmt_core::sync::wire::{
    Enrolment, Epoch, PullRequest, PushRequest, BATCH_BYTES, OLDEST_PROTOCOL, PROTOCOL_VERSION,
};
use pcmt_core::sync::{Request, Response, SyncReport, Transport};
use pcmt_core::tls::Fingerprint;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use uuid::Uuid;

/// This hub's identity as a device of the hub above.
pub fn hub_id(hub: &dyn HubStorage) -> Result<Uuid, HubError> {
    if let Some(id) = hub.meta("hub_id")?.and_then(|s| Uuid::parse_str(&s).ok()) {
        return Ok(id);
    }
    let id = Uuid::now_v7();
    hub.set_meta("hub_id", &id.to_string())?;
    Ok(id)
}

/// Where the enrolment with the hub above is kept in `meta`: its communes
/// and officer, never its token (see [`TokenFile`]).
const UPLINK_KEY: &str = "uplink";

/// Meta key of the position of this hub's own feed the hub above holds.
const UPLINK_PUSHED_KEY: &str = "uplink_pushed";

/// Meta key of the epoch of the hub above that the two positions hold for.
const UPLINK_EPOCH_KEY: &str = "uplink_epoch";

/// What `meta` keeps of the enrolment with the hub above.
#[derive(Serialize, Deserialize)]
struct Kept {
    communes: Vec<String>,
    officer: String,
    /// Only read: hubs before the token file kept it here.
    #[serde(default, skip_serializing)]
    token: Option<String>,
}

/// The token the hub above gave this hub, kept in a file of its own
/// (`--uplink-token-file`), readable by the hub's user only, and not in the
/// database: unlike the tablets' tokens it cannot be kept as a hash, since
/// this hub must present it, and the database's backups and administrators
/// must not be able to act as this district towards the province.
pub struct TokenFile {
    path: PathBuf,
}

impl TokenFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    fn error(&self, source: std::io::Error) -> HubError {
        HubError::File {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// The token, or None when the file is missing or empty.
    fn read(&self) -> Result<Option<String>, HubError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(Some(text.trim().to_string()).filter(|t| !t.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Replaces the file whole (written beside it, then renamed), created
    /// readable and writable by its owner only.
    fn write(&self, token: &str) -> Result<(), HubError> {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".new");
        let fresh = self.path.with_file_name(name);
        let _ = std::fs::remove_file(&fresh);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&fresh).and_then(|mut file| {
            file.write_all(format!("{token}\n").as_bytes())?;
            file.sync_all()
        });
        written
            .and_then(|()| std::fs::rename(&fresh, &self.path))
            .map_err(|e| self.error(e))
    }
}

/// The enrolment this hub holds with the hub above, if any: its scope from
/// `meta`, its token from `token_file`. A token an older hub kept in `meta`
/// is moved into the file first (copies of the database made before still
/// hold it).
pub fn uplink(hub: &dyn HubStorage, token_file: &TokenFile) -> Result<Option<Enrolment>, HubError> {
    let Some(json) = hub.meta(UPLINK_KEY)? else {
        return Ok(None);
    };
    let malformed = |e: serde_json::Error| HubError::Malformed(e.to_string());
    let kept: Kept = serde_json::from_str(&json).map_err(malformed)?;
    if let Some(old) = &kept.token {
        if token_file.read()?.is_none() {
            token_file.write(old)?;
        }
        hub.set_meta(
            UPLINK_KEY,
            &serde_json::to_string(&kept).map_err(malformed)?,
        )?;
        tracing::warn!(
            file = %token_file.path.display(),
            "the uplink token was kept in the database: moved to its file; \
             copies of the database made before still hold it"
        );
    }
    let token = token_file.read()?.ok_or_else(|| {
        HubError::Upstream(format!(
            "enrolled with the higher hub, but the token file {} is missing or empty: \
             restore it from the server's backup",
            token_file.path.display()
        ))
    })?;
    Ok(Some(Enrolment {
        token,
        communes: kept.communes,
        officer: kept.officer,
    }))
}

fn cursor(hub: &dyn HubStorage, key: &str) -> Result<i64, HubError> {
    Ok(hub.meta(key)?.and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// The epoch of the hub above that this hub's uplink positions hold for:
/// the one kept, [`Epoch::unknown`] for positions of a hub above that named
/// none, None when this hub never synced upward.
fn marks_epoch(hub: &dyn HubStorage) -> Result<Option<Epoch>, HubError> {
    if let Some(kept) = hub.meta(UPLINK_EPOCH_KEY)? {
        return Ok(Some(Epoch(kept)));
    }
    let fresh = cursor(hub, UPLINK_PUSHED_KEY)? == 0 && cursor(hub, UPLINK_PULL_KEY)? == 0;
    Ok((!fresh).then(Epoch::unknown))
}

enum Phase {
    Push,
    Pull,
    Done,
}

/// One upward sync run.
pub struct Uplink {
    phase: Phase,
    communes: Vec<String>,
    /// Feed position the push on the wire reaches.
    in_flight: i64,
    /// The epoch of the hub above, once an answer gave it.
    epoch: Option<Epoch>,
    pub report: SyncReport,
}

impl Uplink {
    /// A run pulling the communes the hub above enrolled this hub for that
    /// this hub serves: the hub above would have every other refused.
    pub fn new(hub: &dyn HubStorage, enrolled: Vec<String>) -> Self {
        let units = hub.units();
        Self {
            phase: Phase::Push,
            communes: enrolled
                .into_iter()
                .filter(|c| Writer::Above(&units).may_change(c))
                .collect(),
            in_flight: 0,
            epoch: None,
            report: SyncReport::default(),
        }
    }

    /// Whether the hub above answered in the epoch this hub's uplink
    /// positions were made with. If not (it was restored from a backup),
    /// both positions go back to 0 and then the new epoch is kept (a cut
    /// between the two resets them again next time), and the run starts
    /// again: this hub pushes its whole feed again (the hub above stores
    /// only the changes it lacks) and pulls the feed above from its start
    /// (what this hub holds merges as nothing); a run cut short goes on
    /// from the positions it reached. A hub that never synced upward
    /// takes the first epoch it meets.
    fn trusts(&mut self, hub: &dyn HubStorage, answer: &Response) -> Result<bool, HubError> {
        let Some(epoch) = answer.epoch() else {
            return Ok(true);
        };
        if self.epoch.as_ref() == Some(epoch) {
            return Ok(true);
        }
        let first_look = self.epoch.is_none();
        let marks = marks_epoch(hub)?;
        self.epoch = Some(epoch.clone());
        if first_look && marks.as_ref().is_none_or(|m| m == epoch) {
            if marks.is_none() {
                hub.set_meta(UPLINK_EPOCH_KEY, &epoch.0)?;
            }
            return Ok(true);
        }
        hub.set_meta(UPLINK_PUSHED_KEY, "0")?;
        hub.set_meta(UPLINK_PULL_KEY, "0")?;
        hub.set_meta(UPLINK_EPOCH_KEY, &epoch.0)?;
        self.report.resynced = true;
        self.phase = Phase::Push;
        Ok(false)
    }

    pub fn next(&mut self, hub: &dyn HubStorage) -> Result<Option<Request>, HubError> {
        if let Phase::Push = self.phase {
            let (docs, last) = hub.changes_after(cursor(hub, UPLINK_PUSHED_KEY)?, BATCH_BYTES)?;
            if !docs.is_empty() {
                self.in_flight = last;
                self.report.sent_records += docs.len() as u64;
                return Ok(Some(Request::Push(PushRequest {
                    protocol: PROTOCOL_VERSION,
                    device: hub_id(hub)?,
                    docs,
                    pull: None,
                    // As a tablet's push: a hub above of another epoch
                    // stores none of it and says so.
                    epoch: match &self.epoch {
                        Some(e) => Some(e.clone()),
                        None => marks_epoch(hub)?,
                    },
                    office: None,
                })));
            }
            self.phase = Phase::Pull;
        }
        match self.phase {
            // Changes only (protocol 1): each is merged and checked as a
            // push is (`apply_from_above`), which a snapshot would skip.
            Phase::Pull => Ok(Some(Request::Pull(PullRequest {
                protocol: OLDEST_PROTOCOL,
                device: hub_id(hub)?,
                communes: self.communes.clone(),
                cursor: cursor(hub, UPLINK_PULL_KEY)?.unsigned_abs(),
                max_bytes: BATCH_BYTES as u32,
            }))),
            _ => Ok(None),
        }
    }

    pub fn receive(&mut self, hub: &dyn HubStorage, response: Response) -> Result<(), HubError> {
        self.report.round_trips += 1;
        if !self.trusts(hub, &response)? {
            return Ok(());
        }
        match (&self.phase, response) {
            // Acknowledged: the higher hub holds everything up to here.
            (Phase::Push, Response::Push(_)) => {
                hub.set_meta(UPLINK_PUSHED_KEY, &self.in_flight.to_string())
            }
            (Phase::Pull, Response::Pull(batch)) => {
                self.report.received_records += u64::from(
                    hub.apply_from_above(&batch.docs, batch.cursor)?.min(1)
                        * batch.docs.len() as u32,
                );
                if !batch.more {
                    self.phase = Phase::Done;
                }
                Ok(())
            }
            _ => Err(HubError::Upstream(
                "the higher hub answered out of turn".into(),
            )),
        }
    }
}

/// The hub above, as this hub reaches it.
pub struct Above {
    /// `https://`, or `http://` on this machine only.
    pub url: String,
    /// Its certificate, pinned, when no public authority vouches for it
    /// (`--uplink-certificate`, as the office above gives it).
    pub certificate: Option<Fingerprint>,
    pub token_file: TokenFile,
}

/// Syncs this hub with the hub `above` it, enrolling first with `code` if
/// it has no enrolment yet (the token then goes to its token file).
/// Blocking: call it off the async workers.
pub fn sync_upward(
    hub: &dyn HubStorage,
    above: &Above,
    code: Option<&str>,
) -> Result<SyncReport, HubError> {
    let upstream = |e: pcmt_core::sync::SyncError| HubError::Upstream(e.to_string());
    let token_file = &above.token_file;
    let transport = || HttpTransport::pinned(&above.url, above.certificate).map_err(upstream);
    let enrolment = match (uplink(hub, token_file)?, code) {
        (Some(e), _) => e,
        (None, Some(code)) => {
            let e = transport()?.enrol(code, hub_id(hub)?).map_err(upstream)?;
            let kept = Kept {
                communes: e.communes.clone(),
                officer: e.officer.clone(),
                token: None,
            };
            let json =
                serde_json::to_string(&kept).map_err(|err| HubError::Malformed(err.to_string()))?;
            // The token first: a scope in `meta` without it would read as
            // an enrolment whose token was lost.
            token_file.write(&e.token)?;
            hub.set_meta(UPLINK_KEY, &json)?;
            e
        }
        (None, None) => {
            return Err(HubError::Upstream(
                "not enrolled with the higher hub".into(),
            ))
        }
    };
    let mut transport = transport()?.presenting(&enrolment.token);
    let mut run = Uplink::new(hub, enrolment.communes);
    loop {
        let Some(request) = run.next(hub)? else {
            return Ok(run.report);
        };
        let response = transport.exchange(&request).map_err(upstream)?;
        run.receive(hub, response)?;
    }
}
