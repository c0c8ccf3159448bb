//! The report's files as downloads, written by `pcmt-export` from the same
//! report and sites the page shows.
//!
//! Personal data: the workbook and the CSV are aggregates. The GeoJSON and
//! KML carry each site's position, species, plant count, action, dates,
//! commune and survey id; `SiteFeature` has no grower field, so no grower's
//! name leaves the hub in them, though a site's position itself can point
//! to a household's field and the files are to be handled as the office's
//! own.

use super::error::DashError;
use super::html::percent_encode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use pcmt_core::report::{self, ReportSource};
use pcmt_model::report::{ExportFormat, Period};
use pcmt_model::{Labelled, Lang, OrgTree, Plan, StatusRules};

/// The format a download route names (`/export/xlsx`).
pub fn format_named(name: &str) -> Result<ExportFormat, DashError> {
    ExportFormat::from_code(name).ok_or_else(|| DashError::NoSuchFormat(name.into()))
}

/// What a download asks for: a unit's report of a period in one format,
/// counted up to `today` while the period runs.
pub struct FileRequest<'a> {
    pub format: ExportFormat,
    pub unit: &'a str,
    pub period: &'a Period,
    pub today: NaiveDate,
    pub lang: Lang,
    /// The plan the report is judged against.
    pub plan: &'a Plan,
}

pub fn file(
    rows: &mut dyn ReportSource,
    units: &OrgTree,
    rules: &StatusRules,
    want: FileRequest<'_>,
) -> Result<Response, DashError> {
    let FileRequest {
        format,
        unit,
        period,
        today,
        lang,
        plan,
    } = want;
    let unit_name = units.get(unit).map(|u| u.name.as_str()).unwrap_or(unit);
    let mut r = report::compute(rows, units, rules, unit, period, today)?;
    r.apply_plan(plan);
    let sites = if format.is_map() {
        report::site_features(rows, units, unit, period)?
    } else {
        Vec::new()
    };
    let body = pcmt_export::export(format, &r, &sites, lang)?;
    let names = pcmt_export::file_names(format, unit_name, period);
    attachment(body, pcmt_export::content_type(format), names)
}

/// A file as a download: its type, and its name in full (UTF-8) with a
/// plain ASCII twin for old browsers.
pub fn attachment(
    body: Vec<u8>,
    content_type: &'static str,
    (full, ascii): (String, String),
) -> Result<Response, DashError> {
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encode(&full)
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition)
            .map_err(|e| DashError::BadQuery(format!("file name: {e}")))?,
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_names_a_known_format_or_is_refused() {
        assert_eq!(format_named("kml").ok(), Some(ExportFormat::Kml));
        assert!(matches!(
            format_named("../etc"),
            Err(DashError::NoSuchFormat(_))
        ));
    }
}
