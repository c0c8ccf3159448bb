//! The indicators as one flat table, for any spreadsheet or script.

use crate::{indicator_headers, ExportError};
use pcmt_model::report::{comparison_headers, Report};
use pcmt_model::{Labelled, Lang};

/// Spreadsheet programs take a CSV file for the local code page unless it
/// starts with a UTF-8 byte order mark; with it, Vietnamese reads right.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// One row per indicator: section, code, the workbook's columns, and the
/// share's parts. Values are written in full (a dot for decimals), so a
/// script reads them back exactly.
pub fn csv(report: &Report, lang: Lang) -> Result<Vec<u8>, ExportError> {
    let mut w = ::csv::Writer::from_writer(BOM.to_vec());
    let [no, name, unit, value, target, met] = indicator_headers(lang);
    let [previous, change] = comparison_headers(lang);
    w.write_record([
        lang.pick("Phần", "Section"),
        lang.pick("Mã", "Code"),
        no,
        name,
        unit,
        value,
        lang.pick("Tử số", "Numerator"),
        lang.pick("Mẫu số", "Denominator"),
        target,
        met,
        previous,
        change,
        // A running period is counted up to a day before its end: every row
        // says to which day, so a table lifted out of the file still does.
        lang.pick("Số liệu tính đến ngày", "Counted up to"),
    ])?;
    let counted_to = pcmt_model::report::dmy(report.counted_to);
    let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    for (n, i) in report.indicators.iter().enumerate() {
        let def = i.code.def();
        w.write_record([
            def.section.label(lang).to_string(),
            i.code.code().to_string(),
            (n + 1).to_string(),
            i.code.label(lang).to_string(),
            def.unit.label(lang).to_string(),
            i.value.map(|v| v.to_string()).unwrap_or_default(),
            opt(i.numerator),
            opt(i.denominator),
            i.target_text(lang),
            i.assessment(lang).to_string(),
            i.previous.map(|v| v.to_string()).unwrap_or_default(),
            i.change_text(lang),
            counted_to.clone(),
        ])?;
    }
    w.into_inner()
        .map_err(|e| ExportError::CsvBuffer(e.error().to_string()))
}
