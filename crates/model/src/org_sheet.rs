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
use chrono::NaiveDate;
use std::collections::HashMap;

/// The columns of the template, in its order, as an office reads them.
pub const HEADERS: [&str; 4] = ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"];

/// The columns a list may add for units that change (the 2025 mergers),
/// after [`HEADERS`]; a sheet without them is a list of units that always
/// were and still are.
pub const DATE_HEADERS: [&str; 3] = ["Hiệu lực từ ngày", "Hiệu lực đến ngày", "Sáp nhập vào mã"];

/// The columns as a file is read by: the four of [`HEADERS`] required,
/// the three of [`DATE_HEADERS`] optional.
pub const COLUMNS: [Column; 7] = [
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
    Column {
        header: DATE_HEADERS[0],
        english: "valid_from",
        required: false,
    },
    Column {
        header: DATE_HEADERS[1],
        english: "valid_to",
        required: false,
    },
    Column {
        header: DATE_HEADERS[2],
        english: "merged_into",
        required: false,
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
    pub valid_from: String,
    pub valid_to: String,
    pub merged_into: String,
}

impl SheetRow {
    /// A unit as the template's line `line` writes it, dates as
    /// dd/mm/yyyy: how a loaded list goes back out (the preview's
    /// confirmation, a CSV of the tree).
    pub fn of_unit(line: usize, u: &OrgUnit) -> Self {
        let day = |d: Option<NaiveDate>| d.map(crate::report::dmy);
        Self {
            line,
            code: u.code.clone(),
            name: u.name.clone(),
            level: level_word(u.level, Lang::Vi).into(),
            parent: u.parent.clone().unwrap_or_default(),
            valid_from: day(u.valid_from).unwrap_or_default(),
            valid_to: day(u.valid_to).unwrap_or_default(),
            merged_into: u.merged_into.clone().unwrap_or_default(),
        }
    }

    /// Its cells in the template's column order ([`HEADERS`] then
    /// [`DATE_HEADERS`]).
    pub fn cells(&self) -> [&str; 7] {
        [
            &self.code,
            &self.name,
            &self.level,
            &self.parent,
            &self.valid_from,
            &self.valid_to,
            &self.merged_into,
        ]
    }
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
            valid_from: l.cell(4).to_string(),
            valid_to: l.cell(5).to_string(),
            merged_into: l.cell(6).to_string(),
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
    /// A date that is not a day of the calendar (dd/mm/yyyy).
    BadDate(String),
    /// Its last day comes before its first.
    EndsBeforeStart,
    /// Only a commune is merged into another.
    MergeOfNonCommune,
    /// A merger needs the last day of the old commune.
    MergeWithoutEnd,
    /// The commune it is merged into is not a commune of the list.
    MergeIntoUnknown(String),
    /// The commune it is merged into does not exist on the merger's day.
    MergeIntoNotInForce {
        into: String,
        on: NaiveDate,
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
            RowProblem::BadDate(text) => {
                if vi {
                    format!("ngày “{text}” không hợp lệ (ghi theo dạng ngày/tháng/năm, ví dụ 01/07/2025)")
                } else {
                    format!(
                        "the date “{text}” is not valid (write day/month/year, e.g. 01/07/2025)"
                    )
                }
            }
            RowProblem::EndsBeforeStart => lang
                .pick(
                    "ngày hết hiệu lực trước ngày bắt đầu hiệu lực",
                    "the last day comes before the first",
                )
                .into(),
            RowProblem::MergeOfNonCommune => lang
                .pick(
                    "chỉ đơn vị cấp xã mới sáp nhập vào xã khác",
                    "only a commune is merged into another",
                )
                .into(),
            RowProblem::MergeWithoutEnd => lang
                .pick(
                    "xã sáp nhập cần có ngày hết hiệu lực (ngày cuối cùng trước sáp nhập)",
                    "a merged commune needs its last day before the merger",
                )
                .into(),
            RowProblem::MergeIntoUnknown(code) => {
                if vi {
                    format!("không có xã mã {code} trong danh sách để sáp nhập vào")
                } else {
                    format!("no commune with code {code} in the list to merge into")
                }
            }
            RowProblem::MergeIntoNotInForce { into, on } => {
                let day = crate::report::dmy(*on);
                if vi {
                    format!("xã {into} chưa có hoặc đã hết hiệu lực vào ngày sáp nhập {day}")
                } else {
                    format!("commune {into} does not exist on the merger's day {day}")
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

/// A day as offices write it: dd/mm/yyyy (or d/m/yyyy, with dashes or
/// dots), or yyyy-mm-dd as a spreadsheet's own date cells are read.
/// Empty is no date.
pub fn day_of(text: &str) -> Result<Option<NaiveDate>, RowProblem> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || RowProblem::BadDate(t.to_string());
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    let [a, b, c] = parts[..] else {
        return Err(bad());
    };
    let num = |p: &str| p.trim().parse::<u32>().map_err(|_| bad());
    let (y, m, d) = if a.len() == 4 {
        (num(a)?, num(b)?, num(c)?)
    } else {
        (num(c)?, num(b)?, num(a)?)
    };
    if !(1900..=2200).contains(&y) {
        return Err(bad());
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
        .map(Some)
        .ok_or_else(bad)
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
        let mut date = |text: &str| {
            day_of(text).unwrap_or_else(|p| {
                problems.push(p);
                None
            })
        };
        let (valid_from, valid_to) = (date(&row.valid_from), date(&row.valid_to));
        if let (Some(from), Some(to)) = (valid_from, valid_to) {
            if to < from {
                problems.push(RowProblem::EndsBeforeStart);
            }
        }
        let merged_into = row.merged_into.trim();
        if !merged_into.is_empty() {
            if level.is_some_and(|l| l != OrgLevel::Commune) {
                problems.push(RowProblem::MergeOfNonCommune);
            }
            if valid_to.is_none() && row.valid_to.trim().is_empty() {
                problems.push(RowProblem::MergeWithoutEnd);
            }
            if merged_into == code || levels.get(merged_into) != Some(&Some(OrgLevel::Commune)) {
                problems.push(RowProblem::MergeIntoUnknown(merged_into.to_string()));
            }
        }
        if problems.is_empty() {
            if let Some(level) = level {
                units.push(OrgUnit {
                    valid_from,
                    valid_to,
                    merged_into: (!merged_into.is_empty()).then(|| merged_into.to_string()),
                    ..OrgUnit::new(code, name, level, (!parent.is_empty()).then_some(parent))
                });
            }
        }
        errors.extend(problems.into_iter().map(|problem| RowError {
            line: row.line,
            problem,
        }));
    }
    // A merger's new commune must exist on its day; the list is whole
    // only now. Since each new commune outlives the old one's last day, no
    // chain of mergers can loop.
    let in_force: HashMap<&str, &OrgUnit> = units.iter().map(|u| (u.code.as_str(), u)).collect();
    for (unit, line) in units
        .iter()
        .filter_map(|u| Some((u, first_line.get(u.code.as_str())?)))
    {
        let (Some(into), Some(on)) = (unit.merged_into.as_deref(), unit.merged_on()) else {
            continue;
        };
        if in_force
            .get(into)
            .is_some_and(|target| !target.in_force(on))
        {
            errors.push(RowError {
                line: *line,
                problem: RowProblem::MergeIntoNotInForce {
                    into: into.to_string(),
                    on,
                },
            });
        }
    }
    errors.sort_by_key(|e| e.line);
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
            ..SheetRow::default()
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

    /// Hồng Kim and Bắc Sơn end on 30/06/2025 and become A Lưới 1 the
    /// next day.
    fn merger() -> Vec<SheetRow> {
        let mut rows = good();
        rows[2].valid_from = "01/07/2025".into();
        for (line, code, name) in [(8, "19996", "Xã Hồng Kim"), (9, "20002", "Xã Bắc Sơn")] {
            rows.push(SheetRow {
                valid_to: "30/6/2025".into(),
                merged_into: "20014".into(),
                ..row(line, code, name, "Xã", "46")
            });
        }
        rows
    }

    #[test]
    fn a_merger_reads_with_its_days() {
        let tree = read_rows(&merger()).unwrap();
        let old = tree.get("19996").unwrap();
        assert_eq!(old.merged_on(), NaiveDate::from_ymd_opt(2025, 7, 1));
        let new = tree.get("20014").unwrap();
        assert_eq!(new.valid_from, NaiveDate::from_ymd_opt(2025, 7, 1));
        // What goes out as a sheet comes back the same.
        let back: Vec<SheetRow> = tree
            .units()
            .enumerate()
            .map(|(i, u)| SheetRow::of_unit(i + 2, u))
            .collect();
        assert_eq!(read_rows(&back).unwrap(), tree);
    }

    #[test]
    fn days_are_read_as_offices_write_them() {
        let d = |y, m, d| Ok(NaiveDate::from_ymd_opt(y, m, d));
        assert_eq!(day_of("01/07/2025"), d(2025, 7, 1));
        assert_eq!(day_of(" 1-7-2025 "), d(2025, 7, 1));
        assert_eq!(day_of("2025-07-01"), d(2025, 7, 1));
        assert_eq!(day_of(""), Ok(None));
        for bad in ["31/02/2025", "2025", "1/7/25", "hôm nay", "01/13/2025"] {
            assert_eq!(day_of(bad), Err(RowProblem::BadDate(bad.into())), "{bad}");
        }
    }

    #[test]
    fn a_merger_that_cannot_be_is_refused_row_by_row() {
        let mut rows = merger();
        // No last day; into a village; a village merged; dates backwards;
        // into a commune that only begins later.
        rows[6].valid_to = String::new();
        rows[7].merged_into = "20014-01".into();
        rows[3].merged_into = "20014".into();
        rows[3].valid_to = "01/01/2025".into();
        rows[1].valid_from = "02/02/2025".into();
        rows[1].valid_to = "01/02/2025".into();
        let mut late = merger();
        late[2].valid_from = "02/07/2025".into();
        assert_eq!(
            problems(&rows),
            [
                (3, RowProblem::EndsBeforeStart),
                (5, RowProblem::MergeOfNonCommune),
                (8, RowProblem::MergeWithoutEnd),
                (9, RowProblem::MergeIntoUnknown("20014-01".into())),
            ]
        );
        let on = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        assert_eq!(
            problems(&late),
            [8, 9].map(|line| (
                line,
                RowProblem::MergeIntoNotInForce {
                    into: "20014".into(),
                    on
                }
            ))
        );
        assert_eq!(
            problems(&late)[0].1.message(Lang::Vi),
            "xã 20014 chưa có hoặc đã hết hiệu lực vào ngày sáp nhập 01/07/2025"
        );
    }
}
