//! The register of people under management as a workbook, for an
//! administrator of the unit only (issue 20): the national database's
//! software takes data from the office, not from the tablets. Each
//! download is logged (who, when, which unit, how many people) before the
//! file leaves, and the file's first row names who took it and when.

use super::admin::{vietnam_time, Admin};
use super::downloads::attachment;
use super::html::lang_of;
use super::session::{on_storage, DashState};
use crate::rules::audit::Entry;
use crate::storage::with_rows;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use pcmt_export::{register_file_names, register_xlsx, RegisterDownload};
use pcmt_model::OrgLevel;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(super) struct RegisterQuery {
    lang: Option<String>,
}

pub(super) async fn download(
    State(state): State<DashState>,
    admin: Admin,
    Query(q): Query<RegisterQuery>,
) -> Response {
    let lang = lang_of(q.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        let units = s.units();
        let unit = admin.staff.unit.clone();
        let communes: Vec<String> = units
            .units_within(&unit, OrgLevel::Commune)
            .map(|c| c.code.clone())
            .collect();
        let entries = with_rows(s, |rows| rows.register(&communes))??;
        // Logged before it leaves; a register that cannot be logged is not served.
        s.append_audit(&Entry::register_downloaded(
            &admin.staff.username,
            &unit,
            entries.len(),
        ))?;
        let now = chrono::Utc::now();
        let download = RegisterDownload {
            unit_name: units.get(&unit).map_or(unit.as_str(), |u| u.name.as_str()),
            downloaded_by: &admin.staff.username,
            downloaded_at: &vietnam_time(now.timestamp()),
            downloaded_on: now
                .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7"))
                .date_naive(),
        };
        let body = register_xlsx(&entries, &units, &download, lang)?;
        attachment(
            body,
            pcmt_export::content_type(pcmt_model::report::ExportFormat::Xlsx),
            register_file_names(&download),
        )
    })
    .await;
    match result {
        Ok(response) => response.into_response(),
        Err(e) => e.page(lang),
    }
}
