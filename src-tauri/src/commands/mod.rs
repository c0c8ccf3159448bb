//! Commands the screens invoke. Each translates: arguments in, one call to
//! the core, the answer or a `CommandError` out (field errors for inline
//! display and a message in each language). No rules live here.
//!
//! Tauri v2 runs a command that is not `async` on the main thread, the one
//! that draws the window and answers touches: every command that can take
//! more than a moment (Argon2id, a report, a file, waiting for the store
//! while a sync applies a batch) is `async` and does its work through
//! [`off_main`] on a blocking thread.

pub mod attachments;
pub mod frame;
pub mod lock;
pub mod records;
pub mod reports;
pub mod sync;

use crate::state::AppState;
use pcmt_core::CoreError;
use pcmt_model::api::CommandError;
use tauri::{AppHandle, Manager};

/// The tablet's calendar day, which validation measures "in the future" against.
fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn answer<T>(result: Result<T, CoreError>) -> Result<T, CommandError> {
    result.map_err(CommandError::from)
}

/// Runs a command's work on a blocking thread of the async runtime, so the
/// window keeps drawing and answering while it runs or waits for the store.
/// Commands may therefore run side by side: the store's mutex orders their
/// access, and a screen that must not send two of one kind at once (a PIN,
/// a draft) waits for its answer before sending the next.
async fn off_main<T: Send + 'static>(
    app: AppHandle,
    work: impl FnOnce(&AppHandle, &AppState) -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(move || work(&app, &app.state::<AppState>()))
        .await
        .map_err(|e| {
            // The work panicked: its store transaction, if any, rolled back.
            CommandError::plain(
                format!("Lệnh bị gián đoạn: {e}. Dữ liệu đã lưu không bị ảnh hưởng."),
                format!("The command was interrupted: {e}. Saved data is not affected."),
            )
        })?
}
