//! Which thread computes reports. A backend that keeps reader connections
//! gives that thread one of its own (`crate::sqlite`): a yearly page reads
//! for a second or more on a thread the OS runs last, and a pull or a token
//! check that waited for the connection it holds would wait for the page.

use std::cell::Cell;

thread_local! {
    static REPORTS: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as the one that computes reports, for good.
pub fn mark_report_thread() {
    REPORTS.with(|r| r.set(true));
}

/// Whether the calling thread computes reports.
pub(crate) fn on_report_thread() -> bool {
    REPORTS.with(Cell::get)
}
