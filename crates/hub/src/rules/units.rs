//! An office's spreadsheet as a file: an XLSX workbook (its first sheet)
//! or a CSV, read under its header into the model's lines
//! (`pcmt_model::sheet`): the unit list (`pcmt_model::org_sheet`, which
//! checks it) and the register of people (`pcmt_model::person_sheet`);
//! and the XLSX templates the dashboard hands out. Bytes in, bytes out:
//! the dashboard's uploads and `pcmt-hub --load-units FILE` read the same
//! way.

use pcmt_model::org_sheet::{self, SheetRow};
use pcmt_model::sheet::{Column, SheetLine};
use pcmt_model::text::fold;
use pcmt_model::{Lang, OrgLevel, OrgTree, OrgUnit};
use std::io::Cursor;

/// More rows than a province has units (a few thousand with villages):
/// a file past it is refused unread.
pub const MAX_ROWS: usize = 100_000;

/// Why a file could not be read as a unit list at all (its rows' own
/// problems are `org_sheet::RowError`s).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    #[error("not an XLSX or CSV file: {0}")]
    Unreadable(String),
    #[error("the header has no column {0}")]
    MissingColumn(&'static str),
    #[error("more than {MAX_ROWS} rows")]
    TooManyRows,
}

impl SheetError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (SheetError::Unreadable(_), Lang::Vi) => {
                "Không đọc được tệp: cần tệp Excel (.xlsx) hoặc CSV theo mẫu.".into()
            }
            (SheetError::Unreadable(_), Lang::En) => {
                "The file cannot be read: an Excel (.xlsx) or CSV file following the template is needed.".into()
            }
            (SheetError::MissingColumn(c), Lang::Vi) => {
                format!("Dòng tiêu đề thiếu cột “{c}” (xem tệp mẫu).")
            }
            (SheetError::MissingColumn(c), Lang::En) => {
                format!("The header row has no column “{c}” (see the template).")
            }
            (SheetError::TooManyRows, Lang::Vi) => {
                format!("Tệp có hơn {MAX_ROWS} dòng.")
            }
            (SheetError::TooManyRows, Lang::En) => format!("The file has more than {MAX_ROWS} rows."),
        }
    }
}

/// Reads a unit list's rows.
pub fn read_file(bytes: &[u8]) -> Result<Vec<SheetRow>, SheetError> {
    Ok(read_table(bytes, &org_sheet::COLUMNS)?
        .iter()
        .map(SheetRow::of_line)
        .collect())
}

/// Reads a file's lines under `columns`: an XLSX workbook when it starts
/// as a zip archive does, CSV otherwise.
pub fn read_table(bytes: &[u8], columns: &[Column]) -> Result<Vec<SheetLine>, SheetError> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, columns)
    } else {
        read_csv(bytes, columns)
    }
}

/// A cell as the office reads it: a date typed into Excel (a number
/// formatted as a date) as dd/mm/yyyy, whole numbers without ".0" (a CCCD
/// typed as a number).
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::{Data, DataType};
    match cell {
        Data::DateTime(_) | Data::DateTimeIso(_) => cell
            .as_date()
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|| cell.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        _ => cell.to_string(),
    }
}

fn read_xlsx(bytes: &[u8], columns: &[Column]) -> Result<Vec<SheetLine>, SheetError> {
    use calamine::{Reader, Xlsx};
    let unreadable = |e: &dyn std::fmt::Display| SheetError::Unreadable(e.to_string());
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| SheetError::Unreadable("no sheet".into()))?
        .map_err(|e| unreadable(&e))?;
    // The range starts at its first filled cell: lines are counted from
    // the sheet's first row, as the office sees them.
    let first = range.start().map_or(0, |(row, _)| row as usize);
    let rows = range
        .rows()
        .map(|cells| cells.iter().map(cell_text).collect::<Vec<_>>());
    from_lines(rows, first + 1, columns)
}

fn read_csv(bytes: &[u8], columns: &[Column]) -> Result<Vec<SheetLine>, SheetError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| SheetError::Unreadable(e.to_string()))?
        .trim_start_matches('\u{feff}');
    // Excel saves CSV with semicolons where the decimal mark is a comma.
    let header = text.lines().next().unwrap_or_default();
    let delimiter = if header.contains(';') && !header.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| SheetError::Unreadable(e.to_string()))?;
        lines.push(record.iter().map(str::to_string).collect::<Vec<_>>());
        if lines.len() > MAX_ROWS + 1 {
            return Err(SheetError::TooManyRows);
        }
    }
    from_lines(lines.into_iter(), 1, columns)
}

/// The header (the first line) names the columns, in any order, with or
/// without diacritics or in English; blank lines are skipped. An optional
/// column the header lacks reads as blank cells.
fn from_lines(
    mut lines: impl Iterator<Item = Vec<String>>,
    first_line: usize,
    columns: &[Column],
) -> Result<Vec<SheetLine>, SheetError> {
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .iter()
        .map(|h| fold(h.trim()))
        .collect();
    let mut cols = Vec::with_capacity(columns.len());
    for c in columns {
        let wanted = fold(c.header);
        let found = header.iter().position(|h| *h == wanted || h == c.english);
        match found {
            None if c.required => return Err(SheetError::MissingColumn(c.header)),
            found => cols.push(found),
        }
    }
    let mut rows = Vec::new();
    for (i, cells) in lines.enumerate() {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(SheetError::TooManyRows);
        }
        rows.push(SheetLine {
            line: first_line + 1 + i,
            cells: cols
                .iter()
                .map(|c| c.and_then(|c| cells.get(c)).cloned().unwrap_or_default())
                .collect(),
        });
    }
    Ok(rows)
}

/// The columns of the hub's `org_units`, in [`unit_of_row`]'s order.
pub const ROW_COLUMNS: &str = "code, name, level, parent, valid_from, valid_to, merged_into";

/// A unit as the hub's `org_units` row holds it ([`ROW_COLUMNS`]).
pub fn unit_of_row(
    [code, name, level]: [String; 3],
    [parent, valid_from, valid_to, merged_into]: [Option<String>; 4],
) -> Result<OrgUnit, crate::error::HubError> {
    let bad = |what: &str| {
        crate::error::HubError::Malformed(format!("org unit {code} has an unreadable {what}"))
    };
    let level = OrgLevel::from_code(&level).ok_or_else(|| bad("level"))?;
    let day = |d: Option<String>| -> Result<Option<chrono::NaiveDate>, crate::error::HubError> {
        d.map(|d| d.parse().map_err(|_| bad("date"))).transpose()
    };
    Ok(OrgUnit {
        valid_from: day(valid_from)?,
        valid_to: day(valid_to)?,
        merged_into,
        ..OrgUnit::new(&code, &name, level, parent.as_deref())
    })
}

/// A unit's dates as the hub's row holds them (yyyy-mm-dd).
pub fn row_days(u: &OrgUnit) -> [Option<String>; 2] {
    [u.valid_from, u.valid_to].map(|d| d.map(|d| d.to_string()))
}

/// The meta key of the tree's version, bumped by every load.
pub const VERSION_KEY: &str = "org_units_version";

/// The template: the four columns (codes as text, so an office's leading
/// zeros stay), and a second sheet showing rows of each level.
pub fn template(lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let day = |d, m, y| chrono::NaiveDate::from_ymd_opt(y, m, d);
    let merged = |code, name| OrgUnit {
        valid_to: day(30, 6, 2025),
        merged_into: Some("20014".into()),
        ..OrgUnit::new(code, name, OrgLevel::Commune, Some("46"))
    };
    let rows = [
        OrgUnit::new("46", "Thành phố Huế", OrgLevel::Province, None),
        OrgUnit::new("19774", "Phường Thuận Hóa", OrgLevel::Commune, Some("46")),
        OrgUnit {
            valid_from: day(1, 7, 2025),
            ..OrgUnit::new("20014", "Xã A Lưới 1", OrgLevel::Commune, Some("46"))
        },
        merged("19996", "Xã Hồng Kim (cũ)"),
        merged("20002", "Xã Bắc Sơn (cũ)"),
        OrgUnit::new("20014-01", "Thôn A Đớt", OrgLevel::Village, Some("20014")),
        OrgUnit::new(
            "20014-S1",
            "Trường THCS A Lưới",
            OrgLevel::School,
            Some("20014"),
        ),
        OrgUnit::new(
            "20014-A1",
            "Trạm Y tế xã A Lưới 1",
            OrgLevel::Agency,
            Some("20014"),
        ),
    ];
    let examples: Vec<Vec<String>> = rows.iter().map(row_cells).collect();
    workbook(
        "Đơn vị",
        &org_sheet::COLUMNS,
        &examples,
        lang.pick(
            "Điền danh sách vào trang “Đơn vị”; chỉ trang đầu tiên được đọc. Mã theo danh mục mã đơn vị hành chính Việt Nam; thôn, trường, khu công nghiệp, cơ quan thuộc xã. Xã sáp nhập: ghi ngày hết hiệu lực (ngày cuối cùng) và mã xã mới; hồ sơ của xã cũ được giữ nguyên và tính vào xã mới từ ngày sáp nhập. Để trống các cột ngày nếu đơn vị không thay đổi.",
            "Fill in the “Đơn vị” sheet; only the first sheet is read. Codes as in the national list of administrative unit codes; villages, schools, industrial zones and agencies sit under their commune. A merged commune: give its last day and the new commune's code; its records are kept and count in the new commune from the merger on. Leave the date columns empty for units that do not change.",
        ),
    )
}

/// A template: a first sheet named `sheet` with the columns' headers and
/// every cell as text (codes, CCCDs and dates keep their zeros and their
/// dd/mm/yyyy), and a second sheet with example rows and a note.
pub fn workbook(
    sheet: &str,
    columns: &[Column],
    examples: &[Vec<String>],
    note: &str,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let width = |c: &Column| (c.header.chars().count() as f64 + 6.0).max(22.0);
    let first = book.add_worksheet().set_name(sheet)?;
    for (i, c) in columns.iter().enumerate() {
        let col = i as u16;
        first.write_string_with_format(0, col, c.header, &bold)?;
        first.set_column_width(col, width(c))?;
        first.set_column_format(col, &text)?;
    }
    let example = book.add_worksheet().set_name("Ví dụ")?;
    for (i, c) in columns.iter().enumerate() {
        example.write_string_with_format(0, i as u16, c.header, &bold)?;
        example.set_column_width(i as u16, width(c))?;
    }
    for (r, row) in examples.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            example.write_string(r as u32 + 1, c as u16, value)?;
        }
    }
    example.write_string(examples.len() as u32 + 3, 0, note)?;
    book.save_to_buffer()
}

/// A tree as the template's rows: what `--load-units` and the dashboard
/// load back (the demo's tree written out, in the tests).
pub fn to_csv(tree: &OrgTree) -> String {
    let rows: Vec<Vec<String>> = tree.units().map(row_cells).collect();
    pcmt_model::sheet::csv_of(&org_sheet::COLUMNS, &rows)
}

/// A unit as the template's cells, in [`org_sheet::COLUMNS`]' order.
fn row_cells(u: &OrgUnit) -> Vec<String> {
    SheetRow::of_unit(0, u).cells().map(String::from).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_reads_with_its_header_in_any_order_and_blank_lines_skipped() {
        let csv = "\u{feff}Cấp;Mã đơn vị;Mã đơn vị cấp trên;Tên đơn vị\nTỉnh;46;;Thành phố Huế\n;;;\nXã;20014;46;Xã A Lưới 1\n";
        let rows = read_file(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[1].line, rows[1].code.as_str(), rows[1].parent.as_str()),
            (4, "20014", "46")
        );
        assert_eq!(rows[1].name, "Xã A Lưới 1");
    }

    #[test]
    fn a_header_without_a_column_is_refused() {
        let err = read_file("Mã đơn vị,Tên đơn vị,Cấp\n46,Huế,Tỉnh\n".as_bytes()).unwrap_err();
        assert_eq!(err, SheetError::MissingColumn("Mã đơn vị cấp trên"));
        assert!(err.message(Lang::Vi).contains("thiếu cột"));
    }

    #[test]
    fn the_demo_tree_goes_out_and_back_as_csv() {
        let tree = OrgTree::demo();
        let back = org_sheet::read_rows(&read_file(to_csv(&tree).as_bytes()).unwrap()).unwrap();
        assert_eq!(back, tree);
    }

    #[test]
    fn the_template_reads_back_as_an_empty_list_with_its_columns() {
        let bytes = template(Lang::Vi).unwrap();
        assert_eq!(read_file(&bytes).unwrap(), []);
    }
}
