//! Person files that share a citizen ID (hồ sơ trùng số CCCD, issue 20):
//! one citizen registered twice, by two tablets of a commune or in two
//! communes. Any staff member sees the groups that touch their unit; a
//! file outside their unit is named only by its commune, since a person's
//! data stays with the commune that holds the file. An administrator
//! merges two files of one commune of their unit into one
//! ([`merge`], `OfficeStorage::merge_person_files`); the merged file
//! leaves the list with the merge.

use super::admin::Admin;
use super::error::DashError;
use super::html::{done, esc, lang_of};
use super::pages::{layout, page_or_error, report_link, staff_bar};
use super::paths::{DUPLICATES, DUPLICATES_MERGE};
use super::session::{on_storage, DashState, Signed};
use crate::rules::staff::Staff;
use crate::storage::with_rows;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pcmt_model::report::{dmy, SharedCitizenId};
use pcmt_model::{Lang, OrgTree};
use serde::Deserialize;
use std::fmt::Write;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    lang: Option<String>,
    /// A merge was just made: said once above the list.
    merged: Option<u8>,
}

pub(super) async fn page(
    State(state): State<DashState>,
    signed: Signed,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(q.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        let units = s.units();
        let shared = with_rows(s, |rows| rows.shared_citizen_ids())??;
        let groups = groups_for(&units, &signed.staff, shared);
        Ok::<_, DashError>(render(&units, &signed, &groups, q.merged.is_some(), lang))
    })
    .await;
    page_or_error(result, lang)
}

#[derive(Debug, Deserialize)]
pub(super) struct MergeForm {
    csrf: String,
    lang: Option<String>,
    kept: Uuid,
    gone: Uuid,
}

/// An administrator's merge of two files (plain staff 403, from the
/// `Admin` extractor): checked and written at the hub
/// in one transaction, then back to the list.
pub(super) async fn merge(
    State(state): State<DashState>,
    admin: Admin,
    Form(form): Form<MergeForm>,
) -> Response {
    let lang = lang_of(form.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        admin.check(&form.csrf)?;
        s.merge_person_files(&admin.staff, form.kept, form.gone)?
            .map_err(|why| DashError::BadForm(lang.pick(why.0, why.1).into()))?;
        Ok(format!(
            "{DUPLICATES}?merged=1{}",
            if lang == Lang::En { "&lang=en" } else { "" }
        ))
    })
    .await;
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => e.page(lang),
    }
}

/// The files sharing each citizen ID, only the IDs one of whose files
/// lies within `staff`'s unit.
fn groups_for(
    units: &OrgTree,
    staff: &Staff,
    shared: Vec<SharedCitizenId>,
) -> Vec<Vec<SharedCitizenId>> {
    let mut groups: Vec<Vec<SharedCitizenId>> = Vec::new();
    for file in shared {
        match groups.last_mut() {
            Some(g) if g[0].citizen_id == file.citizen_id => g.push(file),
            _ => groups.push(vec![file]),
        }
    }
    groups.retain(|g| g.iter().any(|f| units.is_within(&f.commune, &staff.unit)));
    groups
}

fn render(
    units: &OrgTree,
    signed: &Signed,
    groups: &[Vec<SharedCitizenId>],
    merged: bool,
    lang: Lang,
) -> String {
    let staff = &signed.staff;
    let title = lang.pick("Hồ sơ trùng số CCCD", "Files sharing a citizen ID");
    let commune_name = |code: &str| {
        units
            .get(code)
            .map_or(code, |u| u.name.as_str())
            .to_string()
    };
    let mut body = format!(
        r#"<h1 id="duplicates-title">{}</h1><p class="sub">{}</p>"#,
        esc(title),
        lang.pick(
            "Mỗi nhóm là các hồ sơ quản lý mang cùng một số CCCD: một người có thể đã được lập hồ sơ hai lần (hai máy, hoặc hai xã). Hãy liên hệ cán bộ các xã để xác định hồ sơ đúng. Hồ sơ ngoài đơn vị của bạn chỉ hiện tên xã.",
            "Each group is the person files holding one citizen ID: one person may have been registered twice (two tablets, or two communes). Contact the communes' officers to settle which file is right. Files outside your unit show only their commune."
        ),
    );
    if merged {
        body.push_str(&done(lang.pick(
            "Đã gộp hai hồ sơ. Các máy tính bảng của xã nhận thay đổi ở lần đồng bộ tới.",
            "The two files were merged. The commune's tablets get it at their next sync.",
        )));
    }
    if groups.is_empty() {
        let _ = write!(
            body,
            r#"<div class="card" id="duplicates"><p class="note">{}</p></div>"#,
            lang.pick(
                "Không có hồ sơ nào trùng số CCCD.",
                "No two files share a citizen ID."
            )
        );
    }
    for g in groups {
        let mut items = String::new();
        for f in g {
            let line = if units.is_within(&f.commune, &staff.unit) {
                format!(
                    "<b>{}</b> · {} {} · {} · {} {}",
                    esc(&f.full_name),
                    lang.pick("sinh", "born"),
                    esc(&birth_day(&f.birth_date)),
                    esc(&commune_name(&f.commune)),
                    lang.pick("mã hồ sơ", "file"),
                    esc(short_id(&f.id)),
                )
            } else {
                format!(
                    "{} {} ({})",
                    lang.pick("Một hồ sơ của", "A file of"),
                    esc(&commune_name(&f.commune)),
                    lang.pick("ngoài đơn vị của bạn", "outside your unit"),
                )
            };
            let _ = write!(items, r#"<li data-file="{}">{line}</li>"#, esc(&f.id));
        }
        let form = if staff.is_admin() {
            merge_form(units, signed, g, lang)
        } else {
            String::new()
        };
        let _ = write!(
            body,
            r#"<div class="card duplicate" data-citizen-id="{id}"><h2>CCCD {id}</h2><ul>{items}</ul>{form}</div>"#,
            id = esc(&g[0].citizen_id),
        );
    }
    layout(
        title,
        lang,
        &staff_bar(staff, units, &report_link(lang), lang),
        &body,
    )
}

/// The merge form of a group, for an administrator: the files of one
/// commune of their unit, the one to keep and the one merged into it.
/// Files of two communes are not merged here (`merge_refusal` says why).
fn merge_form(units: &OrgTree, signed: &Signed, group: &[SharedCitizenId], lang: Lang) -> String {
    let ours: Vec<&SharedCitizenId> = group
        .iter()
        .filter(|f| units.is_within(&f.commune, &signed.staff.unit))
        .collect();
    let same_commune = ours
        .iter()
        .any(|a| ours.iter().any(|b| a.id != b.id && a.commune == b.commune));
    if !same_commune {
        return format!(
            r#"<p class="note merge-note">{}</p>"#,
            lang.pick(
                "Các hồ sơ ở hai xã khác nhau: hãy chuyển nơi cư trú của một hồ sơ về xã kia trước (trang Chuyển nơi cư trú, với mã hồ sơ), rồi gộp.",
                "The files are in two communes: move one file to the other commune first (the move page, with the file's code), then merge."
            )
        );
    }
    let options = |selected: usize| {
        ours.iter()
            .enumerate()
            .map(|(i, f)| {
                // Files of one person look alike: the birth date and the
                // end of the id tell them apart, as the list above shows.
                format!(
                    r#"<option value="{}"{}>{} · {} {} · {} · {}</option>"#,
                    esc(&f.id),
                    if i == selected { " selected" } else { "" },
                    esc(&f.full_name),
                    lang.pick("sinh", "born"),
                    esc(&birth_day(&f.birth_date)),
                    esc(units
                        .get(&f.commune)
                        .map_or(f.commune.as_str(), |u| u.name.as_str())),
                    esc(short_id(&f.id)),
                )
            })
            .collect::<String>()
    };
    format!(
        r#"<form method="post" action="{DUPLICATES_MERGE}" class="merge"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lc}"><label>{keep} <select name="kept">{a}</select></label><label>{fold} <select name="gone">{b}</select></label><p class="note">{note}</p><button type="submit" class="primary merge-button">{go}</button></form>"#,
        csrf = esc(&signed.csrf),
        lc = if lang == Lang::En { "en" } else { "vi" },
        keep = lang.pick("Giữ hồ sơ", "Keep the file"),
        fold = lang.pick("Gộp vào đó hồ sơ", "Merge into it the file"),
        a = options(0),
        b = options(1),
        note = lang.pick(
            "Hồ sơ được gộp thôi tính trong báo cáo; lịch sử của nó vẫn giữ, các lần thăm gặp chuyển sang hồ sơ được giữ.",
            "The merged file leaves the reports; its history stays, and its visits move to the file kept."
        ),
        go = lang.pick("Gộp hồ sơ", "Merge the files"),
    )
}

fn birth_day(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(dmy)
        .unwrap_or_else(|_| iso.to_string())
}

/// The end of a file's id, enough to tell two files of one person apart
/// (UUIDv7s made the same day share their start).
fn short_id(id: &str) -> &str {
    id.get(id.len().saturating_sub(6)..).unwrap_or(id)
}
