//! The sync button, and what the frame says about syncing.

use crate::autosync::sync_once;
use crate::state::AppState;
use pcmt_core::shared::SharedStore;
use pcmt_core::sync::SyncReport;
use pcmt_model::api::{CommandError, SyncStatus};
use tauri::{AppHandle, Manager, State};

/// Syncs now. Runs on a worker thread: the window stays responsive while
/// the network is slow, and the officer can keep saving meanwhile. A sync
/// the tablet started by itself is waited for first, then this one runs.
#[tauri::command]
pub async fn sync_now(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<SyncReport, CommandError> {
    // The officer's own action: a locked app (or one idle too long) says so.
    drop(state.store()?);
    tauri::async_runtime::spawn_blocking(move || sync_once(&app, &app.state::<AppState>()))
        .await
        .map_err(|e| {
            CommandError::plain(
                format!("Đồng bộ bị gián đoạn: {e}. Lần đồng bộ sau sẽ tiếp tục."),
                format!("Sync was interrupted: {e}. The next sync will continue."),
            )
        })?
        .map_err(CommandError::from)
}

/// Last sync, next try and how the last try ended, for the frame; the
/// shell sends the same as `sync-status` events whenever it changes.
#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, CommandError> {
    let last_sync = state.store.access().and_then(|s| s.last_sync())?;
    Ok(state.syncing.status(last_sync))
}
