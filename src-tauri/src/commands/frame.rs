//! The frame's commands: what the tablet is, first start, settings, drafts.
//! Every one but `default_enrol_code` reads or writes the store, so waits
//! for it while a sync applies a batch: they run off the main thread.

use super::{answer, off_main};
use crate::state::AppState;
use pcmt_core::CoreError;
use pcmt_model::api::{AppInfo, CommandError, Settings, SetupInput};
use tauri::{AppHandle, State};

#[tauri::command]
pub async fn app_info(app: AppHandle) -> Result<AppInfo, CommandError> {
    off_main(app, |_, state| answer(info(state))).await
}

fn info(state: &AppState) -> Result<AppInfo, CoreError> {
    let settings = state.settings_or_defaults()?;
    let store = state.store()?;
    let enrolment = store.enrolment()?;
    let office_version = store.office_version()?;
    Ok(AppInfo {
        device_id: store.device_id().to_string(),
        set_up: store.settings()?.is_some(),
        enrolled: enrolment.is_some(),
        communes: enrolment.map(|e| e.communes).unwrap_or_default(),
        renewal_pending: store.renewal_pending()?,
        withdrawn: store.withdrawn()?,
        hub_certificate: store.hub_certificate()?.map(|f| f.to_string()),
        hub_certificate_seen: store.hub_certificate_seen()?.map(|f| f.to_string()),
        unsynced: store.unsynced_count()?,
        unreadable: store.unreadable_count()?,
        last_sync: store.last_sync()?,
        data_bytes: store.data_size()?,
        app_version: env!("CARGO_PKG_VERSION").into(),
        settings,
        office_version,
        units: if office_version > 0 {
            store.units().units().cloned().collect()
        } else {
            Vec::new()
        },
    })
}

/// The office's code as the environment offers it, for the first-start form.
/// Held in memory: the one command left on the main thread.
#[tauri::command]
pub fn default_enrol_code(state: State<'_, AppState>) -> String {
    state.defaults.code.clone()
}

/// First start: the officer's settings and the office's code. Nothing here
/// needs the network; the code is traded for a token at the first sync.
#[tauri::command]
pub async fn set_up(app: AppHandle, input: SetupInput) -> Result<AppInfo, CommandError> {
    off_main(app, move |_, state| {
        answer(state.store()?.set_up(&input))?;
        state.remember_lang(input.settings.lang);
        answer(info(state))
    })
    .await
}

#[tauri::command]
pub async fn save_settings(app: AppHandle, settings: Settings) -> Result<AppInfo, CommandError> {
    off_main(app, move |_, state| {
        answer(state.store()?.save_settings(&settings))?;
        state.lock_after(settings.lock_after_min);
        state.remember_lang(settings.lang);
        answer(info(state))
    })
    .await
}

/// A new code from the office for a tablet it revoked: kept until the next
/// sync trades it for a new token. An empty code withdraws a waiting one.
#[tauri::command]
pub async fn renew_enrolment(app: AppHandle, code: String) -> Result<AppInfo, CommandError> {
    off_main(app, move |_, state| {
        answer(state.store()?.set_renewal_code(&code))?;
        answer(info(state))
    })
    .await
}

/// The officer compared the certificate the hub presented with the office's
/// print-out: the tablet trusts it, and only it, from now on.
#[tauri::command]
pub async fn trust_hub_certificate(
    app: AppHandle,
    fingerprint: String,
) -> Result<AppInfo, CommandError> {
    off_main(app, move |_, state| {
        answer(state.store()?.trust_hub_certificate(&fingerprint))?;
        answer(info(state))
    })
    .await
}

/// A half-filled form, kept on the device so it survives closing the app:
/// an fsync'd encrypted write, which the screens send once the officer
/// pauses, not at every keystroke.
#[tauri::command]
pub async fn save_draft(
    app: AppHandle,
    key: String,
    json: Option<String>,
) -> Result<(), CommandError> {
    off_main(app, move |_, state| {
        answer(
            state
                .store()?
                .set_local_value(&format!("draft.{key}"), json.as_deref()),
        )
    })
    .await
}

#[tauri::command]
pub async fn load_draft(app: AppHandle, key: String) -> Result<Option<String>, CommandError> {
    off_main(app, move |_, state| {
        answer(state.store()?.local_value(&format!("draft.{key}")))
    })
    .await
}
