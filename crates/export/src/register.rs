//! The register of people under management (sổ theo dõi người được quản
//! lý) as a workbook, for the office only: the national database's
//! software takes its data from the office, not from the tablets. Its
//! first row says who downloaded it and when, so a copy found later names
//! its source; the hub logs each download besides.

use crate::{slug, ExportError};
use pcmt_model::report::{dmy, RegisterEntry};
use pcmt_model::{Labelled, Lang, LegalStatus, OrgTree};
use rust_xlsxwriter::{Format, FormatBorder, Workbook};

/// Who took the register of which unit, and when (Vietnam time, as shown).
pub struct RegisterDownload<'a> {
    pub unit_name: &'a str,
    pub downloaded_by: &'a str,
    pub downloaded_at: &'a str,
    pub downloaded_on: chrono::NaiveDate,
}

fn day(stored: &str) -> String {
    chrono::NaiveDate::parse_from_str(stored, "%Y-%m-%d")
        .map(dmy)
        .unwrap_or_else(|_| stored.to_string())
}

/// The workbook: the download line, the title, then one row per person.
pub fn register_xlsx(
    entries: &[RegisterEntry],
    units: &OrgTree,
    download: &RegisterDownload<'_>,
    lang: Lang,
) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(lang.pick("Sổ theo dõi", "Register"))?;
    for (col, width) in [
        (0, 6),
        (1, 28),
        (2, 16),
        (3, 12),
        (4, 22),
        (5, 22),
        (6, 34),
        (7, 16),
    ] {
        ws.set_column_width(col, width)?;
    }
    let bold = Format::new().set_bold();
    let cell = Format::new().set_border(FormatBorder::Thin);
    let header = cell.clone().set_bold().set_text_wrap();
    let first = match lang {
        Lang::Vi => format!(
            "Tải về bởi {} lúc {} — dữ liệu cá nhân (Nghị định 13/2023/NĐ-CP), chỉ dùng cho công tác quản lý; không chia sẻ.",
            download.downloaded_by, download.downloaded_at
        ),
        Lang::En => format!(
            "Downloaded by {} at {} — personal data (Decree 13/2023), for management work only; do not share.",
            download.downloaded_by, download.downloaded_at
        ),
    };
    ws.write_string_with_format(0, 0, &first, &bold)?;
    ws.write_string_with_format(
        1,
        0,
        format!(
            "{} — {}",
            lang.pick(
                "SỔ THEO DÕI NGƯỜI ĐƯỢC QUẢN LÝ",
                "REGISTER OF PEOPLE UNDER MANAGEMENT"
            ),
            download.unit_name
        ),
        &bold,
    )?;
    let headers = [
        lang.pick("STT", "No."),
        lang.pick("Họ và tên", "Full name"),
        lang.pick("Số CCCD", "Citizen ID"),
        lang.pick("Ngày sinh", "Born"),
        lang.pick("Xã, phường", "Commune"),
        lang.pick("Thôn, bản", "Village"),
        lang.pick("Tình trạng pháp lý", "Legal status"),
        lang.pick("Hạn gặp tiếp theo", "Next check-in due"),
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(3, c as u16, *h, &header)?;
    }
    let name = |code: &str| {
        units
            .get(code)
            .map_or(code, |u| u.name.as_str())
            .to_string()
    };
    for (n, e) in entries.iter().enumerate() {
        let r = 4 + n as u32;
        let status = e
            .status
            .as_deref()
            .and_then(LegalStatus::from_code)
            .map(|s| s.label(lang).to_string())
            .unwrap_or_default();
        let values = [
            e.full_name.clone(),
            e.citizen_id.clone().unwrap_or_default(),
            day(&e.birth_date),
            name(&e.commune),
            e.village.as_deref().map(name).unwrap_or_default(),
            status,
            e.due_on.as_deref().map(day).unwrap_or_default(),
        ];
        ws.write_number_with_format(r, 0, (n + 1) as f64, &cell)?;
        for (c, v) in values.iter().enumerate() {
            ws.write_string_with_format(r, c as u16 + 1, v, &cell)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// The file's name in full (UTF-8) and in ASCII.
pub fn register_file_names(download: &RegisterDownload<'_>) -> (String, String) {
    let on = download.downloaded_on;
    (
        format!("Sổ theo dõi - {} - {on}.xlsx", download.unit_name),
        format!("So-theo-doi_{}_{on}.xlsx", slug(download.unit_name)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};

    #[test]
    fn the_register_says_who_took_it_and_lists_each_person_with_names_not_codes() {
        let units = OrgTree::demo();
        let entries = vec![RegisterEntry {
            full_name: "Y Bình".into(),
            citizen_id: Some("062090001234".into()),
            birth_date: "1990-05-17".into(),
            commune: "62-610-23284".into(),
            village: Some("62-610-23284-01".into()),
            status: Some("voluntary_community_rehab".into()),
            due_on: Some("2026-12-05".into()),
        }];
        let download = RegisterDownload {
            unit_name: "Huyện Đăk Glei (demo)",
            downloaded_by: "quantri",
            downloaded_at: "01/12/2026 23:52",
            downloaded_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        };
        let bytes = register_xlsx(&entries, &units, &download, Lang::Vi).unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("Sổ theo dõi").unwrap();
        let text = |r: u32, c: u32| match sheet.get_value((r, c)) {
            Some(Data::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        assert!(text(0, 0).starts_with("Tải về bởi quantri lúc 01/12/2026 23:52"));
        assert_eq!(text(3, 2), "Số CCCD");
        let row: Vec<String> = (0..8).map(|c| text(4, c)).collect();
        assert_eq!(
            row,
            [
                "1",
                "Y Bình",
                "062090001234",
                "17/05/1990",
                "Xã Đăk Pék",
                "Thôn Đăk Ung",
                LegalStatus::VoluntaryCommunityRehab.label(Lang::Vi),
                "05/12/2026"
            ]
        );
        assert_eq!(
            register_file_names(&download).1,
            "So-theo-doi_huyen-dak-glei-demo_2026-12-01.xlsx"
        );
    }
}
