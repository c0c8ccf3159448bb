//! Reports on the tablet: the figures the plans ask for, for a period and an
//! org unit, and the files an office files (written to the export folder).
//! A year's report of a district reads every row of the period twice (the
//! year before too), and an export then writes and fsyncs a file: both run
//! off the main thread ([`super::off_main`]).

use super::{answer, off_main};
use crate::state::AppState;
use crate::test_hold::{self, hold};
use pcmt_core::CoreError;
use pcmt_model::api::CommandError;
use pcmt_model::report::{ExportDone, ExportEntry, ExportFormat, Period, Report};
use std::io::Write;
use std::path::{Path, PathBuf};
use tauri::AppHandle;

#[tauri::command]
pub async fn report(app: AppHandle, unit: String, period: Period) -> Result<Report, CommandError> {
    off_main(app, move |_, state| {
        let store = state.store()?;
        hold(test_hold::REPORT);
        answer(store.report(&unit, &period, super::today()))
    })
    .await
}

#[tauri::command]
pub async fn export_report(
    app: AppHandle,
    unit: String,
    period: Period,
    format: ExportFormat,
) -> Result<ExportDone, CommandError> {
    off_main(app, move |_, state| export(state, &unit, period, format)).await
}

fn export(
    state: &AppState,
    unit: &str,
    period: Period,
    format: ExportFormat,
) -> Result<ExportDone, CommandError> {
    let settings = state.settings_or_defaults().map_err(CommandError::from)?;
    let lang = settings.lang;
    let (report, sites) = {
        let store = state.store()?;
        hold(test_hold::EXPORT);
        let report = answer(store.report(unit, &period, super::today()))?;
        let sites = if format.is_map() {
            answer(store.site_features(unit, &period))?
        } else {
            Vec::new()
        };
        (report, sites)
    };
    let bytes = pcmt_export::export(format, &report, &sites, lang).map_err(|e| {
        CommandError::plain(
            format!("Không tạo được tệp xuất: {e}"),
            format!("Could not make the export file: {e}"),
        )
    })?;
    let file = pcmt_export::file_names(format, &report.unit.name, &report.period).1;
    let path = state.export_dir.join(&file);
    write_whole(&path, &bytes).map_err(|e| write_error(&state.export_dir, e))?;
    let entry = ExportEntry {
        at: chrono::Utc::now().timestamp(),
        officer: settings.officer,
        format,
        unit: report.unit.code.clone(),
        unit_name: report.unit.name.clone(),
        period,
        file,
        bytes: bytes.len() as u64,
        personal_data: format.has_personal_data(),
    };
    // The file is whole before it is logged: a log line never stands for a
    // file that was not written. A file written but not logged (the store
    // failed) is reported as a failure, so the officer knows.
    answer(state.store()?.log_export(&entry))?;
    Ok(ExportDone {
        path: path.display().to_string(),
        bytes: entry.bytes,
        personal_data: entry.personal_data,
    })
}

/// The latest files saved from this tablet, for the settings screen.
#[tauri::command]
pub async fn export_log(app: AppHandle) -> Result<Vec<ExportEntry>, CommandError> {
    off_main(app, |_, state| {
        answer(state.store()?.exports(EXPORT_LOG_SHOWN))
    })
    .await
}

const EXPORT_LOG_SHOWN: u32 = 20;

/// Writes beside the target and renames, so a cut (a kill, a full disk)
/// never leaves half a workbook under the real name.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
}

fn write_error(dir: &Path, e: std::io::Error) -> CommandError {
    if e.raw_os_error() == Some(28) {
        // ENOSPC: the same words as a save that found the disk full.
        return CoreError::StorageFull.into();
    }
    CommandError::plain(
        format!("Không ghi được tệp vào {}: {e}", dir.display()),
        format!("Could not write the file to {}: {e}", dir.display()),
    )
}
