//! The report as an official document (văn bản hành chính), laid out as
//! Nghị định 30/2020/NĐ-CP sets it (Phụ lục I): A4, Times New Roman, the
//! issuing unit and the number and symbol at the top left, the national
//! title and motto at the top right with the place and date under them, the
//! title (BÁO CÁO, the subject and the period) centred, the body, then
//! recipients (Nơi nhận) at the bottom left and the signature block at the
//! bottom right.
//!
//! The body is the same [`Report`] the workbook is made from: each
//! section's figures in sentences, then in a table with last year beside
//! this year, its breakdowns, and the units not yet reached. The file is
//! written with docx-rs and left editable: the office numbers it, adds its
//! remarks and signs it.

use crate::{indicator_headers, roman, ExportError};
use chrono::{Datelike, NaiveDate};
use docx_rs::{
    AlignmentType, Docx, LineSpacing, PageMargin, Paragraph, Run, RunFonts, SpecialIndentType,
    Table, TableCell, TableRow, WidthType,
};
use pcmt_model::report::{comparison_headers, Indicator, NamedUnit, Report, Section, Tally, Unit};
use pcmt_model::{Labelled, Lang};

/// What the document says about who issues it and to whom, beyond the
/// figures. [`Letterhead::for_unit`] gives the usual wording for a unit's
/// steering committee; the office corrects it in the file before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// Cơ quan, tổ chức chủ quản: the line above the issuer.
    pub superior: String,
    /// Tên cơ quan, tổ chức ban hành văn bản.
    pub issuer: String,
    /// The symbol after the number: "BC-BCĐ" (báo cáo of the Ban Chỉ đạo).
    /// The number itself is given by the office's clerk when it is issued.
    pub symbol: String,
    /// Địa danh: the place the date is written at.
    pub place: String,
    pub recipients: Vec<String>,
    /// Quyền hạn: "TM. BAN CHỈ ĐẠO".
    pub signing_for: String,
    /// Chức vụ: "TRƯỞNG BAN".
    pub signer_title: String,
}

/// A4 in twentieths of a point, and the margins Nghị định 30 sets (top and
/// bottom 20–25 mm, left 30–35 mm, right 15–20 mm): 20, 20, 30 and 15 mm.
const PAGE: (u32, u32) = (11_906, 16_838);
const MARGINS: (i32, i32, i32, i32) = (1_134, 1_134, 1_701, 851);
/// The width the text runs across.
const TEXT_WIDTH: usize = (PAGE.0 as i32 - MARGINS.2 - MARGINS.3) as usize;
/// Font sizes in half points: body 14, the national title 13, tables 11
/// (eight columns fit across the page).
const BODY: usize = 28;
const NATIONAL: usize = 26;
const TABLE: usize = 22;

impl Letterhead {
    /// The usual wording for `unit`'s steering committee: "UBND HUYỆN ĐĂK
    /// GLEI" over "BAN CHỈ ĐẠO PHÒNG, CHỐNG MA TÚY", the place being the
    /// unit's name without its level ("Đăk Glei").
    pub fn for_unit(unit: &NamedUnit, lang: Lang) -> Self {
        let place = place_name(&unit.name);
        let l = |vi: &'static str, en: &'static str| lang.pick(vi, en).to_string();
        Self {
            superior: match lang {
                Lang::Vi => format!("UBND {}", unit.name.to_uppercase()),
                Lang::En => format!("PEOPLE'S COMMITTEE OF {}", unit.name.to_uppercase()),
            },
            issuer: l(
                "BAN CHỈ ĐẠO PHÒNG, CHỐNG MA TÚY",
                "DRUG PREVENTION STEERING COMMITTEE",
            ),
            symbol: "BC-BCĐ".into(),
            place,
            recipients: vec![
                l(
                    "Ban Chỉ đạo phòng, chống ma túy cấp trên (để báo cáo);",
                    "The steering committee above (for report);",
                ),
                l(
                    "Các thành viên Ban Chỉ đạo;",
                    "Members of the steering committee;",
                ),
                l("Lưu: VT.", "File: VT."),
            ],
            signing_for: l("TM. BAN CHỈ ĐẠO", "FOR THE STEERING COMMITTEE"),
            signer_title: l("TRƯỞNG BAN", "CHAIR"),
        }
    }
}

/// A unit's name as a place: without its level word and any note in
/// brackets ("Huyện Đăk Glei (demo)" → "Đăk Glei").
fn place_name(name: &str) -> String {
    let name = name.split(" (").next().unwrap_or(name).trim();
    const LEVELS: &[&str] = &[
        "Thành phố ",
        "Thị trấn ",
        "Thị xã ",
        "Phường ",
        "Huyện ",
        "Quận ",
        "Tỉnh ",
        "Xã ",
    ];
    LEVELS
        .iter()
        .find_map(|level| name.strip_prefix(level))
        .unwrap_or(name)
        .to_string()
}

/// "Đăk Glei, ngày 01 tháng 12 năm 2026": as Nghị định 30 writes a date,
/// a day below 10 and a month below 3 with a leading zero.
pub fn place_and_date(place: &str, day: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Vi => {
            let month = if day.month() < 3 {
                format!("{:02}", day.month())
            } else {
                day.month().to_string()
            };
            format!(
                "{place}, ngày {:02} tháng {month} năm {}",
                day.day(),
                day.year()
            )
        }
        Lang::En => format!("{place}, {}", day.format("%d %B %Y")),
    }
}

/// How a paragraph looks.
#[derive(Clone, Copy)]
struct Look {
    size: usize,
    bold: bool,
    italic: bool,
    align: AlignmentType,
}

const PLAIN: Look = Look {
    size: BODY,
    bold: false,
    italic: false,
    align: AlignmentType::Both,
};

impl Look {
    const fn centred(self) -> Self {
        Self {
            align: AlignmentType::Center,
            ..self
        }
    }
    const fn bold(self) -> Self {
        Self { bold: true, ..self }
    }
    const fn italic(self) -> Self {
        Self {
            italic: true,
            ..self
        }
    }
    const fn sized(self, size: usize) -> Self {
        Self { size, ..self }
    }
    const fn left(self) -> Self {
        Self {
            align: AlignmentType::Left,
            ..self
        }
    }

    fn line(self, text: impl Into<String>) -> Paragraph {
        let mut run = Run::new().add_text(text).size(self.size);
        if self.bold {
            run = run.bold();
        }
        if self.italic {
            run = run.italic();
        }
        Paragraph::new()
            .add_run(run)
            .align(self.align)
            .line_spacing(LineSpacing::new().before(0).after(0))
    }

    /// A paragraph of the body: first line indented 1 cm, 6 pt after.
    fn body(self, text: impl Into<String>) -> Paragraph {
        self.line(text)
            .indent(None, Some(SpecialIndentType::FirstLine(567)), None, None)
            .line_spacing(LineSpacing::new().before(0).after(120))
    }
}

/// The short rule Nghị định 30 draws under the issuer and the motto.
fn rule() -> Paragraph {
    PLAIN.centred().sized(NATIONAL).line("──────────")
}

fn cell(widths: usize, paragraphs: Vec<Paragraph>) -> TableCell {
    paragraphs
        .into_iter()
        .fold(TableCell::new(), TableCell::add_paragraph)
        .width(widths, WidthType::Dxa)
}

/// Two columns without borders: the header and the closing block.
fn two_columns(left: usize, rows: Vec<(Vec<Paragraph>, Vec<Paragraph>)>) -> Table {
    let right = TEXT_WIDTH - left;
    let rows = rows
        .into_iter()
        .map(|(l, r)| TableRow::new(vec![cell(left, l), cell(right, r)]))
        .collect();
    Table::without_borders(rows)
        .set_grid(vec![left, right])
        .width(TEXT_WIDTH, WidthType::Dxa)
}

/// A table with borders: a header row, then the rows, each cell a line of
/// the table's size (numbers right-aligned when `numeric` says so).
fn grid(widths: &[usize], headers: &[&str], rows: Vec<Vec<String>>, numeric: &[bool]) -> Table {
    let head = PLAIN.sized(TABLE).bold().centred();
    let mut table_rows = vec![TableRow::new(
        widths
            .iter()
            .zip(headers)
            .map(|(&w, h)| cell(w, vec![head.line(*h)]))
            .collect(),
    )];
    for row in rows {
        table_rows.push(TableRow::new(
            widths
                .iter()
                .zip(row)
                .enumerate()
                .map(|(c, (&w, text))| {
                    let look = PLAIN.sized(TABLE);
                    let look = if numeric.get(c).copied().unwrap_or(false) {
                        Look {
                            align: AlignmentType::Right,
                            ..look
                        }
                    } else {
                        look.left()
                    };
                    cell(w, vec![look.line(text)])
                })
                .collect(),
        ));
    }
    Table::new(table_rows)
        .set_grid(widths.to_vec())
        .width(TEXT_WIDTH, WidthType::Dxa)
}

/// A value with its unit as a sentence writes it: "12 buổi", "66,7%".
fn with_unit(text: String, unit: Unit, lang: Lang) -> String {
    match unit {
        Unit::Percent => format!("{text}%"),
        _ => format!("{text} {}", unit.label(lang)),
    }
}

/// One indicator as a sentence: its value (and a share's parts), whether it
/// meets the plan's target, and how it moved against last year: "Số buổi
/// tuyên truyền: 12 buổi; tăng 3 (33,3%) so với cùng kỳ năm trước (9 buổi)."
pub fn indicator_sentence(i: &Indicator, lang: Lang) -> String {
    let unit = i.code.def().unit;
    let mut text = format!("{}: ", i.code.label(lang));
    match (i.value, i.numerator, i.denominator) {
        (None, Some(_), _) => {
            text.push_str(lang.pick("không có đối tượng để tính", "nothing to count"))
        }
        (None, _, _) => text.push_str(lang.pick("chưa có số liệu", "no figure yet")),
        (Some(_), Some(a), Some(b)) => text.push_str(&format!(
            "{} ({a}/{b})",
            with_unit(i.value_text(lang), unit, lang)
        )),
        (Some(_), _, _) => text.push_str(&with_unit(i.value_text(lang), unit, lang)),
    }
    if let (Some(met), Some(_)) = (i.met, i.target) {
        let word = if met {
            lang.pick("đạt chỉ tiêu", "meets the target")
        } else {
            lang.pick("chưa đạt chỉ tiêu", "does not meet the target")
        };
        text.push_str(&format!(", {word} {}", i.target_text(lang)));
    }
    if i.value.is_some() && i.previous.is_some() {
        let change = i.change_text(lang);
        let moved = match change.chars().next() {
            Some('+') => Some(lang.pick("tăng", "up")),
            Some('-') => Some(lang.pick("giảm", "down")),
            _ => None,
        };
        let previous = with_unit(i.previous_text(lang), unit, lang);
        let compared = match moved {
            // The change's signs say what the word already says.
            Some(word) => format!("{word} {}", change.replace(['+', '-'], "")),
            None => lang.pick("không đổi", "unchanged").to_string(),
        };
        text.push_str(&format!(
            "; {compared} {} ({previous})",
            lang.pick("so với cùng kỳ năm trước", "on the same period last year")
        ));
    }
    text.push('.');
    text
}

/// The indicator table of one section, last year beside this year.
fn indicator_table(indicators: &[&Indicator], lang: Lang) -> Table {
    let [no, name, unit, value, target, met] = indicator_headers(lang);
    let [previous, change] = comparison_headers(lang);
    let rows = indicators
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let parts = match (i.numerator, i.denominator) {
                (Some(a), Some(b)) => format!(" ({a}/{b})"),
                _ => String::new(),
            };
            vec![
                (n + 1).to_string(),
                i.code.label(lang).to_string(),
                i.code.def().unit.label(lang).to_string(),
                format!("{}{parts}", i.value_text(lang)),
                i.previous_text(lang),
                i.change_text(lang),
                i.target_text(lang),
                i.assessment(lang).to_string(),
            ]
        })
        .collect();
    grid(
        &[620, 2560, 800, 1180, 1050, 1150, 980, 1014],
        &[no, name, unit, value, previous, change, target, met],
        rows,
        &[true, false, false, true, true, true, false, false],
    )
}

/// A breakdown by a closed list, every choice listed, then its total.
fn tally_table<T: Labelled>(item: &str, count: &str, tallies: &[Tally<T>], lang: Lang) -> Table {
    let mut rows: Vec<Vec<String>> = tallies
        .iter()
        .enumerate()
        .map(|(n, t)| {
            vec![
                (n + 1).to_string(),
                t.item.label(lang).to_string(),
                pcmt_model::text::number(t.count as f64, 0, lang),
            ]
        })
        .collect();
    let total: u64 = tallies.iter().map(|t| t.count).sum();
    rows.push(vec![
        String::new(),
        lang.pick("Tổng cộng", "Total").to_string(),
        pcmt_model::text::number(total as f64, 0, lang),
    ]);
    grid(
        &[700, TEXT_WIDTH - 700 - 1800, 1800],
        &[lang.pick("STT", "No."), item, count],
        rows,
        &[true, false, true],
    )
}

/// "Trường học chưa được tuyên truyền: A, B." or "…: không có."
fn units_sentence(title: &str, units: &[NamedUnit], lang: Lang) -> String {
    let names = if units.is_empty() {
        lang.pick("không có", "none").to_string()
    } else {
        units
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("{title}: {names}.")
}

/// Vietnamese and English words for one thing.
type Words = (&'static str, &'static str);

/// The document being written, top to bottom.
struct Body {
    docx: Docx,
    lang: Lang,
}

impl Body {
    fn text(mut self, look: Look, text: impl Into<String>) -> Self {
        self.docx = self.docx.add_paragraph(look.body(text));
        self
    }

    fn table(mut self, table: Table) -> Self {
        // A table straight after a table, or at the end, would merge with
        // what follows: a small gap keeps each apart.
        self.docx = self
            .docx
            .add_table(table)
            .add_paragraph(PLAIN.sized(TABLE / 2).line(""));
        self
    }

    fn tally<T: Labelled>(self, title: Words, item: Words, tallies: &[Tally<T>]) -> Self {
        let lang = self.lang;
        let l = |(vi, en): Words| lang.pick(vi, en).to_string();
        let table = tally_table(&l(item), lang.pick("Số lượng", "Count"), tallies, lang);
        self.text(PLAIN.italic(), l(title)).table(table)
    }

    fn units(self, title: Words, units: &[NamedUnit]) -> Self {
        let lang = self.lang;
        let sentence = units_sentence(lang.pick(title.0, title.1), units, lang);
        self.text(PLAIN, format!("- {sentence}"))
    }

    fn section(mut self, n: usize, section: Section, report: &Report) -> Self {
        let lang = self.lang;
        self = self.text(
            PLAIN.bold(),
            format!("{}. {}", roman(n), section.label(lang).to_uppercase()),
        );
        let indicators: Vec<&Indicator> = report.section(section).collect();
        for i in &indicators {
            self = self.text(PLAIN, format!("- {}", indicator_sentence(i, lang)));
        }
        self = self.table(indicator_table(&indicators, lang));
        match section {
            Section::Sessions => self
                .tally(
                    ("Số buổi theo hình thức:", "Sessions by form:"),
                    ("Hình thức", "Form"),
                    &report.sessions_by_form,
                )
                .tally(
                    ("Số buổi theo loại địa điểm:", "Sessions by venue kind:"),
                    ("Loại địa điểm", "Venue kind"),
                    &report.sessions_by_venue,
                )
                .tally(
                    (
                        "Số người tham dự theo đối tượng:",
                        "Attendees by audience group:",
                    ),
                    ("Đối tượng", "Audience group"),
                    &report.attendees_by_group,
                )
                .units(
                    (
                        "Xã, phường, thị trấn chưa được tuyên truyền",
                        "Communes not yet reached",
                    ),
                    &report.communes_not_reached,
                )
                .units(
                    (
                        "Trường học chưa được tuyên truyền",
                        "Schools not yet reached",
                    ),
                    &report.schools_not_reached,
                )
                .units(
                    (
                        "Khu, cụm công nghiệp chưa được tuyên truyền",
                        "Industrial zones not yet reached",
                    ),
                    &report.zones_not_reached,
                )
                .units(
                    (
                        "Cơ quan, đơn vị chưa được tuyên truyền",
                        "Agencies not yet reached",
                    ),
                    &report.agencies_not_reached,
                ),
            Section::Management => self.tally(
                (
                    "Người đang quản lý theo tình trạng:",
                    "People under management by status:",
                ),
                ("Tình trạng", "Status"),
                &report.people_by_status,
            ),
            Section::Eradication => self
                .tally(
                    ("Số điểm phát hiện theo loại cây:", "Sites by species:"),
                    ("Loại cây", "Species"),
                    &report.sites_by_species,
                )
                .units(
                    (
                        "Xã rà soát không phát hiện",
                        "Communes swept with no finding",
                    ),
                    &report.communes_without_finding,
                ),
            Section::DrugFree if !report.drug_free_classed => self.text(
                PLAIN,
                lang.pick(
                    "- Chưa phân loại xã, phường, thị trấn không có ma túy cho năm này.",
                    "- No commune is classed for this year yet.",
                ),
            ),
            Section::DrugFree => self.units(
                ("Xã, phường, thị trấn không có ma túy", "Drug-free communes"),
                &report.drug_free_communes,
            ),
            Section::HotSpots => self.tally(
                (
                    "Điểm, tụ điểm theo tình trạng đến ngày tính số liệu:",
                    "Hot spots by status on the last day counted:",
                ),
                ("Tình trạng", "Status"),
                &report.hot_spots_by_stage,
            ),
        }
    }
}

/// The report as an official document, in `lang` (Vietnamese for the
/// office), issued as `head` says.
pub fn docx(report: &Report, head: &Letterhead, lang: Lang) -> Result<Vec<u8>, ExportError> {
    let l = |vi: &'static str, en: &'static str| lang.pick(vi, en);
    let font = "Times New Roman";
    let mut docx = Docx::new()
        .page_size(PAGE.0, PAGE.1)
        .page_margin(
            PageMargin::new()
                .top(MARGINS.0)
                .bottom(MARGINS.1)
                .left(MARGINS.2)
                .right(MARGINS.3),
        )
        .default_fonts(
            RunFonts::new()
                .ascii(font)
                .hi_ansi(font)
                .cs(font)
                .east_asia(font),
        )
        .default_size(BODY)
        .created_at(&format!("{}T00:00:00Z", report.made_on));

    let national = PLAIN.centred().sized(NATIONAL);
    let number = format!("{}:        /{}", l("Số", "No."), head.symbol);
    docx = docx.add_table(two_columns(
        3_600,
        vec![
            (
                vec![
                    national.line(&head.superior),
                    national.bold().line(&head.issuer),
                    rule(),
                ],
                vec![
                    national.bold().line(l(
                        "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                        "SOCIALIST REPUBLIC OF VIETNAM",
                    )),
                    PLAIN.centred().bold().line(l(
                        "Độc lập - Tự do - Hạnh phúc",
                        "Independence - Freedom - Happiness",
                    )),
                    rule(),
                ],
            ),
            (
                vec![national.line(number)],
                vec![PLAIN.centred().italic().line(place_and_date(
                    &head.place,
                    report.made_on,
                    lang,
                ))],
            ),
        ],
    ));

    let title = PLAIN.centred().bold();
    let mut period = report.period.label(lang);
    if let Some(first) = period.get(..1) {
        // "năm 2026 (từ …)" inside a sentence.
        period = first.to_lowercase() + &period[1..];
    }
    docx = docx
        .add_paragraph(PLAIN.line(""))
        .add_paragraph(title.line(l("BÁO CÁO", "REPORT")))
        .add_paragraph(title.line(l(
            "Kết quả công tác phòng, chống ma túy",
            "Drug prevention and control: results",
        )))
        .add_paragraph(title.line(report.period.label(lang)))
        .add_paragraph(rule())
        .add_paragraph(PLAIN.line(""));

    let mut body = Body { docx, lang }.text(
        PLAIN,
        format!(
            "{} {} {} {}{}",
            l(
                "Thực hiện chế độ báo cáo định kỳ, báo cáo kết quả công tác phòng, chống ma túy",
                "As periodic reporting requires, this reports drug prevention and control",
            ),
            period,
            l("trên địa bàn", "in"),
            report.unit.name,
            l(" như sau:", " as follows:"),
        ),
    );
    if let Some(note) = report.counted_note(lang) {
        body = body.text(PLAIN.italic(), note);
    }
    body = body.text(PLAIN.italic(), format!("{}.", report.previous_note(lang)));
    for (n, &section) in Section::ALL.iter().enumerate() {
        body = body.section(n, section, report);
    }
    let unmet: Vec<&str> = report
        .indicators
        .iter()
        .filter(|i| i.met == Some(false))
        .map(|i| i.code.label(lang))
        .collect();
    let unmet = if unmet.is_empty() {
        l(
            "Các chỉ tiêu có chỉ tiêu kế hoạch đều đạt.",
            "Every indicator with a target meets it.",
        )
        .to_string()
    } else {
        format!(
            "{}: {}.",
            l("Các chỉ tiêu chưa đạt", "Targets not met"),
            unmet.join("; ")
        )
    };
    body = body
        .text(
            PLAIN.bold(),
            format!(
                "{}. {}",
                roman(Section::ALL.len()),
                l("ĐÁNH GIÁ, KIẾN NGHỊ", "ASSESSMENT AND PROPOSALS")
            ),
        )
        .text(PLAIN, format!("- {unmet}"))
        .text(
            PLAIN.italic(),
            l(
                "(Đơn vị bổ sung nhận xét, nguyên nhân và kiến nghị trước khi ký ban hành.)",
                "(The office adds its remarks, causes and proposals before signing.)",
            ),
        );

    let small = PLAIN.left().sized(TABLE);
    let mut recipients = vec![small.bold().italic().line(l("Nơi nhận:", "Recipients:"))];
    recipients.extend(
        head.recipients
            .iter()
            .map(|r| PLAIN.left().sized(22).line(format!("- {r}"))),
    );
    let sign = PLAIN.centred().bold();
    let signature = vec![
        sign.line(&head.signing_for),
        sign.line(&head.signer_title),
        PLAIN.centred().italic().line(l(
            "(Ký, ghi rõ họ tên, đóng dấu)",
            "(Signature, full name, seal)",
        )),
        PLAIN.line(""),
        PLAIN.line(""),
        PLAIN.line(""),
        sign.line("……………………………"),
    ];
    let docx = body
        .docx
        .add_table(two_columns(4_400, vec![(recipients, signature)]));

    let mut bytes = std::io::Cursor::new(Vec::new());
    docx.build()
        .pack(&mut bytes)
        .map_err(|e| ExportError::Docx(e.to_string()))?;
    Ok(bytes.into_inner())
}

/// A part of a document read back: a paragraph's text, or a table's rows
/// of cells (a cell's paragraphs joined by line breaks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(String),
    Table(Vec<Vec<String>>),
}

/// The document's body as its reader sees it, through docx-rs's own reader:
/// the tests read every file back this way, and a file it cannot parse
/// fails them.
pub fn read_blocks(bytes: &[u8]) -> Result<Vec<Block>, ExportError> {
    use docx_rs::{DocumentChild, TableCellContent, TableChild, TableRowChild};
    let doc = docx_rs::read_docx(bytes).map_err(|e| ExportError::Docx(e.to_string()))?;
    let table = |t: &Table| {
        t.rows
            .iter()
            .map(|TableChild::TableRow(row)| {
                row.cells
                    .iter()
                    .map(|TableRowChild::TableCell(cell)| {
                        cell.children
                            .iter()
                            .filter_map(|c| match c {
                                TableCellContent::Paragraph(p) => Some(p.raw_text()),
                                _ => None,
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .collect()
            })
            .collect()
    };
    Ok(doc
        .document
        .children
        .iter()
        .filter_map(|child| match child {
            DocumentChild::Paragraph(p) => Some(Block::Paragraph(p.raw_text())),
            DocumentChild::Table(t) => Some(Block::Table(table(t))),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcmt_model::report::IndicatorCode;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    #[test]
    fn the_place_and_date_are_written_as_the_decree_writes_them() {
        // A day below 10 and a month below 3 take a leading zero.
        assert_eq!(
            place_and_date("Đăk Glei", d(2026, 12, 1), Lang::Vi),
            "Đăk Glei, ngày 01 tháng 12 năm 2026"
        );
        assert_eq!(
            place_and_date("Xốp", d(2026, 2, 15), Lang::Vi),
            "Xốp, ngày 15 tháng 02 năm 2026"
        );
        assert_eq!(
            place_and_date("Xốp", d(2026, 6, 5), Lang::Vi),
            "Xốp, ngày 05 tháng 6 năm 2026"
        );
        for (name, place) in [
            ("Huyện Đăk Glei (demo)", "Đăk Glei"),
            ("Xã Đăk Pék", "Đăk Pék"),
            ("Thị trấn Đăk Glei", "Đăk Glei"),
            ("Kon Tum", "Kon Tum"),
        ] {
            assert_eq!(place_name(name), place);
        }
    }

    #[test]
    fn a_sentence_says_the_value_the_target_and_the_change() {
        let mut share = Indicator::share(IndicatorCode::FilesUpToDate, 1, 2);
        share.previous = Some(100.0);
        assert_eq!(
            indicator_sentence(&share, Lang::Vi),
            "Tỷ lệ hồ sơ quản lý được cập nhật: 50,0% (1/2), chưa đạt chỉ tiêu ≥ 100%; giảm 50,0 điểm % so với cùng kỳ năm trước (100,0%)."
        );
        let mut amount = Indicator::amount(IndicatorCode::Attendees, 1_250.0);
        amount.previous = Some(1_000.0);
        assert_eq!(
            indicator_sentence(&amount, Lang::Vi),
            "Số lượt người tham dự: 1.250 người; tăng 250 (25,0%) so với cùng kỳ năm trước (1.000 người)."
        );
        // Nothing to count, and no figure a year earlier: no comparison.
        let none = Indicator::share(IndicatorCode::ZonesReached, 0, 0);
        assert_eq!(
            indicator_sentence(&none, Lang::Vi),
            "Tỷ lệ khu, cụm công nghiệp được tuyên truyền: không có đối tượng để tính."
        );
        // Nothing recorded to count from (no commune classed drug-free).
        let unknown = Indicator::amount_if_known(IndicatorCode::DrugFreeCommunes, None);
        assert_eq!(
            indicator_sentence(&unknown, Lang::Vi),
            "Số xã, phường, thị trấn không có ma túy: chưa có số liệu."
        );
    }
}
