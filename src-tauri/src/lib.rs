//! The Tauri shell: opens the device store, holds it as app state, and
//! exposes the core to the Yew screens as commands. No business logic lives
//! here: a command translates, calls the core, and translates back.

mod autosync;
mod commands;
mod state;
mod test_hold;

use tauri::Manager;

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let builder = tauri::Builder::default();
    // Mobile WebViews give pages no position: the plugin reads the system's,
    // and frontend/geolocation.js puts it behind navigator.geolocation.
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_geolocation::init());
    let result = builder
        .setup(|app| {
            let state = state::AppState::open(app.handle())?;
            app.manage(state);
            autosync::start(app.handle().clone())?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::lock::lock_state,
            commands::lock::still_here,
            commands::lock::set_pin,
            commands::lock::unlock,
            commands::lock::lock_now,
            commands::lock::change_pin,
            commands::lock::choose_lang,
            commands::frame::app_info,
            commands::frame::default_enrol_code,
            commands::frame::set_up,
            commands::frame::save_settings,
            commands::frame::renew_enrolment,
            commands::frame::trust_hub_certificate,
            commands::frame::save_draft,
            commands::frame::load_draft,
            commands::records::save_session,
            commands::records::get_session,
            commands::records::save_person,
            commands::records::get_person,
            commands::records::save_survey,
            commands::records::get_survey,
            commands::records::save_checkin,
            commands::records::list_sessions,
            commands::records::list_surveys,
            commands::records::list_hot_spots,
            commands::records::save_hot_spot,
            commands::records::get_hot_spot,
            commands::records::search_people,
            commands::records::unreadable_records,
            commands::records::person_row,
            commands::records::file_marks,
            commands::records::move_person,
            commands::records::move_destinations,
            commands::records::moved_people,
            commands::records::due_visits,
            commands::records::checkins_of,
            commands::records::record_history,
            commands::records::record_conflicts,
            commands::records::resolve_conflict,
            commands::attachments::attach_file,
            commands::attachments::attachments_of,
            commands::attachments::read_attachment,
            commands::attachments::want_attachment,
            commands::attachments::want_commune_attachments,
            commands::reports::report,
            commands::reports::export_report,
            commands::reports::export_log,
            commands::sync::sync_now,
            commands::sync::sync_status,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Sổ tay PCMT could not start: {e}");
        std::process::exit(1);
    }
}
