//! Commands the screens invoke. Errors cross to the UI as `CommandError`
//! (shared with the UI through the model crate), carrying the field errors
//! for inline display and a message in each language.

use crate::state::AppState;
use pcmt_core::sync::SyncReport;
use pcmt_model::api::{AppInfo, CommandError, ListFilter};
use pcmt_model::{SessionInput, SessionRow};
use tauri::State;

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, CommandError> {
    let store = state.store();
    Ok(AppInfo {
        device_id: store.device_id().to_string(),
        officer: state.author.officer.clone(),
        hub_url: state.hub_url.clone(),
        unsynced: store.unsynced_count()?,
    })
}

#[tauri::command]
pub fn save_session(
    state: State<'_, AppState>,
    input: SessionInput,
) -> Result<SessionRow, CommandError> {
    let today = chrono::Local::now().date_naive();
    state
        .store()
        .create_session(&input, &state.author, today)
        .map_err(CommandError::from)
}

/// One page of sessions, newest first; no filter lists them all.
#[tauri::command]
pub fn list_sessions(
    state: State<'_, AppState>,
    filter: Option<ListFilter>,
    offset: u32,
    limit: u32,
) -> Result<Vec<SessionRow>, CommandError> {
    state
        .store()
        .list_sessions(&filter.unwrap_or_default(), limit.min(500), offset)
        .map_err(CommandError::from)
}

/// Runs on a worker thread: the window stays responsive while the network is slow.
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Result<SyncReport, CommandError> {
    let store = state.store.clone();
    let url = state.hub_url.clone();
    let code = state.enrol_code.clone();
    tauri::async_runtime::spawn_blocking(move || {
        pcmt_core::http::sync_with_hub(&store, &url, code.as_deref())
    })
    .await
    .map_err(|e| CommandError {
        fields: Vec::new(),
        message_vi: format!("Đồng bộ bị gián đoạn: {e}"),
        message_en: format!("Sync was interrupted: {e}"),
    })?
    .map_err(CommandError::from)
}
