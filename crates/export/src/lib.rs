//! Report exports: the workbook an office files (XLSX), the report as an
//! official document to edit and sign (DOCX, Nghị định 30/2020 layout), a
//! flat table (CSV with a BOM so spreadsheet programs read Vietnamese), and
//! the sites found for GIS tools (GeoJSON and KML). Each format is written by a well-kept
//! crate, never by hand.
//!
//! Everything here works from the model's [`Report`] and [`SiteFeature`]s,
//! so the tablet and the hub export the same files.

mod docx;
mod geo;
mod register;
mod table;
mod xlsx;

pub use docx::{docx, indicator_sentence, place_and_date, read_blocks, Block, Letterhead};
pub use geo::{geojson, kml};
pub use register::{register_file_names, register_xlsx, RegisterDownload};
pub use table::csv;
pub use xlsx::xlsx;

use pcmt_model::report::{ExportFormat, Period, Report, SiteFeature};
use pcmt_model::Lang;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("csv: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("csv: {0}")]
    CsvBuffer(String),
    #[error("kml: {0}")]
    Kml(#[from] ::kml::Error),
    #[error("geojson: {0}")]
    Json(#[from] serde_json::Error),
    /// docx-rs packs with a zip version of its own: its error is kept as
    /// its words.
    #[error("docx: {0}")]
    Docx(String),
}

/// One export in the chosen format: the figures (XLSX, CSV) or the sites
/// found (GeoJSON, KML). The same call serves the tablet and the hub.
pub fn export(
    format: ExportFormat,
    report: &Report,
    sites: &[SiteFeature],
    lang: Lang,
) -> Result<Vec<u8>, ExportError> {
    match format {
        ExportFormat::Xlsx => xlsx(report, lang),
        ExportFormat::Csv => csv(report, lang),
        ExportFormat::GeoJson => geojson(sites).map(String::into_bytes),
        ExportFormat::Kml => {
            let title = format!("{} · {}", report.unit.name, report.period.label(lang));
            kml(sites, &title)
        }
        ExportFormat::Docx => docx(report, &Letterhead::for_unit(&report.unit, lang), lang),
    }
}

/// The MIME type a download of `format` is served with.
pub fn content_type(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::GeoJson => "application/geo+json",
        ExportFormat::Kml => "application/vnd.google-earth.kml+xml",
        ExportFormat::Docx => {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
    }
}

/// "Báo cáo PCMT - Huyện Đăk Glei (demo) - 2026-01-01 đến 2026-12-31.xlsx",
/// the Vietnamese name, and a plain ASCII one for file systems and old
/// clients: "bao-cao-pcmt_huyen-dak-glei-demo_2026-01-01_2026-12-31.xlsx".
pub fn file_names(format: ExportFormat, unit_name: &str, period: &Period) -> (String, String) {
    let what = if format.is_map() {
        "Điểm phát hiện"
    } else {
        "Báo cáo PCMT"
    };
    let (from, until, ext) = (period.from, period.until, format.extension());
    let full = format!("{what} - {unit_name} - {from} đến {until}.{ext}");
    let ascii = format!("{}_{}_{from}_{until}.{ext}", slug(what), slug(unit_name));
    (full, ascii)
}

/// A name's words without diacritics, joined by dashes: the file name old
/// mail programs and USB sticks keep.
fn slug(text: &str) -> String {
    pcmt_model::text::fold(text)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The numeral a section (from 0) is headed with in the workbook and the
/// official document, which numbers one heading after the last section.
pub fn roman(n: usize) -> &'static str {
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
        .get(n)
        .copied()
        .unwrap_or_default()
}

/// Headings shared by the workbook, the CSV and the hub's dashboard, in
/// report order.
pub fn indicator_headers(lang: Lang) -> [&'static str; 6] {
    [
        lang.pick("STT", "No."),
        lang.pick("Chỉ tiêu", "Indicator"),
        lang.pick("Đơn vị tính", "Unit"),
        lang.pick("Kết quả", "Value"),
        lang.pick("Chỉ tiêu kế hoạch", "Target"),
        lang.pick("Đánh giá", "Assessment"),
    ]
}

/// The report's heading lines: title, unit, period and, if any, deadline.
pub fn heading(report: &Report, lang: Lang) -> Vec<String> {
    let mut lines = vec![
        lang.pick(
            "BÁO CÁO KẾT QUẢ CÔNG TÁC PHÒNG, CHỐNG MA TÚY",
            "DRUG PREVENTION AND CONTROL REPORT",
        )
        .to_string(),
        format!("{}: {}", lang.pick("Đơn vị", "Unit"), report.unit.name),
        format!(
            "{}: {}",
            lang.pick("Kỳ báo cáo", "Period"),
            report.period.label(lang)
        ),
    ];
    lines.extend(report.counted_note(lang));
    lines.extend(report.due_text(lang));
    lines.push(report.previous_note(lang));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_vietnamese_and_give_a_plain_twin() {
        let november = Period::month(2026, 11).expect("a month");
        let (full, ascii) = file_names(ExportFormat::Xlsx, "Xã Đăk Pék", &november);
        assert_eq!(
            full,
            "Báo cáo PCMT - Xã Đăk Pék - 2026-11-01 đến 2026-11-30.xlsx"
        );
        assert_eq!(ascii, "bao-cao-pcmt_xa-dak-pek_2026-11-01_2026-11-30.xlsx");
        let (_, map) = file_names(ExportFormat::Kml, " Huyện  Đăk Glei (demo) ", &november);
        assert_eq!(
            map,
            "diem-phat-hien_huyen-dak-glei-demo_2026-11-01_2026-11-30.kml"
        );
        assert_eq!(content_type(ExportFormat::GeoJson), "application/geo+json");
    }
}
