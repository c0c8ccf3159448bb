//! The device side of one sync, as a state machine.

use crate::shared::SharedStore;
use crate::sync::resync::Ranges;
use crate::sync::wire::{
    DocHeads, Epoch, OfferRequest, PullRequest, PullResponse, PushRequest, BATCH_BYTES,
    PROTOCOL_VERSION,
};
use crate::sync::{Request, Response, SyncError, Transport};
use crate::{CoreError, Store};
use automerge::ChangeHash;
pub use pcmt_model::api::SyncReport;
use uuid::Uuid;

#[derive(Debug)]
enum Phase {
    /// Comparing runs of documents with a hub of a new epoch
    /// (`crate::sync::resync`).
    Ranges(Ranges),
    /// Offering the documents with ids after the last one offered by
    /// their heads, to a hub of a new epoch that does not compare runs.
    Offer {
        after: Option<Uuid>,
    },
    /// Pushing dirty documents with ids after the last one sent.
    Push {
        after: Option<Uuid>,
    },
    Pull,
    Done,
}

/// Documents loaded at once for a resync (one document load each, with
/// the store held), and offered per request by heads to a hub that does
/// not compare runs: about 60 bytes each on the wire there (an id and a
/// head, which do not compress).
pub const OFFER_DOCS: usize = 2000;

/// What a run of the resync costs on the wire, about (for the report):
/// two ids, a count and a digest.
const RANGE_BYTES: u64 = 16 + 16 + 4 + 8;

/// One sync run. Call [`SyncRun::next`] for the request to send, hand the
/// answer to [`SyncRun::receive`], until `next` returns `None`.
///
/// Every answer of a hub names its epoch ([`Epoch`]). One this tablet's
/// marks and cursor were not made with (the hub was restored from a
/// backup, and may have lost what it acknowledged since) starts a resync
/// within the run: the batch that answer carried is not applied; in one
/// transaction the new epoch is stored, the pull cursor goes back to 0 and
/// an offer is made pending; the tablet's documents of its communes are
/// then compared with the hub's in runs (`crate::sync::resync`; by heads
/// one by one with a hub that does not compare runs), each answer
/// settling those marks and moving the pending offer on in one
/// transaction, and only after the last does the tablet push (only the changes the hub lacks) and pull from
/// the beginning of the feed. A run cut short resumes the offer where it
/// stopped at the next sync: no push is ever made on a mark in doubt. A
/// tablet with no marks takes the first epoch it meets.
#[derive(Debug)]
pub struct SyncRun {
    communes: Vec<String>,
    phase: Phase,
    /// Documents in the push or offer on the wire, with the heads it covers.
    in_flight: Vec<(Uuid, Vec<ChangeHash>)>,
    /// Whether the push on the wire asked for a pull.
    pull_in_flight: bool,
    /// The hub's epoch, once an answer gave it and this run checked it
    /// against the store's.
    epoch: Option<Epoch>,
    /// Whether this run looked for an offer a run before it left pending.
    resumed: bool,
    /// A pulled batch with more after it, taken in but not yet applied:
    /// the next pull asks from its cursor while it is applied
    /// ([`SyncRun::apply_held`]), so the link and the tablet work at once.
    /// The store's cursor moves only in the transaction that applies it;
    /// a run that ends first leaves it to be pulled again.
    held: Option<Box<PullResponse>>,
    pub report: SyncReport,
}

impl SyncRun {
    pub fn new(communes: Vec<String>) -> Self {
        Self {
            communes,
            phase: Phase::Push { after: None },
            in_flight: Vec::new(),
            pull_in_flight: false,
            epoch: None,
            resumed: false,
            held: None,
            report: SyncReport::default(),
        }
    }

    pub fn next(&mut self, store: &mut Store) -> Result<Option<Request>, CoreError> {
        if !self.resumed {
            self.resumed = true;
            // With the communes merged into the enrolled ones: their records
            // keep their old codes and are this tablet's to manage.
            self.communes = store.units().with_merged(&self.communes);
            if let Some(after) = store.offer_pending()? {
                self.report.resynced = true;
                self.phase = Phase::Ranges(Ranges::new(after));
            }
        }
        if let Phase::Ranges(ranges) = &mut self.phase {
            // One load of documents per request: the store is held
            // meanwhile, and the officer may be saving.
            if let Some(after) = ranges.wants() {
                ranges.load(
                    store.offer_batch(after, &self.communes, OFFER_DOCS)?,
                    OFFER_DOCS,
                );
            }
            if !ranges.done() {
                let runs = ranges.offer();
                self.report.offered_bytes += runs.len() as u64 * RANGE_BYTES;
                return Ok(Some(Request::Offer(OfferRequest {
                    protocol: PROTOCOL_VERSION,
                    device: store.device_id(),
                    docs: Vec::new(),
                    ranges: runs,
                })));
            }
            store.finish_offers()?;
            self.phase = Phase::Push { after: None };
        }
        if let Phase::Offer { after } = self.phase {
            let batch = store.offer_batch(after, &self.communes, OFFER_DOCS)?;
            if let Some((last, _)) = batch.last() {
                self.phase = Phase::Offer { after: Some(*last) };
                let docs = batch.iter().map(|(id, h)| DocHeads::of(*id, h)).collect();
                self.report.offered_bytes += batch
                    .iter()
                    .map(|(_, heads)| 16 + 32 * heads.len() as u64)
                    .sum::<u64>();
                self.in_flight = batch;
                return Ok(Some(Request::Offer(OfferRequest {
                    protocol: PROTOCOL_VERSION,
                    device: store.device_id(),
                    docs,
                    ranges: Vec::new(),
                })));
            }
            store.finish_offers()?;
            self.phase = Phase::Push { after: None };
        }
        if let Phase::Push { after } = self.phase {
            let batch = store.pending_changes(after, BATCH_BYTES)?;
            // With nothing to send, the first pull still goes in a push
            // (of no document): the push is what asks for the office's
            // data (`PushRequest::office`), in the same round trip.
            let carries_pull_alone = batch.is_empty() && after.is_none();
            if let Some(last) = batch
                .last()
                .map(|(d, _)| d.id)
                .or_else(|| carries_pull_alone.then_some(Uuid::nil()))
            {
                // After a push of nothing, `after` is the nil id: an answer
                // without the batch then moves on to pull on its own.
                self.phase = Phase::Push { after: Some(last) };
                // The last push asks for the first pull too: one round
                // trip where there is little to send.
                let pull = if !carries_pull_alone && store.pending_after(last)? {
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
                // The epoch learnt in this run, else that of the marks the
                // changes were cut against: a hub of another one stores
                // nothing of the push and says so.
                let epoch = match &self.epoch {
                    Some(e) => Some(e.clone()),
                    None => store.marks_epoch()?,
                };
                return Ok(Some(Request::Push(PushRequest {
                    protocol: PROTOCOL_VERSION,
                    device: store.device_id(),
                    docs,
                    office: match pull {
                        Some(_) => Some(store.office_version()?),
                        None => None,
                    },
                    pull,
                    epoch,
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
            cursor: match &self.held {
                Some(batch) => batch.cursor,
                None => store.pull_cursor()?,
            },
            max_bytes: BATCH_BYTES as u32,
        })
    }

    /// Takes in a pulled batch; the pull is over when no more follow. The
    /// last is applied at once; one with more after it is held, to be
    /// applied while the next pull is on the wire.
    fn take_in(&mut self, store: &mut Store, batch: PullResponse) -> Result<(), CoreError> {
        if batch.more {
            self.phase = Phase::Pull;
            self.held = Some(Box::new(batch));
            Ok(())
        } else {
            self.phase = Phase::Done;
            self.apply(store, batch)
        }
    }

    /// What the run has moved so far, a batch held counted as received
    /// (each of its records once): what a progress display shows after
    /// an exchange, before the batch is applied beside the next one.
    pub fn progress(&self) -> SyncReport {
        let mut report = self.report.clone();
        if let Some(batch) = &self.held {
            let ids: std::collections::HashSet<Uuid> = batch
                .docs
                .iter()
                .map(|d| d.id)
                .chain(batch.snapshots.iter().map(|s| s.id))
                .collect();
            report.received_records += ids.len() as u64;
            report.received_bytes += received_bytes(batch);
        }
        report
    }

    /// Whether a batch waits to be applied ([`SyncRun::apply_held`]).
    pub fn holds_batch(&self) -> bool {
        self.held.is_some()
    }

    /// Applies the batch held, if any: meant for while the request
    /// [`SyncRun::next`] gave is on the wire. [`SyncRun::receive`] applies
    /// it first if this was not called, so a driver that does one thing at
    /// a time is correct too.
    pub fn apply_held(&mut self, store: &mut Store) -> Result<(), CoreError> {
        match self.held.take() {
            Some(batch) => self.apply(store, *batch),
            None => Ok(()),
        }
    }

    /// Applies a pulled batch and the cursor it reaches, in one transaction.
    fn apply(&mut self, store: &mut Store, batch: PullResponse) -> Result<(), CoreError> {
        self.report.received_bytes += received_bytes(&batch);
        let changed = store.apply_pulled(&batch.snapshots, &batch.docs, batch.cursor)?;
        self.report.received_records += changed as u64;
        Ok(())
    }

    /// Whether `answer` comes from a hub whose epoch this tablet's marks
    /// and cursor hold for. At the first answer naming an epoch they do
    /// not (or at a later one naming yet another: a restore during the
    /// run), the resync starts (see [`SyncRun`]). A hub from before epochs
    /// names none and is trusted.
    ///
    /// A pull answered with a cursor before the one asked from says the
    /// hub's feed ends before it: the hub lost the end of its feed (restored
    /// without a new epoch), and with it perhaps what this tablet pushed.
    /// The same resync starts, under the same epoch.
    fn trusts(&mut self, store: &mut Store, answer: &Response) -> Result<bool, CoreError> {
        let Some(epoch) = answer.epoch() else {
            return Ok(true);
        };
        let batch = match answer {
            Response::Pull(batch) => Some(batch),
            Response::Push(ack) if self.pull_in_flight => ack.pull.as_ref(),
            _ => None,
        };
        let feed_lost = match batch {
            Some(batch) => batch.cursor < store.pull_cursor()?,
            None => false,
        };
        if self.epoch.as_ref() == Some(epoch) && !feed_lost {
            return Ok(true);
        }
        let first_look = self.epoch.is_none();
        self.epoch = Some(epoch.clone());
        if first_look && !feed_lost {
            match store.marks_epoch()? {
                None => {
                    store.adopt_epoch(epoch)?;
                    return Ok(true);
                }
                Some(marks) if &marks == epoch => return Ok(true),
                Some(_) => {}
            }
        }
        store.begin_resync(epoch)?;
        self.report.resynced = true;
        self.phase = Phase::Ranges(Ranges::new(None));
        Ok(false)
    }

    pub fn receive(&mut self, store: &mut Store, response: Response) -> Result<(), CoreError> {
        // Before anything of this answer: its cursor and epoch are judged
        // against the store's, which the batch before it moves.
        self.apply_held(store)?;
        self.report.round_trips += 1;
        let fits = matches!(
            (&self.phase, &response),
            (Phase::Push { .. }, Response::Push(_))
                | (Phase::Pull, Response::Pull(_))
                | (Phase::Offer { .. } | Phase::Ranges(_), Response::Offer(_))
        );
        if !fits {
            return Err(SyncError::Malformed(format!(
                "answer {response:?} does not fit phase {:?}",
                self.phase
            ))
            .into());
        }
        let in_flight = std::mem::take(&mut self.in_flight);
        // Judged before this answer's marks are written: a tablet's first
        // push would otherwise look like marks of an unknown epoch.
        let trusted = self.trusts(store, &response)?;
        // What an acknowledgement says the hub stored holds whatever its
        // epoch: the hub answered after storing it.
        if let Response::Push(ack) = &response {
            let acked: Vec<_> = in_flight
                .iter()
                .filter(|(id, _)| ack.stored.contains(id))
                .cloned()
                .collect();
            store.mark_pushed(&acked)?;
        }
        if !trusted {
            return Ok(());
        }
        match response {
            Response::Push(ack) => {
                // Only the last push asks for a pull; a batch it did not
                // ask for is not applied (the pull asks on its own).
                let mut widened = false;
                if let Some(office) = &ack.office {
                    if let Some(communes) = store.apply_office(office)? {
                        // The cursor went back to the feed's beginning
                        // with it: the batch pulled for the old communes
                        // from the old cursor would move it on again.
                        self.communes = communes;
                        self.phase = Phase::Pull;
                        widened = true;
                    }
                    self.report.office_version = Some(office.version);
                }
                if let (Some(batch), true, false) = (ack.pull, self.pull_in_flight, widened) {
                    self.take_in(store, batch)?;
                }
            }
            Response::Pull(batch) => self.take_in(store, batch)?,
            Response::Offer(answer) => match &mut self.phase {
                Phase::Ranges(ranges) => match ranges.settle(answer.ranges)? {
                    Some(s) => store.mark_offered(&s.offered, &s.lacking, s.after)?,
                    // A hub that does not compare runs: by heads, from
                    // the last point settled.
                    None => {
                        self.phase = Phase::Offer {
                            after: store.offer_pending()?.flatten(),
                        }
                    }
                },
                _ => {
                    let last = in_flight.last().map(|(id, _)| *id);
                    store.mark_offered(&in_flight, &answer.lacking, last)?
                }
            },
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
        let response =
            carry_while_applying(store, Some(&mut run), || transport.exchange(&request))?;
        {
            let mut s = store.access()?;
            run.receive(&mut s, response)?;
        }
        progress(&run.progress());
    }
}

/// The bytes of Automerge data a pulled batch brings.
fn received_bytes(batch: &PullResponse) -> u64 {
    batch
        .docs
        .iter()
        .flat_map(|d| &d.changes)
        .chain(batch.snapshots.iter().map(|s| &s.bytes))
        .map(|c| c.len() as u64)
        .sum()
}

/// Carries a request (`carry`) while `run` applies the batch it holds, on
/// a thread of its own taking the store as any save does: on a slow link
/// the tablet's work on one batch hides behind the next one's travel. The
/// batch is applied to the end even when the carrying fails (its cursor
/// is committed with it, so the next sync goes on from there), and an
/// error applying it is the run's error.
pub(crate) fn carry_while_applying<T>(
    store: &dyn SharedStore,
    run: Option<&mut SyncRun>,
    carry: impl FnOnce() -> Result<T, SyncError>,
) -> Result<T, CoreError> {
    let Some(run) = run.filter(|r| r.holds_batch()) else {
        return Ok(carry()?);
    };
    std::thread::scope(|scope| {
        let applying = scope.spawn(|| run.apply_held(&mut *store.access()?));
        let answer = carry();
        applying
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        Ok(answer?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::wire::{OfferResponse, PushAck, RangeAnswer};
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
            epoch: None,
            office: None,
        })
    }

    fn batch(cursor: u64, more: bool) -> PullResponse {
        PullResponse {
            docs: Vec::new(),
            cursor,
            more,
            snapshots: Vec::new(),
            epoch: None,
        }
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
        run.receive(&mut store, ack(&push, Some(batch(5, false))))
            .unwrap();
        assert!(run.next(&mut store).unwrap().is_none(), "done");
        assert_eq!(run.report.round_trips, 1);
        assert_eq!(store.pull_cursor().unwrap(), 5);
        assert_eq!(store.unsynced_count().unwrap(), 0);
    }

    /// Issue 18, item 4: a batch with more after it is not applied before
    /// the next pull goes out: that pull asks from the batch's cursor, and
    /// the store's cursor moves only when the batch is applied (while the
    /// pull is on the wire, or, for a driver that does one thing at a
    /// time, when the next answer comes).
    #[test]
    fn the_next_pull_goes_out_before_the_batch_is_applied_and_the_cursor_waits_for_it() {
        let mut store = tablet_with_a_record();
        let mut run = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Push(push)) = run.next(&mut store).unwrap() else {
            panic!("a push first");
        };
        run.receive(&mut store, ack(&push, Some(batch(5, true))))
            .unwrap();
        assert!(run.holds_batch());
        assert_eq!(store.pull_cursor().unwrap(), 0, "not applied yet");
        let Some(Request::Pull(pull)) = run.next(&mut store).unwrap() else {
            panic!("the next pull");
        };
        assert_eq!(pull.cursor, 5, "asked from the batch held");
        assert_eq!(store.pull_cursor().unwrap(), 0);
        run.apply_held(&mut store).unwrap();
        assert_eq!(store.pull_cursor().unwrap(), 5);

        // Not applied by the driver: the next answer applies it first.
        run.receive(&mut store, Response::Pull(batch(9, true)))
            .unwrap();
        let Some(Request::Pull(pull)) = run.next(&mut store).unwrap() else {
            panic!("the next pull");
        };
        assert_eq!(pull.cursor, 9);
        run.receive(&mut store, Response::Pull(batch(12, false)))
            .unwrap();
        assert_eq!(
            store.pull_cursor().unwrap(),
            12,
            "the last is applied at once"
        );
        assert!(run.next(&mut store).unwrap().is_none());

        // A run that ends with a batch held (its next pull lost) leaves
        // the cursor where the last applied batch put it.
        let mut run = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Push(push)) = run.next(&mut store).unwrap() else {
            panic!("a push first");
        };
        run.receive(&mut store, ack(&push, Some(batch(20, true))))
            .unwrap();
        drop(run);
        assert_eq!(store.pull_cursor().unwrap(), 12);
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

    fn epoch(name: &str) -> Option<Epoch> {
        Some(Epoch(name.into()))
    }

    /// A tablet that synced with a hub of epoch "a": its record is marked
    /// as held there and its cursor is at 5.
    fn synced_with_a() -> Store {
        let mut store = tablet_with_a_record();
        let mut run = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Push(push)) = run.next(&mut store).unwrap() else {
            panic!("a push first");
        };
        let batch = PullResponse {
            docs: Vec::new(),
            cursor: 5,
            more: false,
            snapshots: Vec::new(),
            epoch: epoch("a"),
        };
        let mut answer = ack(&push, Some(batch));
        if let Response::Push(a) = &mut answer {
            a.epoch = epoch("a");
        }
        run.receive(&mut store, answer).unwrap();
        assert!(run.next(&mut store).unwrap().is_none());
        assert_eq!(store.hub_epoch().unwrap(), epoch("a"));
        store
    }

    fn pull_answer(cursor: u64, name: &str) -> Response {
        Response::Pull(PullResponse {
            docs: Vec::new(),
            cursor,
            more: false,
            snapshots: Vec::new(),
            epoch: epoch(name),
        })
    }

    /// An answer to an offer of runs from a hub of epoch "b": the restored
    /// hub holds nothing of the first run.
    fn holds_nothing(offer: &OfferRequest) -> Response {
        Response::Offer(OfferResponse {
            lacking: Vec::new(),
            epoch: epoch("b"),
            ranges: vec![RangeAnswer::Holds(Vec::new()); offer.ranges.len()],
        })
    }

    /// A run of the tablet `synced_with_a` whose first pull (from 5, in a
    /// push of nothing) is answered with `answer`, which starts the
    /// resync: the batch is not applied and the cursor is back at 0.
    fn resync_after(store: &mut Store, answer: Response) -> SyncRun {
        let mut run = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Push(idle)) = run.next(store).unwrap() else {
            panic!("nothing to push: a push of nothing carrying the pull");
        };
        assert!(idle.docs.is_empty());
        assert_eq!(idle.pull.map(|p| p.cursor), Some(5));
        run.receive(store, answer).unwrap();
        assert!(run.report.resynced);
        assert_eq!(store.pull_cursor().unwrap(), 0, "the batch was not applied");
        run
    }

    /// The answer to a push of nothing carrying the first pull (what an
    /// idle sync starts with): that pull's batch.
    fn idle_answer(cursor: u64, name: &str) -> Response {
        let Response::Pull(batch) = pull_answer(cursor, name) else {
            unreachable!("pull_answer answers a pull")
        };
        Response::Push(PushAck {
            stored: Vec::new(),
            new_changes: 0,
            epoch: batch.epoch.clone(),
            pull: Some(batch),
            office: None,
        })
    }

    /// With nothing to send, a sync still starts with a push: of no
    /// document, carrying the first pull and asking for the office's data
    /// as the tablet holds it (none yet).
    #[test]
    fn an_idle_sync_asks_for_the_office_data_in_the_push_that_carries_its_pull() {
        let mut store = synced_with_a();
        let mut run = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Push(push)) = run.next(&mut store).unwrap() else {
            panic!("a push of nothing first");
        };
        assert!(push.docs.is_empty());
        assert_eq!(push.pull.as_ref().map(|p| p.cursor), Some(5));
        assert_eq!(push.office, Some(0));
        let Response::Push(mut ack) = idle_answer(6, "a") else {
            unreachable!()
        };
        let part = pcmt_model::OrgTree::demo().part_for(&[fixtures::COMMUNE.into()]);
        let mut plan = pcmt_model::Plan::bundled();
        plan.monthly_by_day = 15;
        ack.office = Some(crate::sync::wire::OfficeData {
            version: 3,
            units: part.units().cloned().collect(),
            plan: Some(plan.clone()),
            neighbours: Vec::new(),
            purged: Vec::new(),
        });
        run.receive(&mut store, Response::Push(ack)).unwrap();
        assert!(run.next(&mut store).unwrap().is_none());
        assert_eq!(run.report.office_version, Some(3));
        assert_eq!(store.office_version().unwrap(), 3);
        assert_eq!(store.units(), &part);
        assert_eq!(
            store.plan(),
            plan,
            "the province's plan kept with the units"
        );
        assert_eq!(store.pull_cursor().unwrap(), 6);
        // The next sync says it holds version 3.
        let mut next = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Push(push)) = next.next(&mut store).unwrap() else {
            panic!("a push of nothing first");
        };
        assert_eq!(push.office, Some(3));
    }

    /// Issue 24: a hub of another epoch (restored from a backup) may lack
    /// what it acknowledged. The batch of its first answer is not applied,
    /// the records are offered in runs, one it lacks is pushed again
    /// (naming the new epoch), and the pull starts from 0.
    #[test]
    fn a_new_epoch_offers_every_record_and_pulls_again_from_the_start() {
        let mut store = synced_with_a();
        let mut run = resync_after(&mut store, idle_answer(9, "b"));
        let Some(Request::Offer(offer)) = run.next(&mut store).unwrap() else {
            panic!("then an offer");
        };
        assert!(offer.docs.is_empty(), "no record by its heads");
        assert_eq!(offer.ranges.len(), 1);
        let id = offer.ranges[0].first;
        assert_eq!((offer.ranges[0].last, offer.ranges[0].count), (id, 1));
        // The restored hub never got the record.
        run.receive(&mut store, holds_nothing(&offer)).unwrap();
        assert_eq!(store.unsynced_count().unwrap(), 1);
        let Some(Request::Push(push)) = run.next(&mut store).unwrap() else {
            panic!("then the record it lacks");
        };
        assert_eq!(push.docs[0].id, id);
        assert_eq!(push.pull.as_ref().map(|p| p.cursor), Some(0));
        assert_eq!(push.epoch, epoch("b"));
        assert_eq!(store.hub_epoch().unwrap(), epoch("b"));
        let mut answer = ack(&push, None);
        if let Response::Push(a) = &mut answer {
            a.epoch = epoch("b");
        }
        run.receive(&mut store, answer).unwrap();
        let Some(Request::Pull(pull)) = run.next(&mut store).unwrap() else {
            panic!("then the pull");
        };
        assert_eq!(pull.cursor, 0);
        run.receive(&mut store, pull_answer(3, "b")).unwrap();
        assert!(run.next(&mut store).unwrap().is_none());
        assert_eq!(store.hub_epoch().unwrap(), epoch("b"));
        assert_eq!(store.unsynced_count().unwrap(), 0);
        assert_eq!(store.pull_cursor().unwrap(), 3);
    }

    /// A resync cut short resumes where it stopped: a run cut before any
    /// offer was answered offers again from the first record (and pushes
    /// nothing before), one cut after the last offer was answered goes on
    /// to the push of what the hub lacks and the pull from 0.
    #[test]
    fn a_resync_cut_short_resumes_and_pushes_nothing_on_a_mark_in_doubt() {
        let mut store = synced_with_a();
        let edit = |store: &mut Store| {
            let id = store.document_heads().unwrap().into_keys().next().unwrap();
            let author = Author {
                officer: "A Lưu".into(),
            };
            let input = pcmt_model::SessionInput {
                attendees: 150,
                ..fixtures::session("Trường TH Đăk Pék")
            };
            store
                .update_session(id, &input, &author, fixtures::day(2026, 11, 25))
                .unwrap();
        };
        edit(&mut store);
        let mut run = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Push(stale)) = run.next(&mut store).unwrap() else {
            panic!("the edit is pushed");
        };
        assert_eq!(stale.epoch, epoch("a"));
        let mut refused = ack(&stale, None);
        if let Response::Push(a) = &mut refused {
            a.stored.clear();
            a.epoch = epoch("b");
        }
        run.receive(&mut store, refused).unwrap();
        assert!(matches!(
            run.next(&mut store).unwrap(),
            Some(Request::Offer(_))
        ));
        drop(run); // cut: the offer never answered

        let mut again = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Offer(offer)) = again.next(&mut store).unwrap() else {
            panic!("the offer first, before any push");
        };
        assert!(again.report.resynced);
        again.receive(&mut store, holds_nothing(&offer)).unwrap();
        drop(again); // cut after the answer: the restore lost the record

        let mut last = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        let Some(Request::Push(push)) = last.next(&mut store).unwrap() else {
            panic!("the offer is done; the record the hub lacks is pushed");
        };
        assert_eq!(push.docs[0].id, offer.ranges[0].first);
        assert_eq!(push.docs[0].changes.len(), 2, "its creation and the edit");
        assert_eq!(push.epoch, epoch("b"));
        assert_eq!(push.pull.as_ref().map(|p| p.cursor), Some(0));
    }

    /// A hub from before runs answers an offer of runs with none: the
    /// tablet offers its records by their heads, as to such a hub before,
    /// and pushes the one it lacks.
    #[test]
    fn a_hub_that_does_not_compare_runs_is_offered_each_record_by_its_heads() {
        let mut store = synced_with_a();
        let mut run = resync_after(&mut store, idle_answer(9, "b"));
        let Some(Request::Offer(runs)) = run.next(&mut store).unwrap() else {
            panic!("an offer of runs");
        };
        let id = runs.ranges[0].first;
        let older = |lacking: Vec<DocHeads>| {
            Response::Offer(OfferResponse {
                lacking,
                epoch: epoch("b"),
                ranges: Vec::new(),
            })
        };
        run.receive(&mut store, older(Vec::new())).unwrap();
        assert_eq!(store.unsynced_count().unwrap(), 0, "nothing settled yet");
        let Some(Request::Offer(by_heads)) = run.next(&mut store).unwrap() else {
            panic!("then the records by their heads");
        };
        assert!(by_heads.ranges.is_empty());
        assert_eq!(by_heads.docs.len(), 1);
        assert_eq!(by_heads.docs[0].id, id);
        let lacking = vec![DocHeads {
            id,
            heads: Vec::new(),
        }];
        run.receive(&mut store, older(lacking)).unwrap();
        let Some(Request::Push(push)) = run.next(&mut store).unwrap() else {
            panic!("then the record it lacks");
        };
        assert_eq!(push.docs[0].id, id);
    }

    /// A hub of the same epoch whose feed ends before the tablet's cursor
    /// (restored without a new epoch) answers with its end: the batch is
    /// not applied and the resync starts as for a new epoch.
    #[test]
    fn a_cursor_past_the_feeds_end_starts_the_resync() {
        let mut store = synced_with_a();
        let mut run = resync_after(&mut store, idle_answer(3, "a"));
        assert_eq!(store.hub_epoch().unwrap(), epoch("a"));
        let Some(Request::Offer(offer)) = run.next(&mut store).unwrap() else {
            panic!("then an offer");
        };
        assert_eq!(offer.ranges.len(), 1);
    }

    /// A hub from before epochs names none: nothing changes.
    #[test]
    fn a_hub_without_an_epoch_is_trusted_as_before() {
        let mut store = synced_with_a();
        let mut run = SyncRun::new(vec![fixtures::COMMUNE.into()]);
        run.next(&mut store).unwrap();
        let mut answer = idle_answer(7, "x");
        if let Response::Push(ack) = &mut answer {
            ack.epoch = None;
            if let Some(b) = &mut ack.pull {
                b.epoch = None;
            }
        }
        run.receive(&mut store, answer).unwrap();
        assert!(!run.report.resynced);
        assert_eq!(store.pull_cursor().unwrap(), 7);
        assert_eq!(store.hub_epoch().unwrap(), epoch("a"));
    }
}
