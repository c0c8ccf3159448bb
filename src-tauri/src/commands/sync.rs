//! The one sync button.

use crate::state::AppState;
use pcmt_core::sync::SyncReport;
use pcmt_model::api::CommandError;
use tauri::{AppHandle, Emitter, State};

/// The event that carries running totals while a sync is under way.
pub const PROGRESS_EVENT: &str = "sync-progress";

/// Runs on a worker thread: the window stays responsive while the network
/// is slow, and the officer can keep saving meanwhile.
#[tauri::command]
pub async fn sync_now(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<SyncReport, CommandError> {
    let store = state.store.clone();
    let url = state.settings_or_defaults()?.hub_url;
    let code = state.store()?.enrol_code()?;
    tauri::async_runtime::spawn_blocking(move || {
        let mut progress = |report: &SyncReport| {
            // A window that cannot be told only misses a progress line.
            let _ = app.emit(PROGRESS_EVENT, report);
        };
        pcmt_core::http::sync_with_hub_observed(&store, &url, code.as_deref(), &mut progress)
    })
    .await
    .map_err(|e| {
        CommandError::plain(
            format!("Đồng bộ bị gián đoạn: {e}. Lần đồng bộ sau sẽ tiếp tục."),
            format!("Sync was interrupted: {e}. The next sync will continue."),
        )
    })?
    .map_err(CommandError::from)
}
