//! Person files that share a citizen ID (hồ sơ trùng số CCCD, issue 20):
//! one citizen registered twice, by two tablets of a commune or in two
//! communes. Any staff member sees the groups that touch their unit; a
//! file outside their unit is named only by its commune, since a person's
//! data stays with the commune that holds the file.

use super::error::DashError;
use super::html::{esc, lang_of};
use super::pages::{layout, page_or_error, staff_bar};
use super::paths::HOME;
use super::session::{on_storage, DashState, LangQuery};
use crate::rules::staff::Staff;
use crate::storage::with_rows;
use axum::extract::{Query, State};
use axum::response::Response;
use pcmt_model::report::{dmy, SharedCitizenId};
use pcmt_model::{Lang, OrgTree};
use std::fmt::Write;

pub(super) async fn page(
    State(state): State<DashState>,
    staff: Staff,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(q.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        let units = s.units();
        let shared = with_rows(s, |rows| rows.shared_citizen_ids())??;
        Ok::<_, DashError>(render(
            &units,
            &staff,
            &groups_for(&units, &staff, shared),
            lang,
        ))
    })
    .await;
    page_or_error(result, lang)
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

fn render(units: &OrgTree, staff: &Staff, groups: &[Vec<SharedCitizenId>], lang: Lang) -> String {
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
                    "<b>{}</b> · {} {} · {}",
                    esc(&f.full_name),
                    lang.pick("sinh", "born"),
                    esc(
                        &chrono::NaiveDate::parse_from_str(&f.birth_date, "%Y-%m-%d")
                            .map(dmy)
                            .unwrap_or_else(|_| f.birth_date.clone())
                    ),
                    esc(&commune_name(&f.commune)),
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
        let _ = write!(
            body,
            r#"<div class="card duplicate" data-citizen-id="{id}"><h2>CCCD {id}</h2><ul>{items}</ul></div>"#,
            id = esc(&g[0].citizen_id),
        );
    }
    let links = format!(
        r#"<a id="report-link" href="{HOME}{}">{}</a>"#,
        if lang == Lang::En { "?lang=en" } else { "" },
        lang.pick("Báo cáo", "Report"),
    );
    layout(title, lang, &staff_bar(staff, units, &links, lang), &body)
}
