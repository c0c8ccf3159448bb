//! The sync button, and what the frame says about syncing.

use super::{answer, off_main};
use crate::autosync::sync_once;
use pcmt_core::shared::SharedStore;
use pcmt_core::sync::SyncReport;
use pcmt_model::api::{CommandError, SyncStatus};
use tauri::AppHandle;

/// Syncs now. Runs on a worker thread: the window stays responsive while
/// the network is slow, and the officer can keep saving meanwhile. A sync
/// the tablet started by itself is waited for first, then this one runs.
#[tauri::command]
pub async fn sync_now(app: AppHandle) -> Result<SyncReport, CommandError> {
    off_main(app, |app, state| {
        // The officer's own action: a locked app (or one idle too long) says so.
        drop(state.store()?);
        answer(sync_once(app, state))
    })
    .await
}

/// Last sync, next try and how the last try ended, for the frame; the
/// shell sends the same as `sync-status` events whenever it changes. Reads
/// the store, which a running sync holds while it applies a batch.
#[tauri::command]
pub async fn sync_status(app: AppHandle) -> Result<SyncStatus, CommandError> {
    off_main(app, |_, state| {
        let last_sync = state.store.access().and_then(|s| s.last_sync())?;
        Ok(state.syncing.status(last_sync))
    })
    .await
}
