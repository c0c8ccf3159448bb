//! The register imported at the office (nhập sổ theo dõi, issue 20): an
//! administrator downloads the template, uploads the office's spreadsheet
//! (XLSX or CSV) and sees every row sorted — files to create, people
//! already in the register, repeats of a row above, rows refused with
//! every reason in their language — with nothing written. Confirming sends
//! the same file back (carried in the form, read and sorted again, since
//! the register may have changed meanwhile and a form can be altered);
//! the files to create then become records of the office, stored through
//! the push's path and pulled by the communes' tablets at their next sync.
//!
//! Administrators only (plain staff 403, from the `Admin` extractor), and
//! only into the communes of their unit; every form carries the session's
//! token.

use super::admin::Admin;
use super::error::DashError;
use super::html::{done, esc, lang_of};
use super::pages::page_or_error;
use super::paths::{IMPORT, IMPORT_CONFIRM, IMPORT_PREVIEW, IMPORT_TEMPLATE};
use super::session::{on_storage, DashState};
use super::units::{admin_page, file_form, unreadable_file, xlsx_template, Upload, UploadForm};
use crate::rules::audit::{Actor, Entry};
use crate::rules::protocol::OfficeWrite;
use crate::rules::register::{self, office_docs};
use crate::rules::units::read_table;
use crate::storage::{with_rows, HubStorage};
use axum::extract::{Form, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use pcmt_model::person_sheet::{sort_rows, Counts, RowVerdict, Verdict, COLUMNS};
use pcmt_model::{Lang, OrgLevel, OrgTree};
use serde::Deserialize;
use std::fmt::Write;

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    lang: Option<String>,
    /// How many files the last import created, said once.
    created: Option<u32>,
}

pub(super) async fn page(
    State(state): State<DashState>,
    admin: Admin,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(q.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        let units = s.units();
        let mut body = intro(lang, q.created);
        body.push_str(&upload_form(&admin, lang));
        Ok(page_of(&units, &admin, lang, &body))
    })
    .await;
    page_or_error(result, lang)
}

/// The template, its examples in the office's first commune.
pub(super) async fn template(
    State(state): State<DashState>,
    admin: Admin,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(q.lang.as_deref());
    let units = state.storage.units();
    let part = units.part_for(&communes_of(&units, &admin.staff.unit));
    xlsx_template(
        register::template(&part, lang),
        "mau-so-theo-doi.xlsx",
        lang,
    )
}

/// The upload: every row sorted, and a form to confirm when there is
/// anything to create. Nothing is stored.
pub(super) async fn preview(
    State(state): State<DashState>,
    admin: Admin,
    form: Multipart,
) -> Response {
    let Upload { csrf, lang, file } = match Upload::read(form).await {
        Ok(upload) => upload,
        Err(refused) => return refused,
    };
    let result = on_storage(&state.storage, move |s| {
        admin.check(&csrf)?;
        let units = s.units();
        let mut body = intro(lang, None);
        let status = match sorted(s, &units, &admin, &file) {
            Ok(rows) => {
                let counts = Counts::of(&rows);
                if counts.create > 0 {
                    body.push_str(&confirm_form(&file, counts.create, &admin, lang));
                }
                body.push_str(&preview_table(&rows, &counts, &units, lang));
                StatusCode::OK
            }
            Err(Sorted::File(e)) => {
                body.push_str(&unreadable_file(&e, lang));
                body.push_str(&upload_form(&admin, lang));
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Err(Sorted::Hub(e)) => return Err(e),
        };
        Ok((status, page_of(&units, &admin, lang, &body)))
    })
    .await;
    match result {
        Ok((status, html)) => (status, Html(html)).into_response(),
        Err(e) => e.page(lang),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct ConfirmForm {
    csrf: String,
    lang: Option<String>,
    /// The previewed file, in hex.
    file: String,
}

/// The confirmation: the file sorted again against the register as it
/// is now, and its new files written as the office's, attributed to the
/// staff member; then back to the page, which says how many.
pub(super) async fn confirm(
    State(state): State<DashState>,
    admin: Admin,
    Form(form): Form<ConfirmForm>,
) -> Response {
    let lang = lang_of(form.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        admin.check(&form.csrf)?;
        let file = hex::decode(form.file.trim()).map_err(|_| {
            DashError::BadForm(
                lang.pick(
                    "Không đọc được tệp đã xem trước. Hãy tải tệp lên lại.",
                    "The previewed file cannot be read. Upload it again.",
                )
                .into(),
            )
        })?;
        let units = s.units();
        let rows = sorted(s, &units, &admin, &file).map_err(|e| match e {
            Sorted::File(e) => DashError::BadForm(e.message(lang)),
            Sorted::Hub(e) => e,
        })?;
        let people: Vec<_> = rows
            .into_iter()
            .filter_map(|r| match r.verdict {
                Verdict::Create(p) => Some(*p),
                _ => None,
            })
            .collect();
        let unit = admin.staff.unit.clone();
        let username = admin.staff.username.clone();
        let docs = office_docs(&people, &username, chrono::Utc::now().timestamp())?;
        let communes = communes_of(&units, &unit);
        let by = Actor::staff(&username);
        let created = s.write_as_office(
            &docs,
            &OfficeWrite {
                communes: &communes,
                by: &by,
                new_only: true,
            },
            &|n| Entry::register_imported(&username, &unit, n),
        )?;
        Ok(format!(
            "{IMPORT}?created={created}{}",
            if lang == Lang::En { "&lang=en" } else { "" }
        ))
    })
    .await;
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => e.page(lang),
    }
}

enum Sorted {
    File(crate::rules::units::SheetError),
    Hub(DashError),
}

/// The file's rows sorted against the register the hub holds now, as of
/// today in Vietnam, into the communes of the administrator's unit.
fn sorted(
    s: &dyn HubStorage,
    units: &OrgTree,
    admin: &Admin,
    file: &[u8],
) -> Result<Vec<RowVerdict>, Sorted> {
    let lines = read_table(file, &COLUMNS).map_err(Sorted::File)?;
    let register = with_rows(s, |rows| rows.person_keys())
        .map_err(|e| Sorted::Hub(e.into()))?
        .map_err(|e| Sorted::Hub(e.into()))?;
    let unit = &admin.staff.unit;
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7"))
        .date_naive();
    Ok(sort_rows(
        &lines,
        units,
        &|c| units.is_within(c, unit),
        &register,
        today,
    ))
}

fn communes_of(units: &OrgTree, unit: &str) -> Vec<String> {
    units
        .units_within(unit, OrgLevel::Commune)
        .map(|c| c.code.clone())
        .collect()
}

fn intro(lang: Lang, created: Option<u32>) -> String {
    let mut out = format!(
        r#"<h1 id="import-title">{t}</h1><p class="sub">{sub}</p>"#,
        t = lang.pick(
            "Nhập sổ theo dõi người được quản lý",
            "Import the register of people under management"
        ),
        sub = lang.pick(
            "Tải lên sổ theo dõi của văn phòng (Excel hoặc CSV theo mẫu). Mọi dòng được kiểm tra như trên máy tính bảng và xem trước: hồ sơ sẽ tạo, người đã có trong sổ (cùng số CCCD, hoặc cùng họ tên, ngày sinh và xã), dòng bị từ chối kèm lý do. Chưa ghi gì cho đến khi bấm xác nhận; hồ sơ mới đến máy tính bảng của xã ở lần đồng bộ sau. Nhập lại cùng tệp không tạo thêm hồ sơ.",
            "Upload the office's register (Excel or CSV following the template). Every row is checked as the tablets check it and previewed: files to create, people already in the register (same CCCD, or same name, birth date and commune), rows refused with the reason. Nothing is written until you confirm; new files reach the commune's tablets at their next sync. Importing the same file again creates nothing new."
        ),
    );
    if let Some(n) = created {
        out.push_str(&done(&format!(
            r#"{} <b id="created">{n}</b>."#,
            lang.pick("Đã tạo hồ sơ mới:", "Files created:")
        )));
    }
    out
}

fn upload_form(admin: &Admin, lang: Lang) -> String {
    file_form(
        &UploadForm {
            id: "import",
            action: IMPORT_PREVIEW,
            template: IMPORT_TEMPLATE,
            heading: lang.pick("Tải sổ theo dõi lên", "Upload the register"),
        },
        admin,
        lang,
    )
}

fn confirm_form(file: &[u8], create: usize, admin: &Admin, lang: Lang) -> String {
    format!(
        r#"<form class="card" method="post" action="{IMPORT_CONFIRM}" id="import-confirm"><h2>{h}</h2><p>{p}</p>
<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lc}">
<input type="hidden" name="file" value="{hex}">
<button class="primary" id="import-go" type="submit">{go} ({create})</button></form>"#,
        h = lang.pick("Xác nhận nhập sổ", "Confirm the import"),
        p = lang.pick(
            "Kiểm tra bảng dưới đây rồi bấm Tạo hồ sơ: chỉ các dòng “Tạo mới” được ghi, dưới tên tài khoản của bạn.",
            "Check the table below, then Create: only the rows marked “New” are written, under your account."
        ),
        csrf = esc(&admin.csrf),
        lc = if lang == Lang::En { "en" } else { "vi" },
        hex = hex::encode(file),
        go = lang.pick("Tạo hồ sơ", "Create the files"),
    )
}

fn preview_table(rows: &[RowVerdict], counts: &Counts, units: &OrgTree, lang: Lang) -> String {
    let name = |code: &str| {
        units
            .get(code)
            .map_or(code, |u| u.name.as_str())
            .to_string()
    };
    let mut body = String::new();
    for r in rows {
        let (kind, text) = match &r.verdict {
            Verdict::Create(p) => (
                "create",
                format!("{} — {}", lang.pick("Tạo mới", "New"), name(&p.commune)),
            ),
            Verdict::Registered { commune } => (
                "registered",
                format!(
                    "{} {}",
                    lang.pick("Đã có trong sổ:", "Already in the register:"),
                    name(commune)
                ),
            ),
            Verdict::Repeats { first_line } => (
                "repeats",
                format!(
                    "{} {first_line}",
                    lang.pick("Trùng với dòng", "Repeats row")
                ),
            ),
            Verdict::Refused(errors) => (
                "refused",
                format!(
                    "{} {}",
                    lang.pick("Từ chối:", "Refused:"),
                    errors
                        .iter()
                        .map(|e| e.message(lang))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ),
        };
        let _ = write!(
            body,
            r#"<tr class="{kind}" data-line="{line}" data-verdict="{kind}"><td class="num">{line}</td><td>{n}</td><td>{t}</td></tr>"#,
            line = r.line,
            n = esc(&r.full_name),
            t = esc(&text),
        );
    }
    format!(
        r#"<div class="card" id="import-preview"><p class="counts" id="import-counts" data-create="{c}" data-registered="{g}" data-repeats="{rp}" data-refused="{rf}">{lc} <b>{c}</b> · {lg} <b>{g}</b> · {lrp} <b>{rp}</b> · {lrf} <b>{rf}</b></p><table><thead><tr><th>{hl}</th><th>{hn}</th><th>{hv}</th></tr></thead><tbody>{body}</tbody></table></div>"#,
        c = counts.create,
        g = counts.registered,
        rp = counts.repeats,
        rf = counts.refused,
        lc = lang.pick("Tạo mới", "New"),
        lg = lang.pick("Đã có trong sổ", "Already registered"),
        lrp = lang.pick("Trùng dòng trên", "Repeated rows"),
        lrf = lang.pick("Từ chối", "Refused"),
        hl = lang.pick("Dòng", "Row"),
        hn = lang.pick("Họ và tên", "Full name"),
        hv = lang.pick("Kết quả kiểm tra", "Check"),
    )
}

fn page_of(units: &OrgTree, admin: &Admin, lang: Lang, body: &str) -> String {
    admin_page(
        lang.pick("Nhập sổ theo dõi", "Import the register"),
        units,
        admin,
        lang,
        body,
    )
}
