//! The office's administrative units, managed from the browser (issue 19):
//! an administrator of the province downloads the template, uploads the
//! filled spreadsheet (XLSX or CSV), sees every bad row listed in their
//! language or a preview of the list, and confirms; the list is then
//! replaced whole, its version bumped and the load logged in one
//! transaction. Reading and checking the file is `crate::rules::units`'
//! and `pcmt_model::org_sheet`'s, as for `pcmt-hub --load-units`.
//!
//! Plain staff are refused every route (403), and an administrator of a
//! unit below the top too: the list is the whole province's. Every form
//! carries the session's token.

use super::admin::Admin;
use super::error::DashError;
use super::html::{done, esc, lang_of};
use super::pages::{layout, page_or_error, report_link, staff_bar};
use super::paths::{UNITS, UNITS_LOAD, UNITS_PREVIEW, UNITS_TEMPLATE};
use super::session::{on_storage, DashState};
use crate::rules::audit::Actor;
use crate::rules::staff::may_load_units;
use crate::rules::units::{self as sheet, SheetError};
use crate::storage::HubStorage;
use axum::extract::{Form, Multipart, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use pcmt_model::org_sheet::{self, RowError, SheetRow};
use pcmt_model::{Lang, OrgLevel, OrgTree, OrgUnit};
use serde::Deserialize;
use std::fmt::Write;

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    lang: Option<String>,
    /// The version a load just gave, said once.
    loaded: Option<u64>,
}

pub(super) async fn page(
    State(state): State<DashState>,
    admin: Admin,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(q.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        may_load(s, &admin)?;
        let units = s.units();
        let mut body = intro(s, lang, q.loaded);
        body.push_str(&upload_form(&admin, lang));
        body.push_str(&summary(&units, lang, "current-units"));
        Ok(page_of(&units, &admin, lang, &body))
    })
    .await;
    page_or_error(result, lang)
}

/// The template, in the office's language.
pub(super) async fn template(admin: Admin, Query(q): Query<PageQuery>) -> Response {
    let lang = lang_of(q.lang.as_deref());
    if !admin.staff.is_admin() {
        return DashError::NotAdmin.page(lang);
    }
    xlsx_template(sheet::template(lang), "mau-don-vi.xlsx", lang)
}

/// A template workbook as a download, or the error's page.
pub(super) fn xlsx_template(
    made: Result<Vec<u8>, rust_xlsxwriter::XlsxError>,
    file_name: &str,
    lang: Lang,
) -> Response {
    match made {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file_name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => DashError::BadForm(e.to_string()).page(lang),
    }
}

/// The upload (multipart: `csrf`, `lang`, `file`): every bad row listed,
/// or the list as it would be, with a form to confirm. Nothing is stored.
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
        may_load(s, &admin)?;
        let units = s.units();
        let checked = sheet::read_file(&file)
            .map_err(Refused::Sheet)
            .and_then(|rows| checked(&rows, &admin).map_err(Refused::Rows));
        let mut body = intro(s, lang, None);
        let status = match checked {
            Ok(tree) => {
                body.push_str(&confirm_form(&tree, &admin, s.units_version(), lang));
                body.push_str(&summary(&tree, lang, "preview"));
                StatusCode::OK
            }
            Err(refused) => {
                body.push_str(&refused.html(lang));
                body.push_str(&upload_form(&admin, lang));
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        Ok((status, page_of(&units, &admin, lang, &body)))
    })
    .await;
    match result {
        Ok((status, html)) => (status, Html(html)).into_response(),
        Err(e) => e.page(lang),
    }
}

/// A file uploaded with the form's token and language (multipart:
/// `csrf`, `lang`, `file`), as the unit list and the register are.
pub(super) struct Upload {
    pub(super) csrf: String,
    pub(super) lang: Lang,
    pub(super) file: Vec<u8>,
}

impl Upload {
    pub(super) async fn read(mut form: Multipart) -> Result<Self, Response> {
        let mut upload = Upload {
            csrf: String::new(),
            lang: Lang::Vi,
            file: Vec::new(),
        };
        loop {
            match form.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or_default().to_string();
                    let Ok(bytes) = field.bytes().await else {
                        return Err(DashError::BadForm(unreadable(upload.lang)).page(upload.lang));
                    };
                    match name.as_str() {
                        "csrf" => upload.csrf = String::from_utf8_lossy(&bytes).into_owned(),
                        "lang" => upload.lang = lang_of(std::str::from_utf8(&bytes).ok()),
                        "file" => upload.file = bytes.to_vec(),
                        _ => {}
                    }
                }
                Ok(None) => return Ok(upload),
                Err(_) => return Err(DashError::BadForm(unreadable(upload.lang)).page(upload.lang)),
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct LoadForm {
    csrf: String,
    lang: Option<String>,
    /// The previewed list, as JSON: checked again here, since a form can
    /// be changed before it is sent.
    units: String,
    /// The version the preview was made against: a list loaded meanwhile
    /// is not replaced unseen.
    version: u64,
}

/// The confirmation: the previewed list replaces the hub's, then back to
/// the page, which says the new version.
pub(super) async fn load(
    State(state): State<DashState>,
    admin: Admin,
    Form(form): Form<LoadForm>,
) -> Response {
    let lang = lang_of(form.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        admin.check(&form.csrf)?;
        may_load(s, &admin)?;
        s.refresh_units()?;
        if s.units_version() != form.version {
            return Err(DashError::BadForm(
                lang.pick(
                    "Danh sách đơn vị vừa được nạp từ nơi khác. Hãy tải tệp lên lại để xem trước.",
                    "The unit list was just loaded from elsewhere. Upload the file again to preview it.",
                )
                .into(),
            ));
        }
        let list: Vec<OrgUnit> = serde_json::from_str(&form.units)
            .map_err(|_| DashError::BadForm(unreadable(lang)))?;
        let rows: Vec<SheetRow> = list
            .into_iter()
            .enumerate()
            .map(|(i, u)| SheetRow::of_unit(i + 2, &u))
            .collect();
        let tree = checked(&rows, &admin).map_err(|errors| {
            DashError::BadForm(
                errors
                    .iter()
                    .map(|e| e.message(lang))
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })?;
        let version = s.load_units(&tree, &Actor::staff(&admin.staff.username))?;
        Ok(format!(
            "{UNITS}?loaded={version}{}",
            if lang == Lang::En { "&lang=en" } else { "" }
        ))
    })
    .await;
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => e.page(lang),
    }
}

fn may_load(s: &dyn HubStorage, admin: &Admin) -> Result<(), DashError> {
    if may_load_units(&s.units(), &admin.staff) {
        Ok(())
    } else {
        Err(DashError::OutsideScope(admin.staff.unit.clone()))
    }
}

/// The rows checked, and the administrator's own unit still at the top of
/// the new list (else the account would lose the province it manages).
fn checked(rows: &[SheetRow], admin: &Admin) -> Result<OrgTree, Vec<RowError>> {
    let tree = org_sheet::read_rows(rows)?;
    if tree.roots().any(|u| u.code == admin.staff.unit) {
        Ok(tree)
    } else {
        Err(vec![RowError {
            line: 1,
            problem: org_sheet::RowProblem::WithoutOwnUnit(admin.staff.unit.clone()),
        }])
    }
}

enum Refused {
    Sheet(SheetError),
    Rows(Vec<RowError>),
}

/// A file that cannot be read at all, in the office's language.
pub(super) fn unreadable_file(e: &SheetError, lang: Lang) -> String {
    format!(
        r#"<div class="card refused" id="file-error" role="alert"><p>{}</p></div>"#,
        esc(&e.message(lang))
    )
}

impl Refused {
    fn html(&self, lang: Lang) -> String {
        let items = match self {
            Refused::Sheet(e) => format!("<li>{}</li>", esc(&e.message(lang))),
            Refused::Rows(errors) => errors.iter().fold(String::new(), |mut out, e| {
                let _ = write!(
                    out,
                    r#"<li data-line="{}">{}</li>"#,
                    e.line,
                    esc(&e.message(lang))
                );
                out
            }),
        };
        format!(
            r#"<div class="card refused" id="unit-errors" role="alert"><h2>{h}</h2><ul>{items}</ul></div>"#,
            h = lang.pick(
                "Tệp chưa được nạp: hãy sửa các dòng sau rồi tải lên lại. Danh sách hiện tại không thay đổi.",
                "The file was not loaded: fix these rows and upload it again. The current list is unchanged."
            ),
        )
    }
}

fn unreadable(lang: Lang) -> String {
    lang.pick(
        "Không đọc được biểu mẫu tải lên.",
        "The uploaded form cannot be read.",
    )
    .into()
}

fn intro(s: &dyn HubStorage, lang: Lang, loaded: Option<u64>) -> String {
    let mut out = format!(
        r#"<h1 id="units-title">{t}</h1><p class="sub">{sub}</p><p id="units-version">{v}: <b>{n}</b></p>"#,
        t = lang.pick("Đơn vị hành chính", "Administrative units"),
        sub = lang.pick(
            "Danh sách tỉnh, xã, phường và các thôn, trường học, khu công nghiệp, cơ quan thuộc xã, nạp từ tệp Excel hoặc CSV theo mẫu. Mọi dòng được kiểm tra trước khi nạp; có dòng lỗi thì không nạp gì. Máy tính bảng nhận phần danh sách của xã mình ở lần đồng bộ sau.",
            "The province, its communes and wards, and the villages, schools, industrial zones and agencies under each, loaded from an Excel or CSV file following the template. Every row is checked first; with any bad row nothing is loaded. Tablets receive their part at their next sync."
        ),
        v = lang.pick("Phiên bản danh sách", "List version"),
        n = s.units_version(),
    );
    if let Some(v) = loaded {
        out.push_str(&done(&format!(
            "{} {v}.",
            lang.pick(
                "Đã nạp danh sách đơn vị: phiên bản",
                "Unit list loaded: version"
            )
        )));
    }
    out
}

fn upload_form(admin: &Admin, lang: Lang) -> String {
    file_form(
        &UploadForm {
            id: "units",
            action: UNITS_PREVIEW,
            template: UNITS_TEMPLATE,
            heading: lang.pick("Nạp danh sách từ tệp", "Load the list from a file"),
        },
        admin,
        lang,
    )
}

/// Where a page's upload goes, its template, and what the form says; the
/// elements are named `{id}-form`, `{id}-template`, `{id}-file` and
/// `{id}-upload`.
pub(super) struct UploadForm<'a> {
    pub(super) id: &'a str,
    pub(super) action: &'a str,
    pub(super) template: &'a str,
    pub(super) heading: &'a str,
}

/// A spreadsheet's upload form, with a link to its template.
pub(super) fn file_form(f: &UploadForm<'_>, admin: &Admin, lang: Lang) -> String {
    let en = if lang == Lang::En { "?lang=en" } else { "" };
    format!(
        r#"<form class="card choose" method="post" action="{action}" enctype="multipart/form-data" id="{id}-form"><h2>{h}</h2>
<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lc}">
<p><a id="{id}-template" href="{template}{en}">{tpl}</a></p>
<label>{fl} <input type="file" id="{id}-file" name="file" accept=".xlsx,.csv" required></label>
<button class="primary" id="{id}-upload" type="submit">{go}</button></form>"#,
        id = f.id,
        action = f.action,
        template = f.template,
        h = esc(f.heading),
        csrf = esc(&admin.csrf),
        lc = if lang == Lang::En { "en" } else { "vi" },
        tpl = lang.pick("Tải tệp mẫu (Excel)", "Download the template (Excel)"),
        fl = lang.pick("Tệp Excel (.xlsx) hoặc CSV", "Excel (.xlsx) or CSV file"),
        go = lang.pick("Tải lên và xem trước", "Upload and preview"),
    )
}

fn confirm_form(tree: &OrgTree, admin: &Admin, version: u64, lang: Lang) -> String {
    let list: Vec<&OrgUnit> = tree.units().collect();
    let json = serde_json::to_string(&list).unwrap_or_default();
    format!(
        r#"<form class="card" method="post" action="{UNITS_LOAD}" id="units-confirm"><h2>{h}</h2><p>{p}</p>
<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lc}">
<input type="hidden" name="version" value="{version}"><input type="hidden" name="units" value="{units}">
<button class="primary" id="units-load" type="submit">{go}</button></form>"#,
        h = lang.pick("Xem trước: tệp hợp lệ", "Preview: the file is valid"),
        p = lang.pick(
            "Kiểm tra danh sách dưới đây rồi bấm Nạp danh sách: danh sách hiện tại sẽ được thay thế toàn bộ.",
            "Check the list below, then Load: it replaces the current list whole."
        ),
        csrf = esc(&admin.csrf),
        lc = if lang == Lang::En { "en" } else { "vi" },
        units = esc(&json),
        go = lang.pick("Nạp danh sách", "Load the list"),
    )
}

/// How many units of each level, and the communes with what lies under
/// each.
fn summary(tree: &OrgTree, lang: Lang, id: &str) -> String {
    if tree.is_empty() {
        return format!(
            r#"<p class="note" id="{id}">{}</p>"#,
            lang.pick("Chưa có danh sách đơn vị.", "No unit list has been loaded.")
        );
    }
    let counts: Vec<String> = OrgLevel::ALL
        .iter()
        .map(|l| (l, tree.units().filter(|u| u.level == *l).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(l, n)| format!("{} {n}", org_sheet::level_word(*l, lang)))
        .collect();
    let mut rows = String::new();
    for c in tree.communes() {
        let below = |level| tree.units_within(&c.code, level).count();
        let _ = write!(
            rows,
            r#"<tr data-code="{code}"><td>{code}</td><td>{name}</td><td>{parent}</td><td class="num">{v}</td><td class="num">{o}</td><td class="validity">{valid}</td></tr>"#,
            code = esc(&c.code),
            name = esc(&c.name),
            parent = esc(c
                .parent
                .as_deref()
                .and_then(|p| tree.get(p))
                .map_or("", |p| p.name.as_str())),
            v = below(OrgLevel::Village),
            o = below(OrgLevel::School) + below(OrgLevel::IndustrialZone) + below(OrgLevel::Agency),
            valid = esc(&validity(tree, c, lang)),
        );
    }
    format!(
        r#"<div class="card" id="{id}"><p class="counts">{counts}</p><table><thead><tr><th>{c}</th><th>{n}</th><th>{p}</th><th>{v}</th><th>{o}</th><th>{h}</th></tr></thead><tbody>{rows}</tbody></table></div>"#,
        counts = esc(&counts.join(" · ")),
        c = lang.pick("Mã", "Code"),
        n = lang.pick("Xã, phường", "Commune"),
        p = lang.pick("Trực thuộc", "Under"),
        v = lang.pick("Thôn, tổ dân phố", "Villages"),
        o = lang.pick(
            "Trường, khu công nghiệp, cơ quan",
            "Schools, zones, agencies"
        ),
        h = lang.pick("Hiệu lực", "In force"),
    )
}

/// A commune's days and merger in words: "từ 01/07/2025", "đến
/// 30/06/2025, sáp nhập vào Xã A Lưới 1"; empty for one that always was.
fn validity(tree: &OrgTree, c: &OrgUnit, lang: Lang) -> String {
    let day = pcmt_model::report::dmy;
    let mut parts = Vec::new();
    if let Some(from) = c.valid_from {
        parts.push(format!("{} {}", lang.pick("từ", "from"), day(from)));
    }
    if let Some(to) = c.valid_to {
        parts.push(format!("{} {}", lang.pick("đến", "until"), day(to)));
    }
    if let Some(into) = &c.merged_into {
        let name = tree.get(into).map_or(into.as_str(), |u| u.name.as_str());
        parts.push(format!(
            "{} {name}",
            lang.pick("sáp nhập vào", "merged into")
        ));
    }
    parts.join(", ")
}

fn page_of(units: &OrgTree, admin: &Admin, lang: Lang, body: &str) -> String {
    admin_page(
        lang.pick("Đơn vị hành chính", "Administrative units"),
        units,
        admin,
        lang,
        body,
    )
}

/// An administration page: the staff bar with a link back to the report.
pub(super) fn admin_page(
    title: &str,
    units: &OrgTree,
    admin: &Admin,
    lang: Lang,
    body: &str,
) -> String {
    let links = report_link(lang);
    layout(
        title,
        lang,
        &staff_bar(&admin.staff, units, &links, lang),
        body,
    )
}
