//! The report's files as downloads, written by `pcmt-export` from the same
//! report and sites the page shows.
//!
//! Personal data: the workbook and the CSV are aggregates. The GeoJSON and
//! KML carry each site's position, species, plant count, action, dates,
//! commune and survey id; `SiteFeature` has no grower field, so no grower's
//! name leaves the hub in them, though a site's position itself can point
//! to a household's field and the files are to be handled as the office's
//! own.

use super::{percent_encode, DashError};
use crate::store::HubStore;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use pcmt_core::report;
use pcmt_core::text::fold;
use pcmt_model::report::Period;
use pcmt_model::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
    GeoJson,
    Kml,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Xlsx, Format::Csv, Format::GeoJson, Format::Kml];

    pub fn name(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::GeoJson => "geojson",
            Format::Kml => "kml",
        }
    }

    pub fn from_name(name: &str) -> Result<Self, DashError> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| DashError::NoSuchFormat(name.into()))
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
            Format::GeoJson => "application/geo+json",
            Format::Kml => "application/vnd.google-earth.kml+xml",
        }
    }

    /// What the button says.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Format::Xlsx => lang.pick("Báo cáo Excel (XLSX)", "Excel report (XLSX)"),
            Format::Csv => lang.pick("Bảng chỉ tiêu (CSV)", "Indicators (CSV)"),
            Format::GeoJson => lang.pick("Điểm phát hiện (GeoJSON)", "Sites (GeoJSON)"),
            Format::Kml => lang.pick("Điểm phát hiện (KML)", "Sites (KML)"),
        }
    }

    fn is_sites(self) -> bool {
        matches!(self, Format::GeoJson | Format::Kml)
    }
}

/// "Báo cáo PCMT - Huyện Đăk Glei (demo) - 2026-01-01 đến 2026-12-31.xlsx",
/// as the Vietnamese name (RFC 5987 `filename*`) and as a plain ASCII
/// fallback for old clients: "bao-cao-pcmt_huyen-dak-glei-demo_2026-01-01_2026-12-31.xlsx".
pub fn file_names(format: Format, unit_name: &str, period: &Period) -> (String, String) {
    let what = if format.is_sites() {
        "Điểm phát hiện"
    } else {
        "Báo cáo PCMT"
    };
    let (from, until) = (period.from, period.until);
    let full = format!(
        "{what} - {unit_name} - {from} đến {until}.{}",
        format.name()
    );
    let slug = |text: &str| {
        fold(text)
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-")
    };
    let ascii = format!(
        "{}_{}_{from}_{until}.{}",
        slug(what),
        slug(unit_name),
        format.name()
    );
    (full, ascii)
}

pub fn file(
    hub: &HubStore,
    format: Format,
    unit: &str,
    period: &Period,
    lang: Lang,
) -> Result<Response, DashError> {
    let (conn, units, rules) = (hub.conn(), hub.units(), hub.rules());
    let unit_name = units.get(unit).map(|u| u.name.as_str()).unwrap_or(unit);
    let body = if format.is_sites() {
        let sites = report::site_features(conn, units, unit, period)?;
        match format {
            Format::GeoJson => pcmt_export::geojson(&sites)?.into_bytes(),
            _ => pcmt_export::kml(&sites, &format!("{} — {unit_name}", period.label(Lang::Vi)))?,
        }
    } else {
        let r = report::compute(conn, units, rules, unit, period)?;
        match format {
            Format::Xlsx => pcmt_export::xlsx(&r, lang)?,
            _ => pcmt_export::csv(&r, lang)?,
        }
    };
    let (full, ascii) = file_names(format, unit_name, period);
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encode(&full)
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
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
    fn file_names_keep_vietnamese_and_have_an_ascii_fallback() {
        let p = Period::year(2026).unwrap();
        let (full, ascii) = file_names(Format::Xlsx, "Huyện Đăk Glei (demo)", &p);
        assert_eq!(
            full,
            "Báo cáo PCMT - Huyện Đăk Glei (demo) - 2026-01-01 đến 2026-12-31.xlsx"
        );
        assert_eq!(
            ascii,
            "bao-cao-pcmt_huyen-dak-glei-demo_2026-01-01_2026-12-31.xlsx"
        );
        let (_, sites) = file_names(Format::Kml, "Xã Đăk Pék", &p);
        assert_eq!(sites, "diem-phat-hien_xa-dak-pek_2026-01-01_2026-12-31.kml");
    }
}
