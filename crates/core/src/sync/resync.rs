//! How a tablet finds what a restored hub lacks without naming every
//! record (issue 24): a range comparison.
//!
//! The tablet's documents, in id order, are cut into runs of
//! [`RANGE_DOCS`]; each run travels as its first and last id, its count
//! and a digest of its documents' ids and heads ([`RangeDigest`], about 45
//! bytes for 64 records). The hub computes the same digest over what it
//! holds of the tablet's communes in that span: a run it holds the same
//! is settled at once; of one that differs it lists what it holds, with
//! heads, when it holds few enough ([`RangeAnswer::Holds`]), else asks for
//! it again in [`FANOUT`] smaller runs ([`RangeAnswer::Split`]). Records
//! made after a backup have the newest ids (UUIDv7), and edits to old
//! ones cluster too, so the tablet sends a few bytes per 64 records it
//! still shares with the hub and the hub's answers name what it lacks.
//!
//! Sans-IO: [`Ranges`] holds the runs not settled yet; [`crate::sync::run`]
//! loads the documents, carries the runs and writes the marks. The runs
//! are settled in id order as far as the first one still open, and that
//! point is kept with the marks ([`Settled::after`]): a cut resync resumes
//! there.

use super::wire::{digest, DocHeads, RangeAnswer, RangeDigest};
use super::SyncError;
use automerge::ChangeHash;
use std::collections::{HashMap, VecDeque};
use uuid::Uuid;

/// Documents per run at first: one digest stands for this many records.
pub const RANGE_DOCS: usize = 64;
/// Runs a differing run is cut into when the hub holds too many
/// documents in its span to list them.
pub const FANOUT: usize = 16;
/// Runs per offer, and so per answer (the hub lists at most
/// `HOLD_DOCS` documents a run: about 3 KB each).
pub const RANGES_PER_OFFER: usize = 512;

/// A document as the tablet holds it: its id and heads.
pub type Held = (Uuid, Vec<ChangeHash>);

/// The runs of a resync not settled yet, in id order.
#[derive(Debug)]
pub struct Ranges {
    /// Each run non-empty, sorted by id; the runs in id order.
    queue: VecDeque<Vec<Held>>,
    /// The last document loaded, if any: the next are loaded after it.
    loaded: Option<Uuid>,
    exhausted: bool,
    /// How many runs at the front of the queue are on the wire.
    in_flight: usize,
}

/// What one answer settled: the documents whose marks it settles, which
/// of them the hub lacks changes of (with the heads it holds, none when
/// it lacks the document), and the last id before the first run still
/// open, when this answer moved it.
#[derive(Debug, Default)]
pub struct Settled {
    pub offered: Vec<Held>,
    pub lacking: Vec<DocHeads>,
    pub after: Option<Uuid>,
}

impl Ranges {
    /// A resync going on after `after` (None: from the first document).
    pub fn new(after: Option<Uuid>) -> Self {
        Self {
            queue: VecDeque::new(),
            loaded: after,
            exhausted: false,
            in_flight: 0,
        }
    }

    /// Whether documents should be loaded (after the id given) before the
    /// next offer: the queue has room and the documents are not all in.
    pub fn wants(&self) -> Option<Option<Uuid>> {
        (!self.exhausted && self.queue.len() < RANGES_PER_OFFER).then_some(self.loaded)
    }

    /// The next documents, in id order; fewer than `asked` means the last.
    pub fn load(&mut self, chunk: Vec<Held>, asked: usize) {
        self.exhausted = chunk.len() < asked;
        if let Some((last, _)) = chunk.last() {
            self.loaded = Some(*last);
        }
        let mut rest = chunk.into_iter().peekable();
        while rest.peek().is_some() {
            self.queue
                .push_back(rest.by_ref().take(RANGE_DOCS).collect());
        }
    }

    /// Every document offered and settled.
    pub fn done(&self) -> bool {
        self.exhausted && self.queue.is_empty()
    }

    /// The runs of the next offer: the first ones still open.
    pub fn offer(&mut self) -> Vec<RangeDigest> {
        self.in_flight = self.queue.len().min(RANGES_PER_OFFER);
        self.queue
            .iter()
            .take(self.in_flight)
            .map(|run| RangeDigest {
                first: run[0].0,
                last: run[run.len() - 1].0,
                count: u32::try_from(run.len()).unwrap_or(u32::MAX),
                digest: digest(run.iter().map(|(id, heads)| (*id, heads.as_slice()))),
            })
            .collect()
    }

    /// Settles the runs on the wire with the hub's answers. None when the
    /// hub answered no runs (one from before them): the caller offers by
    /// heads instead, from the last point settled.
    pub fn settle(&mut self, answers: Vec<RangeAnswer>) -> Result<Option<Settled>, SyncError> {
        if answers.len() != self.in_flight || answers.is_empty() {
            return if answers.is_empty() {
                Ok(None)
            } else {
                Err(SyncError::Malformed(format!(
                    "{} answers to an offer of {} runs",
                    answers.len(),
                    self.in_flight
                )))
            };
        }
        let sent: Vec<Vec<Held>> = self.queue.drain(..self.in_flight).collect();
        self.in_flight = 0;
        let mut settled = Settled::default();
        let mut open = Vec::new();
        for (run, answer) in sent.into_iter().zip(answers) {
            match answer {
                RangeAnswer::Split if run.len() < 2 => {
                    return Err(SyncError::Malformed(
                        "a run of one record cannot be split".into(),
                    ))
                }
                RangeAnswer::Split => {
                    let size = run.len().div_ceil(FANOUT);
                    open.extend(run.chunks(size).map(<[Held]>::to_vec));
                    continue;
                }
                RangeAnswer::Same => {}
                RangeAnswer::Holds(theirs) => settled.lacking.extend(lacking(&run, theirs)),
            }
            if open.is_empty() {
                settled.after = run.last().map(|(id, _)| *id);
            }
            settled.offered.extend(run);
        }
        for run in open.into_iter().rev() {
            self.queue.push_front(run);
        }
        Ok(Some(settled))
    }
}

/// The documents of `run` of which the hub, holding `theirs`, lacks a
/// change: those it does not hold (no heads), and those whose heads it
/// holds are not the tablet's nor beyond them (its heads, of which the
/// tablet marks those it knows and pushes the changes after them). A
/// hub ahead of the tablet on a document lists heads the tablet does not
/// know; the tablet then sends the changes after those it knows, of which
/// the hub keeps what it lacks.
fn lacking(run: &[Held], theirs: Vec<DocHeads>) -> Vec<DocHeads> {
    let theirs: HashMap<Uuid, Vec<[u8; 32]>> =
        theirs.into_iter().map(|d| (d.id, d.heads)).collect();
    run.iter()
        .filter_map(|(id, heads)| match theirs.get(id) {
            None => Some(DocHeads {
                id: *id,
                heads: Vec::new(),
            }),
            Some(held) if heads.iter().all(|h| held.contains(&h.0)) => None,
            Some(held) => Some(DocHeads {
                id: *id,
                heads: held.clone(),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(n: u128) -> Held {
        (Uuid::from_u128(n), vec![ChangeHash([n as u8; 32])])
    }

    fn docs(range: std::ops::Range<u128>) -> Vec<Held> {
        range.map(held).collect()
    }

    fn holds(run: &[Held]) -> RangeAnswer {
        RangeAnswer::Holds(run.iter().map(|(id, h)| DocHeads::of(*id, h)).collect())
    }

    /// Runs settle in id order as far as the first one still open; a
    /// split run comes back first, cut in smaller runs; what the hub
    /// lists is compared record by record.
    #[test]
    fn runs_settle_in_order_and_a_split_run_comes_back_first() {
        let mut ranges = Ranges::new(None);
        assert_eq!(ranges.wants(), Some(None));
        ranges.load(docs(1..200), 1000);
        assert_eq!(ranges.wants(), None, "all loaded");
        let offer = ranges.offer();
        assert_eq!(offer.len(), 4);
        assert_eq!((offer[0].first, offer[0].count), (Uuid::from_u128(1), 64));
        assert_eq!(offer[3].last, Uuid::from_u128(199));

        // The first run the same, the second too many to list, the third
        // listed without its first record, the fourth the same.
        let third = docs(129..193);
        let answers = vec![
            RangeAnswer::Same,
            RangeAnswer::Split,
            holds(&third[1..]),
            RangeAnswer::Same,
        ];
        let settled = ranges.settle(answers).unwrap().unwrap();
        assert_eq!(settled.after, Some(Uuid::from_u128(64)), "up to the split");
        assert_eq!(settled.offered.len(), 64 + 64 + 7);
        assert_eq!(settled.lacking.len(), 1);
        assert_eq!(settled.lacking[0].id, Uuid::from_u128(129));
        assert!(settled.lacking[0].heads.is_empty());

        let again = ranges.offer();
        assert_eq!(again.len(), FANOUT);
        assert_eq!(again[0].first, Uuid::from_u128(65));
        assert_eq!(again[FANOUT - 1].last, Uuid::from_u128(128));
        let settled = ranges
            .settle(vec![RangeAnswer::Same; FANOUT])
            .unwrap()
            .unwrap();
        assert_eq!(settled.after, Some(Uuid::from_u128(128)));
        assert!(ranges.done());
    }

    /// A hub from before ranges answers none: the caller falls back; a
    /// wrong count of answers, or a split of one record, is refused.
    #[test]
    fn no_answers_fall_back_and_wrong_answers_are_refused() {
        let mut ranges = Ranges::new(None);
        ranges.load(docs(1..3), 10);
        ranges.offer();
        assert!(ranges.settle(Vec::new()).unwrap().is_none());
        ranges.offer();
        assert!(ranges.settle(vec![RangeAnswer::Same; 2]).is_err());
        let mut one = Ranges::new(None);
        one.load(docs(1..2), 10);
        one.offer();
        assert!(one.settle(vec![RangeAnswer::Split]).is_err());
    }

    /// A record the hub holds at other heads is lacking with the hub's;
    /// one it holds at heads beyond the tablet's is not.
    #[test]
    fn a_hub_behind_lacks_and_a_hub_ahead_does_not() {
        let run = docs(1..3);
        let mut ahead = run[1].1.clone();
        ahead.push(ChangeHash([9; 32]));
        let theirs = vec![
            DocHeads {
                id: run[0].0,
                heads: vec![[7; 32]],
            },
            DocHeads {
                id: run[1].0,
                heads: ahead.iter().map(|c| c.0).collect(),
            },
        ];
        let lacks = lacking(&run, theirs);
        assert_eq!(lacks.len(), 1);
        assert_eq!(
            (lacks[0].id, lacks[0].heads.clone()),
            (run[0].0, vec![[7; 32]])
        );
    }
}
