//! When the tablet syncs by itself (tự đồng bộ): a sans-IO policy the shell
//! drives with a timer. No clock and no randomness inside: the time (Unix
//! seconds) and the jitter are arguments, so every rule below is a unit test.
//!
//! - While all is well the tablet syncs every [`Intervals::idle_s`] (5 min),
//!   to pull what others wrote.
//! - A save makes it sync sooner, [`Intervals::after_save_s`] (1 min) after
//!   the first unsent save, so a record reaches the hub soon without a
//!   click; saves in a row go out together.
//! - A try that fails waits longer each time, doubling from 1 min (unsent
//!   records) or 5 min (nothing to send) up to [`Intervals::backoff_max_s`]
//!   (15 min), each wait shortened by up to a fifth at random so that the
//!   tablets of a commune that lost the hub together do not all come back
//!   in the same second. A wait the hub asked for (rate limit) is kept.
//!   Saves do not shorten a back-off: a hub that does not answer is not
//!   asked more often because the officer is busy.
//! - A sync that goes through ends the back-off.
//! - A due sync waits while a save is under way ([`Intervals::defer_s`]).
//! - A locked app, a tablet not enrolled and one the office withdrew do not
//!   sync by themselves. Neither does a tablet already syncing: the button
//!   and the timer share one sync at a time, and both report here.

use super::SyncError;
use crate::CoreError;
use pcmt_model::api::{SyncReport, SyncStatus, TryOutcome};

/// The policy's waits, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    /// Between syncs while the hub answers and nothing waits to be sent.
    pub idle_s: i64,
    /// From a save (or the app's start) to the sync that sends it.
    pub after_save_s: i64,
    /// The longest wait between tries while the hub does not answer.
    pub backoff_max_s: i64,
    /// How long a due sync waits for a save under way.
    pub defer_s: i64,
}

impl Default for Intervals {
    /// For a tablet in the field: a pull every five minutes costs one round
    /// trip when nothing changed; a save is sent within a minute; a hub down
    /// for the day is asked four times an hour.
    fn default() -> Self {
        Self {
            idle_s: 5 * 60,
            after_save_s: 60,
            backoff_max_s: 15 * 60,
            defer_s: 5,
        }
    }
}

/// Shortened intervals for end-to-end tests only (read by the shell at
/// start; see [`Intervals::parse`]): an officer's tablet never has it set,
/// and the frame states whatever intervals are in force.
pub const TEST_INTERVALS_ENV: &str = "PCMT_TEST_SYNC_INTERVALS";

/// A test setting that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sync intervals {0:?}: expected idle=S,after_save=S,backoff_max=S (seconds > 0)")]
pub struct BadIntervals(pub String);

impl Intervals {
    /// Reads shortened intervals for an end-to-end test
    /// (`PCMT_TEST_SYNC_INTERVALS`, e.g. `idle=30,after_save=2,backoff_max=4`):
    /// `key=seconds` pairs, the keys not given keep their defaults.
    pub fn parse(setting: &str) -> Result<Self, BadIntervals> {
        let bad = || BadIntervals(setting.to_string());
        let mut out = Self::default();
        for pair in setting.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').ok_or_else(bad)?;
            let seconds: i64 = value.trim().parse().map_err(|_| bad())?;
            if seconds <= 0 {
                return Err(bad());
            }
            match key.trim() {
                "idle" => out.idle_s = seconds,
                "after_save" => out.after_save_s = seconds,
                "backoff_max" => out.backoff_max_s = seconds,
                "defer" => out.defer_s = seconds,
                _ => return Err(bad()),
            }
        }
        Ok(out)
    }
}

/// What the policy must know about the tablet when asked, read by the
/// shell just before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// The app is unlocked (the store is open).
    pub open: bool,
    /// The tablet holds an enrolment (a token).
    pub enrolled: bool,
    /// The office revoked it or marked it lost at its last sync.
    pub withdrawn: bool,
    /// A save is under way.
    pub saving: bool,
}

/// Why the tablet does not sync by itself now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paused {
    Locked,
    NotEnrolled,
    Withdrawn,
    /// A sync is under way (the button's or the timer's).
    Running,
}

/// What the shell does now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Sync now (then tell [`AutoSync::started`] and [`AutoSync::finished`]).
    Start,
    /// Ask again at this time, or sooner if something happens (a save).
    WaitUntil(i64),
    /// Do not sync by itself; ask again when something happens.
    Paused(Paused),
}

/// How a sync ended, as the policy needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Synced {
        /// Records sent and received.
        moved: u64,
    },
    /// The hub did not answer.
    Offline,
    /// The hub answered and refused, or its answer was wrong; it may have
    /// asked for a wait (`Retry-After`).
    Failed { retry_after_s: Option<i64> },
    /// Stopped by the tablet, not the hub (the app locked meanwhile): not a
    /// try, so no back-off.
    Interrupted,
}

impl Ended {
    /// How a sync's result counts for the policy.
    pub fn of(result: &Result<SyncReport, CoreError>) -> Self {
        match result {
            Ok(r) => Ended::Synced {
                moved: r.sent_records + r.received_records,
            },
            Err(CoreError::Sync(SyncError::Unreachable(_))) => Ended::Offline,
            Err(CoreError::Sync(SyncError::TooManyAttempts { retry_after_s })) => Ended::Failed {
                retry_after_s: Some(i64::try_from(*retry_after_s).unwrap_or(i64::MAX)),
            },
            Err(CoreError::Locked) => Ended::Interrupted,
            Err(_) => Ended::Failed {
                retry_after_s: None,
            },
        }
    }
}

/// A share of a wait taken off at random, in `[0, 1)`; the shell draws it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jitter(pub f64);

/// At most this share of a wait is taken off by the jitter.
const JITTER_SHARE: f64 = 0.2;

/// The auto-sync policy of one running app.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoSync {
    intervals: Intervals,
    next_at: i64,
    /// Tries in a row that did not go through.
    failures: u32,
    running: bool,
    paused: Option<Paused>,
    last_try: Option<TryOutcome>,
    moved: u64,
}

impl AutoSync {
    /// The app has just started: a first try soon, to send what an earlier
    /// run left unsent and pull what came meanwhile.
    pub fn new(intervals: Intervals, now: i64) -> Self {
        Self {
            intervals,
            next_at: now + intervals.after_save_s,
            failures: 0,
            running: false,
            paused: None,
            last_try: None,
            moved: 0,
        }
    }

    pub fn intervals(&self) -> Intervals {
        self.intervals
    }

    /// What to do at `now`.
    pub fn poll(&mut self, now: i64, facts: Facts) -> Action {
        let paused = if self.running {
            Some(Paused::Running)
        } else if !facts.open {
            Some(Paused::Locked)
        } else if !facts.enrolled {
            Some(Paused::NotEnrolled)
        } else if facts.withdrawn {
            Some(Paused::Withdrawn)
        } else {
            None
        };
        self.paused = paused;
        if let Some(p) = paused {
            return Action::Paused(p);
        }
        if now < self.next_at {
            return Action::WaitUntil(self.next_at);
        }
        if facts.saving {
            self.next_at = now + self.intervals.defer_s;
            return Action::WaitUntil(self.next_at);
        }
        Action::Start
    }

    /// The officer saved a record (it waits to be sent): sync within
    /// `after_save_s`, unless the hub is not answering (the back-off holds).
    pub fn saved(&mut self, now: i64) {
        if self.failures == 0 {
            self.next_at = self.next_at.min(now + self.intervals.after_save_s);
        }
    }

    /// A sync started, from the button or the timer.
    pub fn started(&mut self) {
        self.running = true;
    }

    /// A sync ended at `now`; `unsent` records still wait (saved during the
    /// sync, or not sent because it failed).
    pub fn finished(&mut self, now: i64, ended: Ended, unsent: u64, jitter: Jitter) {
        self.running = false;
        let base = if unsent > 0 {
            self.intervals.after_save_s
        } else {
            self.intervals.idle_s
        };
        let wait = match ended {
            Ended::Synced { moved } => {
                self.failures = 0;
                self.last_try = Some(TryOutcome::Synced);
                self.moved = moved;
                base
            }
            Ended::Offline | Ended::Failed { .. } => {
                self.failures = self.failures.saturating_add(1);
                self.last_try = Some(if ended == Ended::Offline {
                    TryOutcome::Offline
                } else {
                    TryOutcome::Failed
                });
                let doubled = base.saturating_mul(1_i64 << (self.failures - 1).min(20));
                doubled.min(self.intervals.backoff_max_s.max(base))
            }
            // Tried again as soon as the app opens again.
            Ended::Interrupted => 0,
        };
        let wait = wait - (wait as f64 * JITTER_SHARE * jitter.0.clamp(0.0, 1.0)) as i64;
        let asked = match ended {
            Ended::Failed {
                retry_after_s: Some(s),
            } => s,
            _ => 0,
        };
        self.next_at = now + wait.max(asked);
    }

    /// What the frame shows; `last_sync` is the store's (it outlives the app).
    pub fn status(&self, last_sync: Option<i64>) -> SyncStatus {
        SyncStatus {
            running: self.running,
            last_sync,
            next_try: match self.paused {
                None | Some(Paused::Running) => Some(self.next_at),
                Some(_) => None,
            },
            last_try: self.last_try,
            moved: self.moved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000;
    const NO_JITTER: Jitter = Jitter(0.0);

    fn ready() -> Facts {
        Facts {
            open: true,
            enrolled: true,
            withdrawn: false,
            saving: false,
        }
    }

    /// Runs one sync at `now` that ends as `ended`.
    fn sync(policy: &mut AutoSync, now: i64, ended: Ended, unsent: u64) {
        assert_eq!(policy.poll(now, ready()), Action::Start);
        policy.started();
        policy.finished(now, ended, unsent, NO_JITTER);
    }

    fn next(policy: &mut AutoSync, now: i64) -> i64 {
        match policy.poll(now, ready()) {
            Action::WaitUntil(at) => at,
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    #[test]
    fn the_defaults_are_five_minutes_idle_one_after_a_save_and_fifteen_at_most() {
        let i = Intervals::default();
        assert_eq!((i.idle_s, i.after_save_s, i.backoff_max_s), (300, 60, 900));
    }

    #[test]
    fn a_first_try_comes_soon_after_start_then_every_idle_interval() {
        let mut p = AutoSync::new(Intervals::default(), T0);
        assert_eq!(next(&mut p, T0), T0 + 60);
        sync(&mut p, T0 + 60, Ended::Synced { moved: 0 }, 0);
        assert_eq!(next(&mut p, T0 + 61), T0 + 60 + 300);
        sync(&mut p, T0 + 360, Ended::Synced { moved: 3 }, 0);
        assert_eq!(next(&mut p, T0 + 361), T0 + 660);
        let status = p.status(Some(T0 + 360));
        assert_eq!(status.last_try, Some(TryOutcome::Synced));
        assert_eq!((status.next_try, status.moved), (Some(T0 + 660), 3));
    }

    #[test]
    fn a_save_brings_the_next_sync_to_a_minute_and_saves_in_a_row_go_together() {
        let mut p = AutoSync::new(Intervals::default(), T0);
        sync(&mut p, T0 + 60, Ended::Synced { moved: 0 }, 0);
        p.saved(T0 + 100);
        assert_eq!(next(&mut p, T0 + 100), T0 + 160);
        // A second save does not push the first one's sync back.
        p.saved(T0 + 130);
        assert_eq!(next(&mut p, T0 + 130), T0 + 160);
        // Records saved during a sync are sent a minute after it.
        sync(&mut p, T0 + 160, Ended::Synced { moved: 2 }, 1);
        assert_eq!(next(&mut p, T0 + 161), T0 + 220);
    }

    #[test]
    fn tries_while_the_hub_is_down_back_off_to_the_cap_and_a_success_resets() {
        let mut p = AutoSync::new(Intervals::default(), T0);
        let mut now = T0 + 60;
        let mut waits = Vec::new();
        for _ in 0..7 {
            sync(&mut p, now, Ended::Offline, 1);
            let at = next(&mut p, now);
            waits.push(at - now);
            now = at;
        }
        assert_eq!(waits, [60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(p.status(None).last_try, Some(TryOutcome::Offline));
        // With nothing to send, the back-off starts from the idle interval.
        let mut idle = AutoSync::new(Intervals::default(), T0);
        sync(&mut idle, T0 + 60, Ended::Offline, 0);
        assert_eq!(next(&mut idle, T0 + 60), T0 + 360);
        sync(&mut idle, T0 + 360, Ended::Offline, 0);
        assert_eq!(next(&mut idle, T0 + 360), T0 + 960);
        sync(&mut idle, T0 + 960, Ended::Offline, 0);
        assert_eq!(next(&mut idle, T0 + 960), T0 + 1860);
        // The hub answers again: the back-off is over.
        sync(&mut p, now, Ended::Synced { moved: 1 }, 0);
        assert_eq!(next(&mut p, now), now + 300);
        sync(&mut p, now + 300, Ended::Offline, 1);
        assert_eq!(next(&mut p, now + 300), now + 360);
    }

    #[test]
    fn a_save_does_not_shorten_a_back_off() {
        let mut p = AutoSync::new(Intervals::default(), T0);
        sync(&mut p, T0 + 60, Ended::Offline, 1);
        sync(&mut p, T0 + 120, Ended::Offline, 1);
        assert_eq!(next(&mut p, T0 + 130), T0 + 240);
        p.saved(T0 + 130);
        assert_eq!(next(&mut p, T0 + 130), T0 + 240);
    }

    #[test]
    fn the_jitter_takes_at_most_a_fifth_off_a_wait_and_never_passes_the_cap() {
        for j in [0.0, 0.25, 0.5, 0.999, 7.0, -1.0] {
            let mut p = AutoSync::new(Intervals::default(), T0);
            for _ in 0..8 {
                assert_eq!(p.poll(T0 + 10_000, ready()), Action::Start);
                p.started();
                p.finished(T0, Ended::Offline, 1, Jitter(j));
            }
            let wait = next(&mut p, T0) - T0;
            assert!((720..=900).contains(&wait), "{j}: {wait}");
        }
        let mut a = AutoSync::new(Intervals::default(), T0);
        let mut b = a.clone();
        a.started();
        b.started();
        a.finished(T0, Ended::Offline, 0, Jitter(0.1));
        b.finished(T0, Ended::Offline, 0, Jitter(0.9));
        assert!(next(&mut a, T0) > next(&mut b, T0), "tablets spread out");
    }

    #[test]
    fn a_wait_the_hub_asked_for_is_kept() {
        let mut p = AutoSync::new(Intervals::default(), T0);
        sync(
            &mut p,
            T0 + 60,
            Ended::Failed {
                retry_after_s: Some(700),
            },
            1,
        );
        assert_eq!(next(&mut p, T0 + 60), T0 + 760);
        assert_eq!(p.status(None).last_try, Some(TryOutcome::Failed));
    }

    #[test]
    fn a_due_sync_waits_for_a_save_under_way() {
        let mut p = AutoSync::new(Intervals::default(), T0);
        let saving = Facts {
            saving: true,
            ..ready()
        };
        assert_eq!(p.poll(T0 + 60, saving), Action::WaitUntil(T0 + 65));
        assert_eq!(p.poll(T0 + 65, saving), Action::WaitUntil(T0 + 70));
        assert_eq!(p.poll(T0 + 70, ready()), Action::Start);
    }

    #[test]
    fn locked_unenrolled_or_withdrawn_tablets_do_not_sync_by_themselves() {
        let mut p = AutoSync::new(Intervals::default(), T0);
        let late = T0 + 10_000;
        for (facts, why) in [
            (
                Facts {
                    open: false,
                    ..ready()
                },
                Paused::Locked,
            ),
            (
                Facts {
                    enrolled: false,
                    ..ready()
                },
                Paused::NotEnrolled,
            ),
            (
                Facts {
                    withdrawn: true,
                    ..ready()
                },
                Paused::Withdrawn,
            ),
        ] {
            assert_eq!(p.poll(late, facts), Action::Paused(why));
            assert_eq!(p.status(None).next_try, None, "{why:?}: no next try shown");
        }
        // Unlocked again, the overdue sync runs at once.
        assert_eq!(p.poll(late, ready()), Action::Start);
    }

    #[test]
    fn never_two_syncs_at_once_and_the_buttons_sync_counts_too() {
        let mut p = AutoSync::new(Intervals::default(), T0);
        // The officer pressed the button before the first timed try.
        p.started();
        assert_eq!(p.poll(T0 + 600, ready()), Action::Paused(Paused::Running));
        let status = p.status(None);
        assert!(status.running && status.next_try.is_some(), "{status:?}");
        p.finished(T0 + 600, Ended::Offline, 0, NO_JITTER);
        assert_eq!(next(&mut p, T0 + 600), T0 + 900);
        assert!(!p.status(None).running);
    }

    #[test]
    fn a_sync_cut_by_the_lock_is_no_try_and_runs_again_on_unlock() {
        let mut p = AutoSync::new(Intervals::default(), T0);
        sync(&mut p, T0 + 60, Ended::Interrupted, 1);
        assert_eq!(p.poll(T0 + 60, ready()), Action::Start);
        assert_eq!(p.status(None).last_try, None);
    }

    #[test]
    fn results_count_as_the_hub_not_answering_refusing_or_no_try() {
        let report = SyncReport {
            sent_records: 2,
            received_records: 3,
            ..SyncReport::default()
        };
        assert_eq!(Ended::of(&Ok(report)), Ended::Synced { moved: 5 });
        let err = |e: SyncError| Ended::of(&Err(CoreError::Sync(e)));
        assert_eq!(
            err(SyncError::Unreachable("refused".into())),
            Ended::Offline
        );
        assert_eq!(
            err(SyncError::TooManyAttempts { retry_after_s: 90 }),
            Ended::Failed {
                retry_after_s: Some(90)
            }
        );
        assert_eq!(
            err(SyncError::Revoked),
            Ended::Failed {
                retry_after_s: None
            }
        );
        assert_eq!(Ended::of(&Err(CoreError::Locked)), Ended::Interrupted);
    }

    #[test]
    fn shortened_intervals_are_read_for_tests_and_nonsense_is_refused() {
        let i = Intervals::parse("idle=30, after_save=2,backoff_max=4").unwrap();
        assert_eq!((i.idle_s, i.after_save_s, i.backoff_max_s), (30, 2, 4));
        assert_eq!(i.defer_s, Intervals::default().defer_s);
        assert_eq!(Intervals::parse("").unwrap(), Intervals::default());
        for bad in ["idle", "idle=0", "idle=-5", "idle=x", "often=3"] {
            assert!(Intervals::parse(bad).is_err(), "{bad}");
        }
    }
}
