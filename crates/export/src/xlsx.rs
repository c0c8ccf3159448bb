//! The workbook as an office files it: one sheet per section, each with the
//! report's title, unit, period and deadline, the indicator table (value,
//! target, met or not), then the section's breakdowns with their totals and
//! the lists of units not yet reached.

use crate::{heading, indicator_headers, roman, ExportError};
use pcmt_model::report::{comparison_headers, Indicator, NamedUnit, Report, Section, Tally};
use pcmt_model::{Labelled, Lang};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet};

/// Columns of the indicator table: the value's, then a share's parts, the
/// value a year earlier and the change.
const COLUMNS: u16 = 9;

/// Sheet names are at most 31 characters, so not the section's full label.
fn sheet_name(section: Section, lang: Lang) -> &'static str {
    match section {
        Section::Sessions => lang.pick("Tuyên truyền", "Propaganda"),
        Section::Management => lang.pick("Quản lý, cai nghiện", "Management"),
        Section::Eradication => lang.pick("Triệt xóa", "Eradication"),
        Section::DrugFree => lang.pick("Xã không có ma túy", "Drug-free communes"),
        Section::HotSpots => lang.pick("Điểm, tụ điểm ma túy", "Drug hot spots"),
    }
}

struct Styles {
    title: Format,
    bold: Format,
    header: Format,
    cell: Format,
    count: Format,
    decimal: Format,
    total: Format,
}

impl Styles {
    fn new() -> Self {
        let cell = Format::new().set_border(FormatBorder::Thin);
        Self {
            title: Format::new()
                .set_bold()
                .set_font_size(13)
                .set_align(FormatAlign::Center),
            bold: Format::new().set_bold(),
            header: cell
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            count: cell.clone().set_num_format("#,##0"),
            decimal: cell.clone().set_num_format("#,##0.00"),
            total: cell.clone().set_bold().set_num_format("#,##0"),
            cell,
        }
    }
}

/// One sheet being written, top to bottom.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    row: u32,
    s: &'a Styles,
    lang: Lang,
}

impl Sheet<'_> {
    fn heading(&mut self, report: &Report) -> Result<(), ExportError> {
        for (i, line) in heading(report, self.lang).iter().enumerate() {
            if i == 0 {
                self.ws
                    .merge_range(0, 0, 0, COLUMNS - 1, line, &self.s.title)?;
            } else {
                self.ws.write_string(i as u32, 0, line)?;
            }
            self.row = i as u32 + 2;
        }
        Ok(())
    }

    fn title(&mut self, text: &str) -> Result<(), ExportError> {
        self.ws
            .write_string_with_format(self.row, 0, text, &self.s.bold)?;
        self.row += 1;
        Ok(())
    }

    fn headers(&mut self, names: &[&str]) -> Result<(), ExportError> {
        for (c, name) in names.iter().enumerate() {
            self.ws
                .write_string_with_format(self.row, c as u16, *name, &self.s.header)?;
        }
        self.row += 1;
        Ok(())
    }

    fn indicators<'i>(
        &mut self,
        list: impl Iterator<Item = &'i Indicator>,
    ) -> Result<(), ExportError> {
        let mut names = indicator_headers(self.lang).to_vec();
        names.push(self.lang.pick("Chi tiết", "Detail"));
        names.extend(comparison_headers(self.lang));
        self.headers(&names)?;
        let (ws, s, lang) = (&mut *self.ws, self.s, self.lang);
        for (n, i) in list.enumerate() {
            let r = self.row;
            let unit = i.code.def().unit;
            ws.write_number_with_format(r, 0, (n + 1) as f64, &s.cell)?;
            ws.write_string_with_format(r, 1, i.code.label(lang), &s.cell)?;
            ws.write_string_with_format(r, 2, unit.label(lang), &s.cell)?;
            let value_format = if unit.has_decimals() {
                &s.decimal
            } else {
                &s.count
            };
            match i.value {
                Some(v) => ws.write_number_with_format(r, 3, v, value_format)?,
                None => ws.write_blank(r, 3, &s.cell)?,
            };
            ws.write_string_with_format(r, 4, i.target_text(lang), &s.cell)?;
            ws.write_string_with_format(r, 5, i.assessment(lang), &s.cell)?;
            let parts = match (i.numerator, i.denominator) {
                (Some(a), Some(b)) => format!("{a}/{b}"),
                _ => String::new(),
            };
            ws.write_string_with_format(r, 6, parts, &s.cell)?;
            match i.previous {
                Some(v) => ws.write_number_with_format(r, 7, v, value_format)?,
                None => ws.write_blank(r, 7, &s.cell)?,
            };
            ws.write_string_with_format(r, 8, i.change_text(lang), &s.cell)?;
            self.row += 1;
        }
        self.row += 1;
        Ok(())
    }

    /// A breakdown by a closed list, every choice listed, then its total as
    /// a formula (with its value cached, for readers that do not compute).
    fn tallies<T: Labelled>(
        &mut self,
        title: &str,
        item: &str,
        count: &str,
        tallies: &[Tally<T>],
    ) -> Result<(), ExportError> {
        self.title(title)?;
        self.headers(&[self.lang.pick("STT", "No."), item, count])?;
        let first = self.row;
        for (n, t) in tallies.iter().enumerate() {
            let r = self.row;
            self.ws
                .write_number_with_format(r, 0, (n + 1) as f64, &self.s.cell)?;
            self.ws
                .write_string_with_format(r, 1, t.item.label(self.lang), &self.s.cell)?;
            self.ws
                .write_number_with_format(r, 2, t.count as f64, &self.s.count)?;
            self.row += 1;
        }
        let total: u64 = tallies.iter().map(|t| t.count).sum();
        let r = self.row;
        self.ws.write_blank(r, 0, &self.s.total)?;
        self.ws.write_string_with_format(
            r,
            1,
            self.lang.pick("Tổng cộng", "Total"),
            &self.s.total,
        )?;
        // Excel rows count from 1.
        let sum =
            Formula::new(format!("=SUM(C{}:C{})", first + 1, r)).set_result(total.to_string());
        self.ws
            .write_formula_with_format(r, 2, sum, &self.s.total)?;
        self.row += 2;
        Ok(())
    }

    fn units(&mut self, title: &str, units: &[NamedUnit]) -> Result<(), ExportError> {
        self.title(title)?;
        let lang = self.lang;
        self.headers(&[
            lang.pick("STT", "No."),
            lang.pick("Mã", "Code"),
            lang.pick("Tên", "Name"),
        ])?;
        if units.is_empty() {
            self.ws
                .write_string(self.row, 1, lang.pick("(không có)", "(none)"))?;
            self.row += 1;
        }
        for (n, u) in units.iter().enumerate() {
            let r = self.row;
            self.ws
                .write_number_with_format(r, 0, (n + 1) as f64, &self.s.cell)?;
            self.ws
                .write_string_with_format(r, 1, &u.code, &self.s.cell)?;
            self.ws
                .write_string_with_format(r, 2, &u.name, &self.s.cell)?;
            self.row += 1;
        }
        self.row += 1;
        Ok(())
    }
}

/// The report as a workbook, headings in `lang` (Vietnamese for the office).
pub fn xlsx(report: &Report, lang: Lang) -> Result<Vec<u8>, ExportError> {
    let styles = Styles::new();
    let mut wb = Workbook::new();
    for (n, &section) in Section::ALL.iter().enumerate() {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(section, lang))?;
        for (col, width) in [(0, 6), (1, 58), (2, 12), (3, 14), (4, 18), (5, 12), (6, 12)] {
            ws.set_column_width(col, width)?;
        }
        let mut sheet = Sheet {
            ws,
            row: 0,
            s: &styles,
            lang,
        };
        sheet.heading(report)?;
        sheet.title(&format!(
            "{}. {}",
            roman(n),
            section.label(lang).to_uppercase()
        ))?;
        sheet.indicators(report.section(section))?;
        let l = |vi, en| lang.pick(vi, en);
        match section {
            Section::Sessions => {
                sheet.tallies(
                    l("Số buổi theo hình thức", "Sessions by form"),
                    l("Hình thức", "Form"),
                    l("Số buổi", "Sessions"),
                    &report.sessions_by_form,
                )?;
                sheet.tallies(
                    l("Số buổi theo loại địa điểm", "Sessions by venue kind"),
                    l("Loại địa điểm", "Venue kind"),
                    l("Số buổi", "Sessions"),
                    &report.sessions_by_venue,
                )?;
                sheet.tallies(
                    l(
                        "Số người tham dự theo đối tượng",
                        "Attendees by audience group",
                    ),
                    l("Đối tượng", "Audience group"),
                    l("Số người", "People"),
                    &report.attendees_by_group,
                )?;
                sheet.units(
                    l(
                        "Xã, phường, thị trấn chưa được tuyên truyền",
                        "Communes not reached",
                    ),
                    &report.communes_not_reached,
                )?;
                sheet.units(
                    l("Trường học chưa được tuyên truyền", "Schools not reached"),
                    &report.schools_not_reached,
                )?;
                sheet.units(
                    l(
                        "Khu, cụm công nghiệp chưa được tuyên truyền",
                        "Industrial zones not reached",
                    ),
                    &report.zones_not_reached,
                )?;
                sheet.units(
                    l(
                        "Cơ quan, đơn vị chưa được tuyên truyền",
                        "Agencies not reached",
                    ),
                    &report.agencies_not_reached,
                )?;
            }
            Section::Management => {
                sheet.tallies(
                    l(
                        "Người đang quản lý theo tình trạng",
                        "People under management by status",
                    ),
                    l("Tình trạng", "Status"),
                    l("Số người", "People"),
                    &report.people_by_status,
                )?;
            }
            Section::Eradication => {
                sheet.tallies(
                    l("Số điểm phát hiện theo loại cây", "Sites by species"),
                    l("Loại cây", "Species"),
                    l("Số điểm", "Sites"),
                    &report.sites_by_species,
                )?;
                sheet.units(
                    l(
                        "Xã rà soát không phát hiện",
                        "Communes swept with no finding",
                    ),
                    &report.communes_without_finding,
                )?;
            }
            Section::DrugFree => {
                sheet.units(
                    l("Xã, phường, thị trấn không có ma túy", "Drug-free communes"),
                    &report.drug_free_communes,
                )?;
            }
            Section::HotSpots => {
                sheet.tallies(
                    l(
                        "Điểm, tụ điểm theo tình trạng đến ngày tính số liệu",
                        "Hot spots by status on the last day counted",
                    ),
                    l("Tình trạng", "Status"),
                    l("Số điểm", "Hot spots"),
                    &report.hot_spots_by_stage,
                )?;
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}
