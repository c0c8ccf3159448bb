//! The office moves a person to another commune (chuyển nơi cư trú, issue
//! 20): an administrator names the file by its CCCD, the commune of their
//! unit it moves to and the first day there. The hub takes the move as a
//! tablet's (`HubStorage::move_as_office`): the new commune's tablets
//! receive the whole file at their next sync, the old one's a note.

use super::admin::Admin;
use super::error::DashError;
use super::html::{done, esc, lang_of};
use super::pages::{layout, page_or_error, report_link, staff_bar};
use super::paths::MOVE;
use super::session::{on_storage, DashState};
use crate::rules::audit::Actor;
use crate::rules::protocol::OfficeWrite;
use crate::storage::{with_rows, HubStorage};
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pcmt_model::{Lang, MoveInput, OrgLevel};
use serde::Deserialize;
use std::fmt::Write;

#[derive(Debug, Default, Deserialize)]
pub struct MoveParams {
    moved: Option<String>,
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    csrf: String,
    citizen_id: String,
    /// Which file, when several hold the CCCD (the end of its id, as the
    /// duplicates page shows it): files of one person in two communes are
    /// moved into one commune, then merged.
    #[serde(default)]
    file: String,
    to: String,
    /// dd/mm/yyyy, as offices write a day.
    on: String,
    lang: Option<String>,
}

pub(super) async fn page(
    State(state): State<DashState>,
    admin: Admin,
    Query(params): Query<MoveParams>,
) -> Response {
    let lang = lang_of(params.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        Ok(render(s, &admin, params.moved.as_deref(), &[], lang))
    })
    .await;
    page_or_error(result, lang)
}

fn render(
    s: &dyn HubStorage,
    admin: &Admin,
    moved: Option<&str>,
    problems: &[String],
    lang: Lang,
) -> String {
    let staff = &admin.staff;
    let units = s.units();
    let mut options = String::new();
    for c in units.units_within(&staff.unit, OrgLevel::Commune) {
        let _ = write!(
            options,
            r#"<option value="{code}">{name}</option>"#,
            code = esc(&c.code),
            name = esc(&c.name)
        );
    }
    let title = lang.pick("Chuyển nơi cư trú", "Move to another commune");
    let mut notes = String::new();
    if let Some(name) = moved {
        notes.push_str(&done(&esc(&match lang {
            Lang::Vi => format!("Đã chuyển hồ sơ đến {name}; các máy tính bảng của xã nhận hồ sơ ở lần đồng bộ sau."),
            Lang::En => format!("The file moved to {name}; the commune's tablets receive it at their next sync."),
        })));
    }
    for p in problems {
        let _ = write!(notes, r#"<p class="error move-problem">{}</p>"#, esc(p));
    }
    let body = format!(
        r#"<h1 id="move-title">{title}</h1>{notes}<p class="sub">{sub}</p>
<form class="card" method="post" action="{MOVE}" id="move-form"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lc}">
<label>{cl}<input id="citizen_id" name="citizen_id" inputmode="numeric" maxlength="12" required></label>
<label>{fl}<input id="file" name="file" maxlength="36"></label>
<label>{tl}<select id="to" name="to">{options}</select></label>
<label>{ol}<input id="on" name="on" placeholder="dd/mm/yyyy" required></label>
<button class="primary" id="move-save" type="submit">{save}</button></form>"#,
        title = esc(title),
        csrf = esc(&admin.csrf),
        lc = if lang == Lang::En { "en" } else { "vi" },
        sub = lang.pick(
            "Hồ sơ chuyển cùng toàn bộ quá trình quản lý và các lần gặp đến xã mới, cùng huyện. Xã cũ chỉ còn ghi chú đã chuyển đi.",
            "The file moves with its whole history and check-ins to the new commune, of the same district. The old commune keeps only a note that the person moved."
        ),
        cl = lang.pick("Số CCCD", "Citizen ID (CCCD)"),
        fl = lang.pick(
            "Mã hồ sơ (chỉ khi nhiều hồ sơ cùng số CCCD: 6 ký tự cuối, trang Hồ sơ trùng số CCCD)",
            "File code (only when several files hold the CCCD: its last 6 characters, on the duplicates page)"
        ),
        tl = lang.pick("Chuyển đến xã", "Moving to"),
        ol = lang.pick("Cư trú tại xã mới từ ngày", "Living there from"),
        save = lang.pick("Chuyển hồ sơ", "Move the file"),
    );
    let links = report_link(lang);
    layout(title, lang, &staff_bar(staff, &units, &links, lang), &body)
}

/// Moves the file named by its CCCD among the files of the administrator's
/// unit; a problem is shown on the form, in the officer's words.
pub(super) async fn save(
    State(state): State<DashState>,
    admin: Admin,
    Form(form): Form<MoveForm>,
) -> Response {
    let lang = lang_of(form.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        admin.check(&form.csrf)?;
        let units = s.units();
        let communes: Vec<String> = units
            .units_within(&admin.staff.unit, OrgLevel::Commune)
            .map(|c| c.code.clone())
            .collect();
        let refuse = |text: &str| Ok(Err(render(s, &admin, None, &[text.to_string()], lang)));
        let Ok(Some(on)) = pcmt_model::org_sheet::day_of(&form.on) else {
            return refuse(lang.pick(
                "Ngày không hợp lệ (dd/mm/yyyy)",
                "Not a valid date (dd/mm/yyyy)",
            ));
        };
        let cccd = form.citizen_id.trim().to_string();
        let keys = with_rows(s, |rows| rows.person_keys())??;
        let files: Vec<_> = keys
            .into_iter()
            .filter(|k| {
                k.citizen_id.as_deref() == Some(cccd.as_str()) && communes.contains(&k.commune)
            })
            .collect();
        let code = form.file.trim().to_lowercase();
        let files: Vec<_> = if files.len() > 1 && !code.is_empty() {
            files.into_iter().filter(|k| k.id.ends_with(&code)).collect()
        } else {
            files
        };
        let [file] = files.as_slice() else {
            return refuse(if files.is_empty() {
                lang.pick(
                    "Không có hồ sơ nào mang số CCCD này trong đơn vị",
                    "No file of this unit holds this CCCD",
                )
            } else {
                lang.pick(
                    "Nhiều hồ sơ mang số CCCD này: ghi mã hồ sơ cần chuyển (trang Hồ sơ trùng số CCCD), hoặc gộp hồ sơ trước nếu cùng xã",
                    "Several files hold this CCCD: give the code of the file to move (duplicates page), or merge them first if in one commune",
                )
            });
        };
        let person =
            uuid::Uuid::parse_str(&file.id).map_err(|e| DashError::BadForm(e.to_string()))?;
        let by = Actor::staff(&admin.staff.username);
        let office = OfficeWrite {
            communes: &communes,
            by: &by,
            new_only: false,
        };
        let input = MoveInput {
            to: form.to.clone(),
            on,
        };
        let today = chrono::Local::now().date_naive();
        match s.move_as_office(person, &input, &office, &admin.staff.username, today)? {
            Ok(()) => {
                let name = units
                    .get(&form.to)
                    .map_or(form.to.clone(), |u| u.name.clone());
                Ok(Ok(format!(
                    "{MOVE}?moved={}{}",
                    urlencoding(&name),
                    if lang == Lang::En { "&lang=en" } else { "" }
                )))
            }
            Err(errors) => {
                let texts: Vec<String> = errors.iter().map(|e| e.message(lang)).collect();
                Ok(Err(render(s, &admin, None, &texts, lang)))
            }
        }
    })
    .await;
    match result {
        Ok(Ok(to)) => Redirect::to(&to).into_response(),
        Ok(Err(page)) => (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            axum::response::Html(page),
        )
            .into_response(),
        Err(e) => e.page(lang),
    }
}

/// A commune's name in a query string.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
