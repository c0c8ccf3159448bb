//! A spreadsheet an office fills in, as its columns are named: the unit
//! list (`org_sheet`) and the register of people (`person_sheet`) are read
//! the same way, by the hub, from a header row naming the columns in any
//! order (with or without diacritics, or in English).

/// One column: the header the template writes, the English name also
/// taken, and whether a file without it is refused (an optional column
/// may be left out of the file altogether).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub header: &'static str,
    pub english: &'static str,
    pub required: bool,
}

/// One line of a file under its header: its line number as the office
/// sees it (the header is line 1) and its cells in the columns' order
/// (an optional column the file lacks reads as blank).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetLine {
    pub line: usize,
    pub cells: Vec<String>,
}

impl SheetLine {
    /// The cell of column `i`, trimmed; blank when the line is short.
    pub fn cell(&self, i: usize) -> &str {
        self.cells.get(i).map_or("", |c| c.trim())
    }
}

/// A sheet as CSV, as the templates' headers and `rows` read back: every
/// cell quoted (commas in "Xã, phường"), lines ended by a newline.
pub fn csv_of(columns: &[Column], rows: &[Vec<String>]) -> String {
    let quote = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = cells.map(quote).collect::<Vec<_>>().join(",");
        l.push('\n');
        l
    };
    let mut out = line(&mut columns.iter().map(|c| c.header));
    for r in rows {
        out.push_str(&line(&mut r.iter().map(String::as_str)));
    }
    out
}
