//! The frame's commands: what the tablet is, first start, settings, drafts.

use super::answer;
use crate::state::{AppState, ENROL_CODE_KEY};
use pcmt_core::http::{LAST_SYNC, RENEWAL_CODE, WITHDRAWN};
use pcmt_core::CoreError;
use pcmt_model::api::{AppInfo, CommandError, Settings, SetupInput, Withdrawal};
use pcmt_model::validation::{Field, FieldError, Problem};
use pcmt_model::Labelled;
use tauri::State;

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, CommandError> {
    answer(info(&state))
}

fn info(state: &AppState) -> Result<AppInfo, CoreError> {
    let settings = state.settings_or_defaults()?;
    let store = state.store()?;
    let enrolment = store.enrolment()?;
    Ok(AppInfo {
        device_id: store.device_id().to_string(),
        set_up: store.settings()?.is_some(),
        enrolled: enrolment.is_some(),
        communes: enrolment.map(|e| e.communes).unwrap_or_default(),
        renewal_pending: store.local_value(RENEWAL_CODE)?.is_some(),
        withdrawn: store
            .local_value(WITHDRAWN)?
            .and_then(|c| Withdrawal::from_code(&c)),
        unsynced: store.unsynced_count()?,
        last_sync: store.local_value(LAST_SYNC)?.and_then(|t| t.parse().ok()),
        data_bytes: store.data_size()?,
        app_version: env!("CARGO_PKG_VERSION").into(),
        settings,
    })
}

/// The office's code as the environment offers it, for the first-start form.
#[tauri::command]
pub fn default_enrol_code(state: State<'_, AppState>) -> String {
    state.defaults.code.clone()
}

/// First start: the officer's settings and the office's code. Nothing here
/// needs the network; the code is traded for a token at the first sync.
#[tauri::command]
pub fn set_up(state: State<'_, AppState>, input: SetupInput) -> Result<AppInfo, CommandError> {
    let code = input.code.trim();
    let mut errors = input.settings.validate().err().unwrap_or_default();
    let enrolled = state
        .store()?
        .enrolment()
        .map_err(CommandError::from)?
        .is_some();
    if code.is_empty() && !enrolled {
        errors.push(FieldError::new(Field::EnrolCode, Problem::Required));
    }
    errors.extend(code_too_long(code));
    if !errors.is_empty() {
        return Err(CoreError::Invalid(errors).into());
    }
    answer((|| {
        let mut store = state.store()?;
        store.save_settings(&input.settings)?;
        state.remember_lang(input.settings.lang);
        if !code.is_empty() {
            store.set_local_value(ENROL_CODE_KEY, Some(code))?;
        }
        Ok(())
    })())?;
    answer(info(&state))
}

#[tauri::command]
pub fn save_settings(
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<AppInfo, CommandError> {
    answer(state.store()?.save_settings(&settings))?;
    state.lock_after(settings.lock_after_min);
    state.remember_lang(settings.lang);
    answer(info(&state))
}

/// A new code from the office for a tablet it revoked: kept until the next
/// sync trades it for a new token. An empty code withdraws a waiting one.
#[tauri::command]
pub fn renew_enrolment(state: State<'_, AppState>, code: String) -> Result<AppInfo, CommandError> {
    let code = code.trim();
    {
        let mut store = state.store()?;
        answer(store.enrolment())?.ok_or_else(|| {
            CommandError::plain(
                "Máy chưa đăng ký: mã đăng ký được nhập ở màn hình bắt đầu.",
                "This tablet is not enrolled yet: the code goes in on the first-start screen.",
            )
        })?;
        if let Some(e) = code_too_long(code) {
            return Err(CoreError::Invalid(vec![e]).into());
        }
        answer(store.set_local_value(RENEWAL_CODE, (!code.is_empty()).then_some(code)))?;
    }
    answer(info(&state))
}

/// An office code is read out as XXXXX-XXXXX; anything much longer is not
/// one, and is not kept.
fn code_too_long(code: &str) -> Option<FieldError> {
    const MAX: usize = 32;
    (code.chars().count() > MAX)
        .then(|| FieldError::new(Field::EnrolCode, Problem::TooLong { max: MAX }))
}

/// A half-filled form, kept on the device so it survives closing the app.
#[tauri::command]
pub fn save_draft(
    state: State<'_, AppState>,
    key: String,
    json: Option<String>,
) -> Result<(), CommandError> {
    answer(
        state
            .store()?
            .set_local_value(&format!("draft.{key}"), json.as_deref()),
    )
}

#[tauri::command]
pub fn load_draft(state: State<'_, AppState>, key: String) -> Result<Option<String>, CommandError> {
    answer(state.store()?.local_value(&format!("draft.{key}")))
}
