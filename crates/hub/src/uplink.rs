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
use pcmt_core::sync::wire::{Enrolment, PullRequest, PushRequest, BATCH_BYTES, PROTOCOL_VERSION};
use pcmt_core::sync::{Request, Response, SyncReport, Transport};
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

/// The enrolment this hub holds with the hub above, if any.
pub fn uplink(hub: &dyn HubStorage) -> Result<Option<Enrolment>, HubError> {
    match hub.meta("uplink")? {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| HubError::Malformed(e.to_string())),
    }
}

fn cursor(hub: &dyn HubStorage, key: &str) -> Result<i64, HubError> {
    Ok(hub.meta(key)?.and_then(|s| s.parse().ok()).unwrap_or(0))
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
            report: SyncReport::default(),
        }
    }

    pub fn next(&mut self, hub: &dyn HubStorage) -> Result<Option<Request>, HubError> {
        if let Phase::Push = self.phase {
            let (docs, last) = hub.changes_after(cursor(hub, "uplink_pushed")?, BATCH_BYTES)?;
            if !docs.is_empty() {
                self.in_flight = last;
                self.report.sent_records += docs.len() as u64;
                return Ok(Some(Request::Push(PushRequest {
                    protocol: PROTOCOL_VERSION,
                    device: hub_id(hub)?,
                    docs,
                })));
            }
            self.phase = Phase::Pull;
        }
        match self.phase {
            Phase::Pull => Ok(Some(Request::Pull(PullRequest {
                protocol: PROTOCOL_VERSION,
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
        match (&self.phase, response) {
            // Acknowledged: the higher hub holds everything up to here.
            (Phase::Push, Response::Push(_)) => {
                hub.set_meta("uplink_pushed", &self.in_flight.to_string())
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

/// Syncs this hub with the hub above it at `base_url`, enrolling first with
/// `code` if it has no token yet. Blocking: call it off the async workers.
pub fn sync_upward(
    hub: &dyn HubStorage,
    base_url: &str,
    code: Option<&str>,
) -> Result<SyncReport, HubError> {
    let upstream = |e: pcmt_core::sync::SyncError| HubError::Upstream(e.to_string());
    let enrolment = match (uplink(hub)?, code) {
        (Some(e), _) => e,
        (None, Some(code)) => {
            let e = HttpTransport::new(base_url)
                .map_err(upstream)?
                .enrol(code, hub_id(hub)?)
                .map_err(upstream)?;
            let json =
                serde_json::to_string(&e).map_err(|err| HubError::Malformed(err.to_string()))?;
            hub.set_meta("uplink", &json)?;
            e
        }
        (None, None) => {
            return Err(HubError::Upstream(
                "not enrolled with the higher hub".into(),
            ))
        }
    };
    let mut transport = HttpTransport::with_token(base_url, &enrolment.token).map_err(upstream)?;
    let mut run = Uplink::new(hub, enrolment.communes);
    loop {
        let Some(request) = run.next(hub)? else {
            return Ok(run.report);
        };
        let response = transport.exchange(&request).map_err(upstream)?;
        run.receive(hub, response)?;
    }
}
