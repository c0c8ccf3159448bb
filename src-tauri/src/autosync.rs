//! The tablet syncing by itself: a thread that asks the core's policy
//! ([`AutoSync`]) what to do, with the clock and the facts it needs, and
//! does it. The one way a sync runs, the button's included ([`sync_once`]):
//! one at a time, each step holding the store as a save does, so a sync
//! never runs in the middle of a save and a save never waits for the
//! network.

use crate::state::AppState;
use crate::test_hold;
use pcmt_core::shared::{SharedStore, StoreAccess};
use pcmt_core::sync::schedule::{
    Action, AutoSync, Ended, Facts, Intervals, Jitter, TEST_INTERVALS_ENV,
};
use pcmt_core::sync::SyncReport;
use pcmt_core::CoreError;
use pcmt_model::api::SyncStatus;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager};

/// The event that carries running totals while a sync is under way.
pub const PROGRESS_EVENT: &str = "sync-progress";
/// The event that carries the frame's [`SyncStatus`] whenever it changes.
pub const STATUS_EVENT: &str = "sync-status";

/// The longest the thread sleeps without looking: a lock, an unlock or an
/// enrolment is noticed within this even if nothing woke it.
const LONGEST_NAP: Duration = Duration::from_secs(30);

pub struct Syncing {
    /// Held for a whole sync: the button's waits for the timer's, and the
    /// other way round.
    one_at_a_time: Mutex<()>,
    plan: Mutex<Plan>,
    woken: Condvar,
    /// Saves under way (see [`Syncing::saving`]).
    saving: AtomicUsize,
}

struct Plan {
    policy: AutoSync,
    /// Counts what may change the policy's answer, so a wake-up that comes
    /// between a look and the sleep after it is not lost.
    events: u64,
    shown: Option<SyncStatus>,
}

/// A save under way: a sync that comes due meanwhile waits for it.
pub struct Saving<'a>(&'a Syncing);

impl Drop for Saving<'_> {
    fn drop(&mut self) {
        self.0.saving.fetch_sub(1, Ordering::SeqCst);
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn take<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Syncing {
    /// The policy with the defaults, or the test's shortened intervals.
    pub fn from_env() -> Result<Self, Box<dyn std::error::Error>> {
        let intervals = match std::env::var(TEST_INTERVALS_ENV) {
            Ok(s) => Intervals::parse(&s)?,
            Err(_) => Intervals::default(),
        };
        Ok(Self {
            one_at_a_time: Mutex::new(()),
            plan: Mutex::new(Plan {
                policy: AutoSync::new(intervals, now()),
                events: 0,
                shown: None,
            }),
            woken: Condvar::new(),
            saving: AtomicUsize::new(0),
        })
    }

    pub fn saving(&self) -> Saving<'_> {
        self.saving.fetch_add(1, Ordering::SeqCst);
        Saving(self)
    }

    /// A record was saved: it waits to be sent.
    pub fn saved(&self) {
        self.change(|p| p.saved(now()));
    }

    /// Something the policy looks at changed (unlocked, locked, settings).
    pub fn nudge(&self) {
        self.change(|_| {});
    }

    fn change(&self, f: impl FnOnce(&mut AutoSync)) {
        let mut plan = take(&self.plan);
        f(&mut plan.policy);
        plan.events += 1;
        self.woken.notify_all();
    }

    pub fn status(&self, last_sync: Option<i64>) -> SyncStatus {
        take(&self.plan).policy.status(last_sync)
    }

    /// Tells the screens the status if it changed since they were last told.
    fn show(&self, app: &AppHandle, plan: &mut Plan, last_sync: Option<i64>) {
        let status = plan.policy.status(last_sync);
        if plan.shown.as_ref() != Some(&status) {
            // A window that cannot be told reads the status when it asks.
            let _ = app.emit(STATUS_EVENT, &status);
            plan.shown = Some(status);
        }
    }
}

/// Starts the thread that syncs by itself, for the life of the app.
pub fn start(app: AppHandle) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("auto-sync".into())
        .spawn(move || loop {
            let state = app.state::<AppState>();
            let (facts, last_sync) = look(&state);
            let (action, seen) = {
                let mut plan = take(&state.syncing.plan);
                let action = plan.policy.poll(now(), facts);
                state.syncing.show(&app, &mut plan, last_sync);
                (action, plan.events)
            };
            let nap = match action {
                Action::Start => {
                    // Its outcome is in the status; the officer did not ask.
                    // A panic is noted there too, and must not end the thread.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        sync_once(&app, &state)
                    }));
                    continue;
                }
                Action::WaitUntil(at) => {
                    Duration::from_secs(u64::try_from(at - now()).unwrap_or(0)).min(LONGEST_NAP)
                }
                Action::Paused(_) => LONGEST_NAP,
            };
            let plan = take(&state.syncing.plan);
            // Whatever the outcome of the wait, the loop looks again.
            let _ = state
                .syncing
                .woken
                .wait_timeout_while(plan, nap, |p| p.events == seen);
        })
        .map(|_| ())
}

/// The facts the policy needs, read without counting as the officer's
/// activity (a tablet syncing by itself must still lock when left alone).
fn look(state: &AppState) -> (Facts, Option<i64>) {
    let closed = Facts {
        open: false,
        enrolled: false,
        withdrawn: false,
        saving: false,
    };
    if state.lock_if_idle(false) {
        return (closed, None);
    }
    let Ok(store) = state.store.access() else {
        return (closed, None);
    };
    let read = || -> Result<(Facts, Option<i64>), CoreError> {
        Ok((
            Facts {
                open: true,
                enrolled: store.enrolment()?.is_some(),
                // A new code from the office is traded at the next sync.
                withdrawn: store.withdrawn()?.is_some() && !store.renewal_pending()?,
                saving: state.syncing.saving.load(Ordering::SeqCst) > 0,
            },
            store.last_sync()?,
        ))
    };
    // A store that cannot be read now is not one to sync from.
    read().unwrap_or((closed, None))
}

/// One sync with the hub, whoever started it, reported to the policy and
/// the screens. A sync already under way is waited for, not joined.
pub fn sync_once(app: &AppHandle, state: &AppState) -> Result<SyncReport, CoreError> {
    let _one = take(&state.syncing.one_at_a_time);
    {
        let mut plan = take(&state.syncing.plan);
        plan.policy.started();
        let last_sync = plan.shown.as_ref().and_then(|s| s.last_sync);
        state.syncing.show(app, &mut plan, last_sync);
    }
    let mut progress = |report: &SyncReport| {
        // A window that cannot be told only misses a progress line.
        let _ = app.emit(PROGRESS_EVENT, report);
        test_hold::hold(test_hold::SYNC_PROGRESS);
    };
    // Every way out ends in the policy, a panic too: otherwise the tablet
    // would look busy and never sync by itself again, or, had it not
    // started, try again at once, and again.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let (url, code) = {
            let store = state.store.access()?;
            (state.settings_of(&store)?.hub_url, store.enrol_code()?)
        };
        pcmt_core::http::sync_with_hub_observed(
            &HeldBySync(&*state.store),
            &url,
            code.as_deref(),
            &mut progress,
        )
    }));
    let ended = match &result {
        Ok(r) => Ended::of(r),
        Err(_) => Ended::Failed {
            retry_after_s: None,
        },
    };
    let after = state
        .store
        .access()
        .and_then(|s| Ok((s.unsynced_count()?, s.last_sync()?)));
    let mut plan = take(&state.syncing.plan);
    let (unsent, last_sync) = after.unwrap_or((0, plan.shown.as_ref().and_then(|s| s.last_sync)));
    plan.policy.finished(now(), ended, unsent, jitter());
    plan.events += 1;
    state.syncing.show(app, &mut plan, last_sync);
    drop(plan);
    state.syncing.woken.notify_all();
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The store as a sync takes it: where an end-to-end test can hold a sync
/// with the store in hand, as a long batch would.
struct HeldBySync<'a>(&'a dyn SharedStore);

impl SharedStore for HeldBySync<'_> {
    fn access(&self) -> Result<StoreAccess<'_>, CoreError> {
        let store = self.0.access()?;
        test_hold::hold(test_hold::SYNC_STORE);
        Ok(store)
    }
}

/// A share of the next wait to take off, so the tablets of a commune that
/// lost the hub together do not come back in the same second. The clock's
/// nanoseconds are random enough for that, and nothing secret rides on it.
fn jitter() -> Jitter {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Jitter(f64::from(nanos % 1_000_000) / 1_000_000.0)
}
