//! The device side of one sync, as a state machine.

use crate::shared::SharedStore;
use crate::sync::wire::{PullRequest, PushRequest, BATCH_BYTES, PROTOCOL_VERSION};
use crate::sync::{Request, Response, SyncError, Transport};
use crate::{CoreError, Store};
use automerge::ChangeHash;
pub use pcmt_model::api::SyncReport;
use uuid::Uuid;

#[derive(Debug)]
enum Phase {
    /// Pushing dirty documents with ids after the last one sent.
    Push {
        after: Option<Uuid>,
    },
    Pull,
    Done,
}

/// One sync run. Call [`SyncRun::next`] for the request to send, hand the
/// answer to [`SyncRun::receive`], until `next` returns `None`.
#[derive(Debug)]
pub struct SyncRun {
    communes: Vec<String>,
    phase: Phase,
    /// Documents in the push on the wire, with the heads it covers.
    in_flight: Vec<(Uuid, Vec<ChangeHash>)>,
    pub report: SyncReport,
}

impl SyncRun {
    pub fn new(communes: Vec<String>) -> Self {
        Self {
            communes,
            phase: Phase::Push { after: None },
            in_flight: Vec::new(),
            report: SyncReport::default(),
        }
    }

    pub fn next(&mut self, store: &mut Store) -> Result<Option<Request>, CoreError> {
        if let Phase::Push { after } = self.phase {
            let batch = store.pending_changes(after, BATCH_BYTES)?;
            if let Some((last, _)) = batch.last() {
                self.phase = Phase::Push {
                    after: Some(last.id),
                };
                self.in_flight = batch.iter().map(|(d, h)| (d.id, h.clone())).collect();
                let docs: Vec<_> = batch.into_iter().map(|(d, _)| d).collect();
                self.report.sent_records += docs.len() as u64;
                self.report.sent_bytes += docs
                    .iter()
                    .flat_map(|d| &d.changes)
                    .map(|c| c.len() as u64)
                    .sum::<u64>();
                return Ok(Some(Request::Push(PushRequest {
                    protocol: PROTOCOL_VERSION,
                    device: store.device_id(),
                    docs,
                })));
            }
            self.phase = Phase::Pull;
        }
        match self.phase {
            Phase::Pull => Ok(Some(Request::Pull(PullRequest {
                protocol: PROTOCOL_VERSION,
                device: store.device_id(),
                communes: self.communes.clone(),
                cursor: store.pull_cursor()?,
                max_bytes: BATCH_BYTES as u32,
            }))),
            _ => Ok(None),
        }
    }

    pub fn receive(&mut self, store: &mut Store, response: Response) -> Result<(), CoreError> {
        self.report.round_trips += 1;
        match (&self.phase, response) {
            (Phase::Push { .. }, Response::Push(ack)) => {
                let acked: Vec<_> = std::mem::take(&mut self.in_flight)
                    .into_iter()
                    .filter(|(id, _)| ack.stored.contains(id))
                    .collect();
                store.mark_pushed(&acked)?;
            }
            (Phase::Pull, Response::Pull(batch)) => {
                self.report.received_bytes += batch
                    .docs
                    .iter()
                    .flat_map(|d| &d.changes)
                    .chain(batch.snapshots.iter().map(|s| &s.bytes))
                    .map(|c| c.len() as u64)
                    .sum::<u64>();
                let changed = store.apply_pulled(&batch.snapshots, &batch.docs, batch.cursor)?;
                self.report.received_records += changed as u64;
                if !batch.more {
                    self.phase = Phase::Done;
                }
            }
            (phase, other) => {
                return Err(SyncError::Malformed(format!(
                    "answer {other:?} does not fit phase {phase:?}"
                ))
                .into())
            }
        }
        Ok(())
    }
}

/// Drives a run to the end over `transport`. The store is locked only while
/// the state machine works on it, never while a request is on the wire, so
/// the officer can keep saving during a slow sync.
pub fn run_sync(
    store: &dyn SharedStore,
    transport: &mut dyn Transport,
    communes: Vec<String>,
) -> Result<SyncReport, CoreError> {
    run_sync_observed(store, transport, communes, &mut |_| {})
}

/// As [`run_sync`], telling `progress` the running totals after every
/// exchange, so a screen can show records and bytes as they move.
pub fn run_sync_observed(
    store: &dyn SharedStore,
    transport: &mut dyn Transport,
    communes: Vec<String>,
    progress: &mut dyn FnMut(&SyncReport),
) -> Result<SyncReport, CoreError> {
    let mut run = SyncRun::new(communes);
    loop {
        let request = {
            let mut s = store.access()?;
            run.next(&mut s)?
        };
        let Some(request) = request else {
            return Ok(run.report);
        };
        let response = transport.exchange(&request)?;
        {
            let mut s = store.access()?;
            run.receive(&mut s, response)?;
        }
        progress(&run.report);
    }
}
