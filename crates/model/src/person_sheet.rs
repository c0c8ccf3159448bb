//! The register of people under management as an office keeps it in a
//! spreadsheet (issue 20): one row per person, read into a
//! [`PersonInput`] and checked with the validation the tablets apply
//! (`PersonInput::validate`), then sorted against the register the hub
//! holds. Each row is one of: a file to create, a person already in the
//! register (by CCCD anywhere in the district, or by name, birth date and
//! commune when one side has no CCCD), a repeat of an earlier row of the
//! same file, or refused with every reason.
//!
//! Pure: the hub reads the file (`rules::units`) and the register's keys
//! (`ReportSource::person_keys`), and writes what the administrator
//! confirms.

use crate::lang::{Labelled, Lang};
use crate::org::OrgTree;
use crate::person::{PersonInput, Sex, Substance};
use crate::report::PersonKey;
use crate::sheet::{Column, SheetLine};
use crate::status::{ClosedReason, LegalStatus, StatusSpan};
use crate::text::fold;
use crate::validation::{parse_date, Field, FieldError, Problem};
use chrono::NaiveDate;
use std::collections::HashMap;
use uuid::Uuid;

const fn col(header: &'static str, english: &'static str, required: bool) -> Column {
    Column {
        header,
        english,
        required,
    }
}

/// The template's columns, in its order. The register download's columns
/// (name, CCCD, birth date, commune, village, status) read here too.
pub const COLUMNS: [Column; 15] = [
    col("Họ và tên", "full_name", true),
    col("Ngày sinh", "birth_date", true),
    col("Giới tính", "sex", true),
    col("Số CCCD", "citizen_id", true),
    col("Dân tộc", "ethnicity", false),
    col("Xã, phường", "commune", true),
    col("Thôn, bản", "village", false),
    col("Địa chỉ", "address", false),
    col("Số điện thoại", "phone", false),
    col("Người thân liên hệ", "family_contact", false),
    col("Chất ma túy sử dụng", "substances", true),
    col("Cán bộ phụ trách", "officer_in_charge", true),
    col("Tình trạng pháp lý", "status", true),
    col("Quản lý từ ngày", "status_from", true),
    col("Lý do kết thúc", "closed_reason", false),
];

// Where each field is in `COLUMNS`.
const NAME: usize = 0;
const BORN: usize = 1;
const SEX: usize = 2;
const CCCD: usize = 3;
const ETHNICITY: usize = 4;
const COMMUNE: usize = 5;
const VILLAGE: usize = 6;
const ADDRESS: usize = 7;
const PHONE: usize = 8;
const FAMILY: usize = 9;
const SUBSTANCES: usize = 10;
const OFFICER: usize = 11;
const STATUS: usize = 12;
const FROM: usize = 13;
const CLOSED: usize = 14;

/// What becomes of one row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A new file, checked.
    Create(Box<PersonInput>),
    /// In the register already, in `commune`.
    Registered { commune: String },
    /// The same person as an earlier row of this file.
    Repeats { first_line: usize },
    /// Every reason, as the form would show them.
    Refused(Vec<FieldError>),
}

/// A row's line, the name as written, and its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowVerdict {
    pub line: usize,
    pub full_name: String,
    pub verdict: Verdict,
}

/// How many rows of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub create: usize,
    pub registered: usize,
    pub repeats: usize,
    pub refused: usize,
}

impl Counts {
    pub fn of(rows: &[RowVerdict]) -> Self {
        rows.iter().fold(Self::default(), |mut c, r| {
            match r.verdict {
                Verdict::Create(_) => c.create += 1,
                Verdict::Registered { .. } => c.registered += 1,
                Verdict::Repeats { .. } => c.repeats += 1,
                Verdict::Refused(_) => c.refused += 1,
            }
            c
        })
    }
}

/// Sorts every line of a file: read and checked as a tablet checks a
/// form (against `units` and `today`), refused when its commune is not
/// one `may_import` allows, then matched against `register` and the rows
/// above it.
pub fn sort_rows(
    lines: &[SheetLine],
    units: &OrgTree,
    may_import: &dyn Fn(&str) -> bool,
    register: &[PersonKey],
    today: NaiveDate,
) -> Vec<RowVerdict> {
    let mut known = Known::of(register);
    lines
        .iter()
        .map(|l| {
            let verdict = match person_of(l, units, today) {
                Err(errors) => Verdict::Refused(errors),
                Ok(p) if !may_import(&p.commune) => Verdict::Refused(vec![FieldError::new(
                    Field::Commune,
                    Problem::OutsideOwnUnit,
                )]),
                Ok(p) => match known.find(&p) {
                    Some(Found::Register(commune)) => Verdict::Registered { commune },
                    Some(Found::Line(first_line)) => Verdict::Repeats { first_line },
                    None => {
                        known.add_line(&p, l.line);
                        Verdict::Create(Box::new(p))
                    }
                },
            };
            RowVerdict {
                line: l.line,
                full_name: l.cell(NAME).to_string(),
                verdict,
            }
        })
        .collect()
}

/// A row as the person it describes, or every reason it cannot be.
pub fn person_of(
    l: &SheetLine,
    units: &OrgTree,
    today: NaiveDate,
) -> Result<PersonInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let e = &mut errors;
    let birth_date = take(e, parse_date(Field::BirthDate, l.cell(BORN)));
    let sex = take(e, labelled::<Sex>(Field::Sex, l.cell(SEX)));
    let commune = take(e, commune_of(units, l.cell(COMMUNE)));
    let village = match &commune {
        Some(c) => take(e, village_of(units, c, l.cell(VILLAGE))),
        None => None,
    };
    let substances = take(e, substances(l.cell(SUBSTANCES)));
    let status = take(e, labelled::<LegalStatus>(Field::Status, l.cell(STATUS)));
    let from = take(e, parse_date(Field::StatusFrom, l.cell(FROM)));
    let closed_reason = match l.cell(CLOSED) {
        "" => Some(None),
        word => take(e, labelled::<ClosedReason>(Field::ClosedReason, word)).map(Some),
    };
    // A cell that cannot be read stands in as a sound value, so the
    // tablet's checks still run on the others: the office sees every
    // problem of the row at once. Their errors on the unread fields (and
    // on the status's start when the birth date is unread) are dropped.
    let unread: Vec<Field> = errors.iter().map(|e| e.field).collect();
    let stand_in = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(today);
    let birth_date = birth_date.unwrap_or(stand_in);
    let closed_reason = closed_reason.unwrap_or(None);
    let status = status.unwrap_or(match closed_reason {
        Some(_) => LegalStatus::Closed,
        None => LegalStatus::DrugUserManaged,
    });
    let (sex, commune) = (sex.unwrap_or(Sex::Male), commune.unwrap_or_default());
    let (village, from) = (village.unwrap_or(None), from.unwrap_or(today));
    let substances = substances.unwrap_or_else(|| vec![Substance::Other]);
    let optional = |i: usize| Some(l.cell(i).to_string()).filter(|c| !c.is_empty());
    let person = PersonInput {
        full_name: l.cell(NAME).to_string(),
        birth_date,
        sex,
        citizen_id: optional(CCCD),
        ethnicity: l.cell(ETHNICITY).to_string(),
        commune,
        village,
        address: l.cell(ADDRESS).to_string(),
        phone: optional(PHONE),
        family_contact: l.cell(FAMILY).to_string(),
        substances,
        officer_in_charge: l.cell(OFFICER).to_string(),
        statuses: vec![StatusSpan {
            id: Uuid::nil(),
            status,
            closed_reason,
            from,
            until: None,
            notes: String::new(),
        }],
    };
    if let Err(checked) = person.validate(units, today) {
        let dropped = |f: Field| {
            unread.contains(&f) || (f == Field::StatusFrom && unread.contains(&Field::BirthDate))
        };
        errors.extend(checked.into_iter().filter(|e| !dropped(e.field)));
    }
    if errors.is_empty() {
        Ok(person)
    } else {
        Err(errors)
    }
}

/// A cell's value, or its error kept with the row's others.
fn take<T>(errors: &mut Vec<FieldError>, read: Result<T, FieldError>) -> Option<T> {
    read.map_err(|e| errors.push(e)).ok()
}

/// A closed list's value as a spreadsheet writes it: its Vietnamese label,
/// its English one or its code, with or without diacritics.
fn labelled<T: Labelled>(field: Field, word: &str) -> Result<T, FieldError> {
    if word.is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    let key = fold(word);
    T::ALL
        .iter()
        .copied()
        .find(|v| {
            key == v.code() || key == fold(v.label(Lang::Vi)) || key == fold(v.label(Lang::En))
        })
        .ok_or_else(|| not_in_list(field, word))
}

fn not_in_list(field: Field, word: &str) -> FieldError {
    FieldError::new(
        field,
        Problem::NotInList {
            word: word.to_string(),
        },
    )
}

/// Several substances in one cell, separated by commas, semicolons or
/// new lines; each once.
fn substances(cell: &str) -> Result<Vec<Substance>, FieldError> {
    let mut found = Vec::new();
    for word in cell
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let s = labelled::<Substance>(Field::Substances, word)?;
        if !found.contains(&s) {
            found.push(s);
        }
    }
    Ok(found)
}

/// A commune by its code or its name (as the register download writes it).
fn commune_of(units: &OrgTree, cell: &str) -> Result<String, FieldError> {
    if cell.is_empty() {
        return Err(FieldError::new(Field::Commune, Problem::Required));
    }
    if units.is_commune(cell) {
        return Ok(cell.to_string());
    }
    let key = fold(cell);
    let mut named = units.communes().filter(|c| fold(&c.name) == key);
    match (named.next(), named.next()) {
        (Some(c), None) => Ok(c.code.clone()),
        _ => Err(not_in_list(Field::Commune, cell)),
    }
}

/// A village of the commune by its code or its name; none when blank.
fn village_of(units: &OrgTree, commune: &str, cell: &str) -> Result<Option<String>, FieldError> {
    if cell.is_empty() {
        return Ok(None);
    }
    let key = fold(cell);
    units
        .villages_of(commune)
        .find(|v| v.code == cell || fold(&v.name) == key)
        .map(|v| Some(v.code.clone()))
        .ok_or_else(|| not_in_list(Field::Village, cell))
}

/// What names a person across files: the CCCD, and name, birth date and
/// commune for the files that lack one.
#[derive(Default)]
struct Known {
    by_citizen_id: HashMap<String, Place>,
    by_person: HashMap<(String, String, String), (Place, bool)>,
}

#[derive(Clone)]
enum Place {
    Register(String),
    Line(usize),
}

enum Found {
    Register(String),
    Line(usize),
}

impl Known {
    fn of(register: &[PersonKey]) -> Self {
        let mut known = Self::default();
        for k in register {
            let place = Place::Register(k.commune.clone());
            let cccd = k.citizen_id.as_deref().filter(|c| !c.is_empty());
            known.add(
                cccd,
                (k.commune.clone(), k.name_key.clone(), k.birth_date.clone()),
                place,
            );
        }
        known
    }

    fn add_line(&mut self, p: &PersonInput, line: usize) {
        self.add(p.citizen_id.as_deref(), person_key(p), Place::Line(line));
    }

    fn add(&mut self, cccd: Option<&str>, key: (String, String, String), place: Place) {
        if let Some(c) = cccd {
            self.by_citizen_id
                .entry(c.to_string())
                .or_insert(place.clone());
        }
        self.by_person.entry(key).or_insert((place, cccd.is_some()));
    }

    /// By CCCD first; by name, birth date and commune when this row or the
    /// file found lacks one (two people of one name and birth date with
    /// two different CCCDs are two people).
    fn find(&self, p: &PersonInput) -> Option<Found> {
        let cccd = p.citizen_id.as_deref();
        let place = cccd.and_then(|c| self.by_citizen_id.get(c)).or_else(|| {
            self.by_person
                .get(&person_key(p))
                .filter(|(_, has_cccd)| cccd.is_none() || !has_cccd)
                .map(|(place, _)| place)
        })?;
        Some(match place {
            Place::Register(c) => Found::Register(c.clone()),
            Place::Line(l) => Found::Line(*l),
        })
    }
}

fn person_key(p: &PersonInput) -> (String, String, String) {
    (
        p.commune.clone(),
        fold(&p.full_name),
        p.birth_date.to_string(),
    )
}

/// What an imported file's id is derived from, so that two imports of one
/// row racing each other make one document, never two: its commune and
/// CCCD, or its commune, name and birth date.
pub fn import_key(p: &PersonInput) -> String {
    match &p.citizen_id {
        Some(c) => format!("{}|{c}", p.commune),
        None => {
            let (commune, name, born) = person_key(p);
            format!("{commune}|{name}|{born}")
        }
    }
}

/// A person as a row of the template, in [`COLUMNS`]' order (the tests'
/// and the benchmark's files are written with it).
pub fn row_of(p: &PersonInput, units: &OrgTree, lang: Lang) -> Vec<String> {
    let span = p.current_span();
    let name = |code: &str| {
        units
            .get(code)
            .map_or(code, |u| u.name.as_str())
            .to_string()
    };
    vec![
        p.full_name.clone(),
        p.birth_date.format("%d/%m/%Y").to_string(),
        p.sex.label(lang).to_string(),
        p.citizen_id.clone().unwrap_or_default(),
        p.ethnicity.clone(),
        name(&p.commune),
        p.village.as_deref().map(name).unwrap_or_default(),
        p.address.clone(),
        p.phone.clone().unwrap_or_default(),
        p.family_contact.clone(),
        p.substances
            .iter()
            .map(|s| s.label(lang))
            .collect::<Vec<_>>()
            .join(", "),
        p.officer_in_charge.clone(),
        span.map(|s| s.status.label(lang))
            .unwrap_or_default()
            .into(),
        span.map(|s| s.from.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        span.and_then(|s| s.closed_reason)
            .map(|r| r.label(lang))
            .unwrap_or_default()
            .into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{day, person, COMMUNE, OTHER_COMMUNE};

    fn today() -> NaiveDate {
        day(2026, 11, 24)
    }

    fn line(n: usize, p: &PersonInput) -> SheetLine {
        SheetLine {
            line: n,
            cells: row_of(p, &OrgTree::demo(), Lang::Vi),
        }
    }

    fn sorted(lines: &[SheetLine], register: &[PersonKey]) -> Vec<Verdict> {
        sort_rows(
            lines,
            &OrgTree::demo(),
            &|c| c == COMMUNE,
            register,
            today(),
        )
        .into_iter()
        .map(|r| r.verdict)
        .collect()
    }

    #[test]
    fn a_row_written_from_a_file_reads_back_as_that_file() {
        let mut p = person("A Lê Văn Hùng");
        p.statuses.truncate(1);
        p.statuses[0].id = Uuid::nil();
        p.statuses[0].until = None;
        let back = person_of(&line(2, &p), &OrgTree::demo(), today()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn rows_sort_into_new_registered_repeated_and_refused() {
        let p = person("A Lê Văn Hùng");
        let mut other = person("Y Nguyễn Thị Hoa");
        other.citizen_id = Some("062000000999".into());
        let mut no_cccd = person("A Rơ Chăm");
        no_cccd.citizen_id = None;
        let register = [PersonKey {
            id: "x".into(),
            citizen_id: None,
            name_key: fold("A Rơ Chăm"),
            birth_date: no_cccd.birth_date.to_string(),
            commune: COMMUNE.into(),
        }];
        let mut bad = line(5, &p);
        bad.cells[SEX] = "Không rõ".into();
        bad.cells[CCCD] = "12345".into();
        let mut outside = other.clone();
        outside.commune = OTHER_COMMUNE.into();
        outside.village = None;
        outside.citizen_id = Some("062000000777".into());
        let verdicts = sorted(
            &[
                line(2, &p),
                line(3, &other),
                line(4, &no_cccd),
                bad,
                line(6, &p),
                line(7, &outside),
            ],
            &register,
        );
        assert!(matches!(verdicts[0], Verdict::Create(_)));
        assert!(matches!(verdicts[1], Verdict::Create(_)));
        assert_eq!(
            verdicts[2],
            Verdict::Registered {
                commune: COMMUNE.into()
            }
        );
        let Verdict::Refused(errors) = &verdicts[3] else {
            panic!("{:?}", verdicts[3]);
        };
        let messages: Vec<String> = errors.iter().map(|e| e.message(Lang::Vi)).collect();
        assert_eq!(
            messages,
            [
                "Giới tính: “Không rõ” không có trong danh mục",
                "Số CCCD: Phải gồm đúng 12 chữ số (đang có 5)"
            ],
            "parse errors first, then the tablet's own checks"
        );
        assert_eq!(verdicts[4], Verdict::Repeats { first_line: 2 });
        assert_eq!(
            verdicts[5],
            Verdict::Refused(vec![FieldError::new(
                Field::Commune,
                Problem::OutsideOwnUnit
            )])
        );
    }

    #[test]
    fn a_cccd_is_matched_anywhere_and_two_cccds_are_two_people() {
        let p = person("A Lê Văn Hùng");
        let elsewhere = PersonKey {
            id: "x".into(),
            citizen_id: p.citizen_id.clone(),
            name_key: "someone else".into(),
            birth_date: "1990-01-01".into(),
            commune: OTHER_COMMUNE.into(),
        };
        assert_eq!(
            sorted(&[line(2, &p)], &[elsewhere]),
            [Verdict::Registered {
                commune: OTHER_COMMUNE.into()
            }]
        );
        let namesake = PersonKey {
            id: "y".into(),
            citizen_id: Some("062999999999".into()),
            name_key: fold(&p.full_name),
            birth_date: p.birth_date.to_string(),
            commune: COMMUNE.into(),
        };
        assert!(matches!(
            sorted(&[line(2, &p)], &[namesake])[0],
            Verdict::Create(_)
        ));
    }
}
