//! The device side of one sync, as a state machine.

use crate::shared::SharedStore;
use crate::sync::wire::{PullRequest, PullResponse, PushRequest, BATCH_BYTES, PROTOCOL_VERSION};
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
    /// Whether the push on the wire asked for a pull.
    pull_in_flight: bool,
    pub report: SyncReport,
}

impl SyncRun {
    pub fn new(communes: Vec<String>) -> Self {
        Self {
            communes,
            phase: Phase::Push { after: None },
            in_flight: Vec::new(),
            pull_in_flight: false,
            report: SyncReport::default(),
        }
    }

    pub fn next(&mut self, store: &mut Store) -> Result<Option<Request>, CoreError> {
        if let Phase::Push { after } = self.phase {
            let batch = store.pending_changes(after, BATCH_BYTES)?;
            if let Some((last, _)) = batch.last() {
                let last = last.id;
                self.phase = Phase::Push { after: Some(last) };
                // The last push asks for the first pull too: one round
                // trip where there is little to send.
                let pull = if store.pending_after(last)? {
                    None
                } else {
                    Some(self.pull_request(store)?)
                };
                self.pull_in_flight = pull.is_some();
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
                    pull,
                })));
            }
            self.phase = Phase::Pull;
        }
        match self.phase {
            Phase::Pull => Ok(Some(Request::Pull(self.pull_request(store)?))),
            _ => Ok(None),
        }
    }

    fn pull_request(&self, store: &Store) -> Result<PullRequest, CoreError> {
        Ok(PullRequest {
            protocol: PROTOCOL_VERSION,
            device: store.device_id(),
            communes: self.communes.clone(),
            cursor: store.pull_cursor()?,
            max_bytes: BATCH_BYTES as u32,
        })
    }

    /// Applies a pulled batch; the pull is over when no more follow.
    fn apply(&mut self, store: &mut Store, batch: PullResponse) -> Result<(), CoreError> {
        self.report.received_bytes += batch
            .docs
            .iter()
            .flat_map(|d| &d.changes)
            .chain(batch.snapshots.iter().map(|s| &s.bytes))
            .map(|c| c.len() as u64)
            .sum::<u64>();
        let changed = store.apply_pulled(&batch.snapshots, &batch.docs, batch.cursor)?;
        self.report.received_records += changed as u64;
        self.phase = if batch.more { Phase::Pull } else { Phase::Done };
        Ok(())
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
                // Only the last push asks for a pull; a batch it did not
                // ask for is not applied (the pull asks on its own).
                if let (Some(batch), true) = (ack.pull, self.pull_in_flight) {
                    self.apply(store, batch)?;
                }
            }
            (Phase::Pull, Response::Pull(batch)) => self.apply(store, batch)?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::wire::PushAck;
    use crate::Author;
    use pcmt_model::{fixtures, OrgTree};

    fn tablet_with_a_record() -> Store {
        let mut store = Store::open_in_memory(OrgTree::demo()).unwrap();
        let author = Author {
            officer: "A Lưu".into(),
        };
        store
            .create_session(
                &fixtures::session("Trường TH Đăk Pék"),
                &author,
                fixtures::day(2026, 11, 24),
            )
            .unwrap();
        store
    }

    fn ack(push: &PushRequest, pull: Option<PullResponse>) -> Response {
        Response::Push(PushAck {
            stored: push.docs.iter().map(|d| d.id).collect(),
            new_changes: 1,
            pull,
        })
    }

    /// Issue 18, item 4: a sync with a little to send and a little to get
    /// is one round trip: the last push asks for the first pull.
    #[test]
    fn the_last_push_carries_the_pull_and_a_small_sync_is_one_round_trip() {
        let mut store = tablet_with_a_record();
        let mut run = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Push(push)) = run.next(&mut store).unwrap() else {
            panic!("a push first");
        };
        let pull = push.pull.clone().expect("the last push asks for a pull");
        assert_eq!(pull.cursor, 0);
        let batch = PullResponse {
            docs: Vec::new(),
            cursor: 5,
            more: false,
            snapshots: Vec::new(),
        };
        run.receive(&mut store, ack(&push, Some(batch))).unwrap();
        assert!(run.next(&mut store).unwrap().is_none(), "done");
        assert_eq!(run.report.round_trips, 1);
        assert_eq!(store.pull_cursor().unwrap(), 5);
        assert_eq!(store.unsynced_count().unwrap(), 0);
    }

    /// An acknowledgement that answers no pull (or one with more to come)
    /// leaves the pull to its own requests, from the cursor reached.
    #[test]
    fn a_push_answered_without_its_pull_pulls_on_its_own() {
        let mut store = tablet_with_a_record();
        let mut run = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Push(push)) = run.next(&mut store).unwrap() else {
            panic!("a push first");
        };
        run.receive(&mut store, ack(&push, None)).unwrap();
        let Some(Request::Pull(pull)) = run.next(&mut store).unwrap() else {
            panic!("then a pull");
        };
        assert_eq!(pull.cursor, 0);
    }
}
