//! Where report pages and downloads are computed: one at a time per hub
//! process, on a thread of their own that the OS runs after everything
//! else. A yearly district page is a few dozen reports of CPU work; on the
//! office's small machine, run beside the sync routes at the same
//! priority, a clerk reloading it would slow every tablet's sync. Here the
//! syncs keep the CPU and the pages take what is left (they wait, the
//! tablets do not).

use super::error::DashError;
use crate::storage::HubStorage;
use crate::web::blocking::Storage;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Sender};
use std::sync::Mutex;

type Job = Box<dyn FnOnce() + Send>;

/// The report thread's queue.
pub(super) struct Lane {
    jobs: Mutex<Sender<Job>>,
}

/// Moves the calling thread to the OS's idle class, where the OS lets a
/// thread do it alone (Linux: `SCHED_IDLE` on the calling thread): it
/// runs on CPU time no other thread wants. A low nice value was not
/// enough: at nice 10 a page still took a tenth of a busy core, and the
/// syncs' p95 rose by a quarter (`cargo xtask bench hub`). Elsewhere the
/// lane still runs one page at a time at normal priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let idle = libc::sched_param { sched_priority: 0 };
        // SAFETY: a plain system call on the calling thread (pid 0); a
        // refusal only leaves the priority as it was.
        let done = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &idle) };
        if done != 0 {
            tracing::warn!("the report thread keeps its normal priority");
        }
    }
}

impl Lane {
    /// Starts the report thread. A thread the OS refuses leaves a lane
    /// whose pages fail with [`DashError::Stopped`] (and says so in the
    /// log); the sync routes go on.
    pub(super) fn start() -> Self {
        let (jobs, queue) = channel::<Job>();
        let started = std::thread::Builder::new()
            .name("pcmt-reports".into())
            .spawn(move || {
                lower_priority();
                crate::storage::report_reads::mark_report_thread();
                for job in queue {
                    // A page that panics fails alone; the lane goes on.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            });
        if let Err(error) = started {
            tracing::error!(%error, "no report thread: dashboard pages will fail");
        }
        Self {
            jobs: Mutex::new(jobs),
        }
    }

    /// Runs `work` on the storage in the lane, and waits for it without
    /// holding an async worker.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        storage: &Storage,
        work: impl FnOnce(&dyn HubStorage) -> Result<T, DashError> + Send + 'static,
    ) -> Result<T, DashError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let storage = storage.clone();
        let job: Job = Box::new(move || {
            let _ = answer.send(work(&*storage));
        });
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job)
            .map_err(|_| DashError::Stopped)?;
        answered.await.map_err(|_| DashError::Stopped)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lane answers, survives a page that panics, and runs pages one
    /// after the other.
    /// A runtime to wait in, a store and a started lane.
    fn started() -> (tokio::runtime::Runtime, Storage, Lane) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let storage: Storage =
            std::sync::Arc::new(crate::sqlite::HubStore::open_in_memory().unwrap());
        (runtime, storage, Lane::start())
    }

    #[test]
    fn the_lane_answers_after_a_panicking_page_too() {
        let (runtime, storage, lane) = started();
        runtime.block_on(async {
            let panicked = lane
                .run(&storage, |_| -> Result<(), DashError> { panic!("a bug") })
                .await;
            assert!(matches!(panicked, Err(DashError::Stopped)));
            let count = lane
                .run(&storage, |s| Ok(s.document_count()?))
                .await
                .unwrap();
            assert_eq!(count, 0);
        });
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_report_thread_runs_in_the_idle_class() {
        let (runtime, storage, lane) = started();
        // SAFETY: reads the calling thread's policy.
        let policy = || unsafe { libc::sched_getscheduler(0) };
        let in_lane = runtime
            .block_on(lane.run(&storage, move |_| Ok(policy())))
            .unwrap();
        assert_eq!(in_lane, libc::SCHED_IDLE);
        assert_ne!(policy(), libc::SCHED_IDLE, "only the lane's thread");
    }
}
