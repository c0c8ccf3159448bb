//! The app lock (khóa ứng dụng): a PIN chosen at first start opens the
//! encrypted store; the app locks itself after the idle time, or when the
//! officer asks. These commands need no open store.

use crate::state::AppState;
use pcmt_model::api::{CommandError, LockState};
use pcmt_model::Lang;
use tauri::State;

#[tauri::command]
pub fn lock_state(state: State<'_, AppState>) -> LockState {
    state.lock_state()
}

/// The officer touched the screen: the idle time starts again (unless it
/// had already passed, and the app is locked).
#[tauri::command]
pub fn still_here(state: State<'_, AppState>) -> LockState {
    state.lock_if_idle(true);
    state.lock_state()
}

#[tauri::command]
pub fn set_pin(state: State<'_, AppState>, pin: String) -> Result<LockState, CommandError> {
    state.set_pin(&pin)?;
    Ok(state.lock_state())
}

#[tauri::command]
pub fn unlock(state: State<'_, AppState>, pin: String) -> Result<LockState, CommandError> {
    state.unlock(&pin)?;
    Ok(state.lock_state())
}

#[tauri::command]
pub fn lock_now(state: State<'_, AppState>) -> LockState {
    state.lock();
    state.lock_state()
}

#[tauri::command]
pub fn change_pin(
    state: State<'_, AppState>,
    old: String,
    new: String,
) -> Result<(), CommandError> {
    state.change_pin(&old, &new)
}

/// The language toggle on the PIN screen: the officer may not read
/// Vietnamese, and the store with their settings is not open yet.
#[tauri::command]
pub fn choose_lang(state: State<'_, AppState>, lang: Lang) -> LockState {
    state.remember_lang(lang);
    state.lock_state()
}
