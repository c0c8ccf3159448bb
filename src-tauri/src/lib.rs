//! The Tauri shell: opens the device store, holds it as app state, and
//! exposes the core to the Yew screens as commands. No business logic lives
//! here: a command translates, calls the core, and translates back.

mod commands;
mod state;

use tauri::Manager;

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let result = tauri::Builder::default()
        .setup(|app| {
            let state = state::AppState::open(app.handle())?;
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::save_session,
            commands::list_sessions,
            commands::sync_now,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Sổ tay PCMT could not start: {e}");
        std::process::exit(1);
    }
}
