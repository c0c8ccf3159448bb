//! The app lock (khóa ứng dụng): a PIN chosen at first start opens the
//! encrypted store; the app locks itself after the idle time, or when the
//! officer asks. These commands need no open store. All of them take the
//! store's mutex (to see whether it is open, or to drop it), which a sync
//! holds while it applies a batch, so all run off the main thread; setting,
//! giving and changing the PIN also run Argon2id (about 0.4 s here).

use super::off_main;
use pcmt_model::api::{CommandError, LockState};
use pcmt_model::Lang;
use tauri::AppHandle;

#[tauri::command]
pub async fn lock_state(app: AppHandle) -> Result<LockState, CommandError> {
    off_main(app, |_, state| Ok(state.lock_state())).await
}

/// The officer touched the screen: the idle time starts again (unless it
/// had already passed, and the app is locked).
#[tauri::command]
pub async fn still_here(app: AppHandle) -> Result<LockState, CommandError> {
    off_main(app, |_, state| {
        state.lock_if_idle(true);
        Ok(state.lock_state())
    })
    .await
}

#[tauri::command]
pub async fn set_pin(app: AppHandle, pin: String) -> Result<LockState, CommandError> {
    off_main(app, move |_, state| {
        state.set_pin(&pin)?;
        Ok(state.lock_state())
    })
    .await
}

#[tauri::command]
pub async fn unlock(app: AppHandle, pin: String) -> Result<LockState, CommandError> {
    off_main(app, move |_, state| {
        state.unlock(&pin)?;
        Ok(state.lock_state())
    })
    .await
}

#[tauri::command]
pub async fn lock_now(app: AppHandle) -> Result<LockState, CommandError> {
    off_main(app, |_, state| {
        state.lock();
        Ok(state.lock_state())
    })
    .await
}

#[tauri::command]
pub async fn change_pin(app: AppHandle, old: String, new: String) -> Result<(), CommandError> {
    off_main(app, move |_, state| state.change_pin(&old, &new)).await
}

/// The language toggle on the PIN screen: the officer may not read
/// Vietnamese, and the store with their settings is not open yet.
#[tauri::command]
pub async fn choose_lang(app: AppHandle, lang: Lang) -> Result<LockState, CommandError> {
    off_main(app, move |_, state| {
        state.remember_lang(lang);
        Ok(state.lock_state())
    })
    .await
}
