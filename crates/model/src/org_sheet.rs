//! An office's list of administrative units as a spreadsheet gives it
//! (mã đơn vị, tên đơn vị, cấp, mã đơn vị cấp trên), checked row by row
//! before anything is stored: the hub's dashboard and its `--load-units`
//! command read a file into [`SheetRow`]s and hand them here, so both
//! refuse the same rows in the same words.
//!
//! The checks are all made, not the first only: an office fixing its
//! spreadsheet sees every bad row at once.

use crate::check::MAX_NAME_CHARS;
use crate::org::{OrgLevel, OrgTree, OrgUnit};
use crate::sheet::{Column, SheetLine};
use crate::text::fold;
use crate::Lang;
use std::collections::HashMap;

/// The columns of the template, in its order, as an office reads them.
pub const HEADERS: [&str; 4] = ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"];

/// The same columns as a file is read by: all four required.
pub const COLUMNS: [Column; 4] = [
    Column {
        header: HEADERS[0],
        english: "code",
        required: true,
    },
    Column {
        header: HEADERS[1],
        english: "name",
        required: true,
    },
    Column {
        header: HEADERS[2],
        english: "level",
        required: true,
    },
    Column {
        header: HEADERS[3],
        english: "parent",
        required: true,
    },
];

/// The longest code taken: the national list's are 2 to 5 digits, and
/// the units below a commune add a suffix of the office's choosing.
pub const MAX_CODE_CHARS: usize = 40;

/// One row of the sheet as written, with its line number in the file
/// (the header is line 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetRow {
    pub line: usize,
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent: String,
}

impl SheetRow {
    /// A line read under [`COLUMNS`].
    pub fn of_line(l: &SheetLine) -> Self {
        Self {
            line: l.line,
            code: l.cell(0).to_string(),
            name: l.cell(1).to_string(),
            level: l.cell(2).to_string(),
            parent: l.cell(3).to_string(),
        }
    }
}

/// What is wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    NoCode,
    BadCode,
    /// The same code on an earlier line.
    Duplicate {
        first_line: usize,
    },
    NoName,
    LongName,
    UnknownLevel(String),
    NoParent,
    UnknownParent(String),
    /// The parent's level cannot hold this row's (a commune under a
    /// village, a province under anything).
    WrongParent {
        parent: String,
    },
    /// The sheet has a header and no unit under it.
    Empty,
    /// The list lacks, at its top, the unit of the account loading it
    /// (which would lose the province it manages).
    WithoutOwnUnit(String),
}

/// A row's problem, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub problem: RowProblem,
}

impl RowError {
    /// In the office's language: "Dòng 4: …".
    pub fn message(&self, lang: Lang) -> String {
        format!(
            "{} {}: {}",
            lang.pick("Dòng", "Row"),
            self.line,
            self.problem.message(lang)
        )
    }
}

impl RowProblem {
    pub fn message(&self, lang: Lang) -> String {
        let vi = matches!(lang, Lang::Vi);
        match self {
            RowProblem::NoCode => lang.pick("thiếu mã đơn vị", "no unit code").into(),
            RowProblem::BadCode => {
                if vi {
                    format!(
                        "mã đơn vị không hợp lệ (không có dấu cách, tối đa {MAX_CODE_CHARS} ký tự)"
                    )
                } else {
                    format!("the unit code is not valid (no spaces, at most {MAX_CODE_CHARS} characters)")
                }
            }
            RowProblem::Duplicate { first_line } => {
                if vi {
                    format!("mã đơn vị trùng với dòng {first_line}")
                } else {
                    format!("the unit code repeats row {first_line}")
                }
            }
            RowProblem::NoName => lang.pick("thiếu tên đơn vị", "no unit name").into(),
            RowProblem::LongName => {
                if vi {
                    format!("tên đơn vị dài quá {MAX_NAME_CHARS} ký tự")
                } else {
                    format!("the unit name is longer than {MAX_NAME_CHARS} characters")
                }
            }
            RowProblem::UnknownLevel(word) => {
                if vi {
                    format!("không rõ cấp “{word}” (tỉnh, huyện, xã, phường, đặc khu, thôn, tổ dân phố, trường học, khu công nghiệp, cơ quan)")
                } else {
                    format!("unknown level “{word}” (province, district, commune, village, school, industrial_zone, agency)")
                }
            }
            RowProblem::NoParent => lang
                .pick("thiếu mã đơn vị cấp trên", "no parent unit code")
                .into(),
            RowProblem::UnknownParent(code) => {
                if vi {
                    format!("không có đơn vị cấp trên mã {code} trong danh sách")
                } else {
                    format!("no parent unit with code {code} in the list")
                }
            }
            RowProblem::WrongParent { parent } => {
                if vi {
                    format!("cấp này không thể trực thuộc đơn vị {parent}")
                } else {
                    format!("a unit of this level cannot sit under {parent}")
                }
            }
            RowProblem::WithoutOwnUnit(code) => {
                if vi {
                    format!("danh sách phải có đơn vị {code} của tài khoản này ở cấp cao nhất")
                } else {
                    format!("the list must hold this account's unit {code} at its top")
                }
            }
            RowProblem::Empty => lang
                .pick(
                    "bảng không có dòng đơn vị nào",
                    "the sheet has no unit rows",
                )
                .into(),
        }
    }
}

/// The level a spreadsheet's word names, read without diacritics or case:
/// the kinds of unit an office writes (xã, phường, đặc khu…), or the
/// tree's own codes.
pub fn level_of(word: &str) -> Option<OrgLevel> {
    let w = fold(word);
    let level = match w.as_str() {
        "tinh" | "thanh pho truc thuoc trung uong" | "province" => OrgLevel::Province,
        "huyen" | "quan" | "thi xa" | "thanh pho thuoc tinh" | "cum" | "district" => {
            OrgLevel::District
        }
        "xa" | "phuong" | "thi tran" | "dac khu" | "commune" => OrgLevel::Commune,
        "thon" | "ban" | "lang" | "buon" | "ap" | "khoi" | "to dan pho" | "village" => {
            OrgLevel::Village
        }
        "truong" | "truong hoc" | "school" => OrgLevel::School,
        "khu cong nghiep"
        | "cum cong nghiep"
        | "khu, cum cong nghiep"
        | "khu/cum cong nghiep"
        | "industrial_zone" => OrgLevel::IndustrialZone,
        "co quan" | "don vi" | "co quan, don vi" | "agency" => OrgLevel::Agency,
        _ => return None,
    };
    Some(level)
}

/// The level's word in the template and the preview.
pub fn level_word(level: OrgLevel, lang: Lang) -> &'static str {
    match level {
        OrgLevel::Province => lang.pick("Tỉnh", "Province"),
        OrgLevel::District => lang.pick("Huyện", "District"),
        OrgLevel::Commune => lang.pick("Xã", "Commune"),
        OrgLevel::Village => lang.pick("Thôn", "Village"),
        OrgLevel::School => lang.pick("Trường học", "School"),
        OrgLevel::IndustrialZone => lang.pick("Khu công nghiệp", "Industrial zone"),
        OrgLevel::Agency => lang.pick("Cơ quan", "Agency"),
    }
}

/// Whether a unit of `child` level may sit under one of `parent` level
/// (`None`: at the top). Levels only go down, so no list can loop.
pub fn may_sit_under(child: OrgLevel, parent: Option<OrgLevel>) -> bool {
    use OrgLevel::*;
    matches!(
        (child, parent),
        (Province, None)
            | (District, Some(Province))
            | (Commune, Some(Province | District))
            | (Village | School | IndustrialZone | Agency, Some(Commune))
    )
}

/// Checks every row and gives the tree, or every row's problems. A sheet
/// with no rows at all is one problem of line 1.
pub fn read_rows(rows: &[SheetRow]) -> Result<OrgTree, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    let mut levels: HashMap<&str, Option<OrgLevel>> = HashMap::new();
    for row in rows {
        let code = row.code.trim();
        if !code.is_empty() {
            levels.entry(code).or_insert_with(|| level_of(&row.level));
        }
    }
    let mut units = Vec::with_capacity(rows.len());
    for row in rows {
        let mut problems = Vec::new();
        let code = row.code.trim();
        let name = row.name.trim();
        let parent = row.parent.trim();
        if code.is_empty() {
            problems.push(RowProblem::NoCode);
        } else if code.chars().count() > MAX_CODE_CHARS || code.chars().any(char::is_whitespace) {
            problems.push(RowProblem::BadCode);
        } else if let Some(&first) = first_line.get(code) {
            problems.push(RowProblem::Duplicate { first_line: first });
        } else {
            first_line.insert(code, row.line);
        }
        if name.is_empty() {
            problems.push(RowProblem::NoName);
        } else if name.chars().count() > MAX_NAME_CHARS {
            problems.push(RowProblem::LongName);
        }
        let level = level_of(&row.level);
        if level.is_none() {
            problems.push(RowProblem::UnknownLevel(row.level.trim().to_string()));
        }
        let parent_level = if parent.is_empty() {
            None
        } else {
            match levels.get(parent) {
                Some(l) => Some(*l),
                None => {
                    problems.push(RowProblem::UnknownParent(parent.to_string()));
                    None
                }
            }
        };
        if let Some(level) = level {
            match parent_level {
                // A parent whose own level is unknown is that row's
                // problem, told there.
                Some(None) => {}
                Some(Some(p)) if !may_sit_under(level, Some(p)) => {
                    problems.push(RowProblem::WrongParent {
                        parent: parent.to_string(),
                    })
                }
                None if parent.is_empty() && !may_sit_under(level, None) => {
                    problems.push(RowProblem::NoParent)
                }
                _ => {}
            }
        }
        if problems.is_empty() {
            if let Some(level) = level {
                units.push(OrgUnit {
                    code: code.to_string(),
                    name: name.to_string(),
                    level,
                    parent: (!parent.is_empty()).then(|| parent.to_string()),
                });
            }
        }
        errors.extend(problems.into_iter().map(|problem| RowError {
            line: row.line,
            problem,
        }));
    }
    if rows.is_empty() {
        errors.push(RowError {
            line: 1,
            problem: RowProblem::Empty,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(OrgTree::from_checked(units))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: usize, code: &str, name: &str, level: &str, parent: &str) -> SheetRow {
        SheetRow {
            line,
            code: code.into(),
            name: name.into(),
            level: level.into(),
            parent: parent.into(),
        }
    }

    /// A province after the 2025 reform: two tiers, communes and wards
    /// under the province, villages and a school under a commune.
    fn good() -> Vec<SheetRow> {
        vec![
            row(2, "46", "Thành phố Huế", "Tỉnh", ""),
            row(3, "19774", "Phường Thuận Hóa", "Phường", "46"),
            row(4, "20014", "Xã A Lưới 1", "xã", "46"),
            row(5, "20014-01", "Thôn A Đớt", "Thôn", "20014"),
            row(6, "20014-S1", "Trường THCS A Lưới", "Trường học", "20014"),
            row(7, "20014-A1", "Trạm Y tế xã A Lưới 1", "Cơ quan", "20014"),
        ]
    }

    fn problems(rows: &[SheetRow]) -> Vec<(usize, RowProblem)> {
        read_rows(rows)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.line, e.problem))
            .collect()
    }

    #[test]
    fn a_good_sheet_gives_its_tree() {
        let tree = read_rows(&good()).unwrap();
        let communes: Vec<_> = tree.communes().map(|c| c.name.as_str()).collect();
        assert_eq!(communes, ["Phường Thuận Hóa", "Xã A Lưới 1"]);
        assert!(tree.is_village_of("20014-01", "20014"));
        assert_eq!(tree.units_within("46", OrgLevel::School).count(), 1);
        assert_eq!(tree.units_within("46", OrgLevel::Agency).count(), 1);
    }

    #[test]
    fn levels_are_read_as_offices_write_them() {
        for (word, level) in [
            ("TỈNH", OrgLevel::Province),
            ("Thành phố trực thuộc Trung ương", OrgLevel::Province),
            ("Huyện", OrgLevel::District),
            ("Đặc khu", OrgLevel::Commune),
            ("thị trấn", OrgLevel::Commune),
            ("Tổ dân phố", OrgLevel::Village),
            ("Bản", OrgLevel::Village),
            ("Khu công nghiệp", OrgLevel::IndustrialZone),
            ("industrial_zone", OrgLevel::IndustrialZone),
            ("cơ quan, đơn vị", OrgLevel::Agency),
        ] {
            assert_eq!(level_of(word), Some(level), "{word}");
        }
        assert_eq!(level_of("ấp chiến lược"), None);
    }

    #[test]
    fn a_duplicate_code_names_the_first_row() {
        let mut rows = good();
        rows.push(row(8, "20014", "Xã A Lưới 2", "Xã", "46"));
        assert_eq!(
            problems(&rows),
            [(8, RowProblem::Duplicate { first_line: 4 })]
        );
    }

    #[test]
    fn an_unknown_parent_is_refused() {
        let mut rows = good();
        rows.push(row(8, "20017", "Xã A Lưới 2", "Xã", "47"));
        assert_eq!(
            problems(&rows),
            [(8, RowProblem::UnknownParent("47".into()))]
        );
    }

    #[test]
    fn a_commune_without_a_name_is_refused() {
        let mut rows = good();
        rows[2].name = "  ".into();
        assert_eq!(problems(&rows), [(4, RowProblem::NoName)]);
    }

    #[test]
    fn a_level_that_cannot_sit_under_its_parent_is_refused() {
        let mut rows = good();
        // A commune under a village, a village straight under the province.
        rows.push(row(8, "20017", "Xã A Lưới 2", "Xã", "20014-01"));
        rows.push(row(9, "46-01", "Thôn Lạc", "Thôn", "46"));
        assert_eq!(
            problems(&rows),
            [
                (
                    8,
                    RowProblem::WrongParent {
                        parent: "20014-01".into()
                    }
                ),
                (
                    9,
                    RowProblem::WrongParent {
                        parent: "46".into()
                    }
                )
            ]
        );
    }

    #[test]
    fn a_unit_below_the_top_needs_a_parent() {
        let mut rows = good();
        rows[1].parent = String::new();
        assert_eq!(problems(&rows), [(3, RowProblem::NoParent)]);
    }

    #[test]
    fn codes_and_levels_must_be_readable() {
        let mut rows = good();
        rows[1].code = String::new();
        rows[2].code = "200 14".into();
        rows[3].level = "ấp chiến lược".into();
        rows[4].name = "x".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(
            problems(&rows),
            [
                (3, RowProblem::NoCode),
                (4, RowProblem::BadCode),
                // Its children name a code no row gives now.
                (5, RowProblem::UnknownLevel("ấp chiến lược".into())),
                (5, RowProblem::UnknownParent("20014".into())),
                (6, RowProblem::LongName),
                (6, RowProblem::UnknownParent("20014".into())),
                (7, RowProblem::UnknownParent("20014".into())),
            ]
        );
    }

    #[test]
    fn every_bad_row_is_told_in_vietnamese_first() {
        let mut rows = good();
        rows[2].name = String::new();
        rows.push(row(8, "20014", "Xã A Lưới 2", "Xã", "46"));
        let told: Vec<_> = read_rows(&rows)
            .unwrap_err()
            .iter()
            .map(|e| e.message(Lang::Vi))
            .collect();
        assert_eq!(
            told,
            [
                "Dòng 4: thiếu tên đơn vị",
                "Dòng 8: mã đơn vị trùng với dòng 4"
            ]
        );
        assert_eq!(
            read_rows(&[]).unwrap_err()[0].message(Lang::En),
            "Row 1: the sheet has no unit rows"
        );
    }
}
