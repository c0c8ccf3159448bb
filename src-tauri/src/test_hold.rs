//! End-to-end tests only: holding a slow step open so a test can show the
//! window answering while it runs, without timing anything. With
//! `PCMT_TEST_HOLD_DIR` set, a step waits for as long as a file named after
//! it exists in that folder; the test creates the file, starts the step,
//! clicks around, and removes the file to let the step finish. Compiled
//! into debug builds only: the app a tablet gets never looks.

/// Unlocking or setting the PIN, after Argon2id.
pub const UNLOCK: &str = "unlock";
/// A report being counted, with the store held.
pub const REPORT: &str = "report";
/// An export being made, with the store held.
pub const EXPORT: &str = "export";
/// A sync holding the store (each time it takes it): a batch applied.
pub const SYNC_STORE: &str = "sync-store";
/// A sync after it told the screens its progress, between two exchanges.
pub const SYNC_PROGRESS: &str = "sync-progress";

#[cfg(debug_assertions)]
pub fn hold(step: &str) {
    /// The folder whose files hold steps.
    const HOLD_DIR_ENV: &str = "PCMT_TEST_HOLD_DIR";
    let Some(dir) = std::env::var_os(HOLD_DIR_ENV) else {
        return;
    };
    let file = std::path::Path::new(&dir).join(step);
    while file.exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(not(debug_assertions))]
pub fn hold(_step: &str) {}
