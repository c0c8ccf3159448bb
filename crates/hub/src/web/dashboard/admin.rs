//! Tablets administered from the browser (quản lý máy tính bảng, issue 19):
//! an administrator issues an enrolment code for communes of their unit and
//! an officer (shown large, to read out or print), lists the unit's tablets
//! with what they have sent, and revokes one or marks it lost. The rules —
//! who administers what, the form token — are `crate::rules::staff`'s; the
//! storage writes each action with its audit entry, naming the staff member.
//!
//! Plain staff are refused every route here (403), and every form carries a
//! token derived from the session besides the SameSite cookie.

use super::error::DashError;
use super::html::{esc, lang_of};
use super::pages::{layout, page_or_error, staff_bar};
use super::paths::{HOME, ISSUE_CODE, TABLETS};
use super::session::{lang_of_request, on_storage, DashState, Signed};
use crate::rules::audit::Actor;
use crate::rules::devices::{CommuneActivity, DeviceInfo};
use crate::rules::staff::administers;
use crate::storage::{HubStorage, Withdrawal};
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{FixedOffset, TimeZone};
use pcmt_model::{Lang, OrgTree};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write;
use uuid::Uuid;

/// How long a code from the dashboard stays valid: three days, as the
/// command line's default, for a tablet brought to the office later.
const CODE_HOURS: i64 = 72;
/// An officer's name as the tablet and the log will show it.
const MAX_OFFICER_CHARS: usize = 100;
/// A commune whose tablets have sent nothing for longer stands out.
const SILENT_DAYS: i64 = 14;

/// A signed-in administrator, with the token their forms must carry.
pub(super) struct Admin(pub(super) Signed);

impl std::ops::Deref for Admin {
    type Target = Signed;

    fn deref(&self) -> &Signed {
        &self.0
    }
}

impl FromRequestParts<DashState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &DashState) -> Result<Self, Response> {
        let signed = Signed::from_request_parts(parts, state).await?;
        if !signed.staff.is_admin() {
            return Err(DashError::NotAdmin.page(lang_of_request(parts)));
        }
        Ok(Admin(signed))
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    lang: Option<String>,
    /// What the last action did, said once above the list.
    done: Option<String>,
}

pub(super) async fn tablets_page(
    State(state): State<DashState>,
    admin: Admin,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(q.lang.as_deref());
    let done = q.done.clone();
    let result = on_storage(&state.storage, move |s| {
        render(s, &admin, lang, done.as_deref(), None)
    })
    .await;
    page_or_error(result, lang)
}

/// The code form: `officer`, `csrf`, `lang`, and one `commune-<code>` per
/// ticked commune (distinct names, so a plain form post carries them).
pub(super) async fn issue_code(
    State(state): State<DashState>,
    admin: Admin,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(form.get("lang").map(String::as_str));
    let result = on_storage(&state.storage, move |s| {
        admin.check(form.get("csrf").map_or("", String::as_str))?;
        let units = s.units();
        let officer = form.get("officer").map_or("", |o| o.trim()).to_string();
        if officer.is_empty() || officer.chars().count() > MAX_OFFICER_CHARS {
            return Err(DashError::BadForm(
                lang.pick(
                    "Hãy nhập họ tên cán bộ nhận máy (tối đa 100 ký tự).",
                    "Type the name of the officer who gets the tablet (at most 100 characters).",
                )
                .into(),
            ));
        }
        let mut communes: Vec<String> = form
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .filter_map(|(k, _)| k.strip_prefix("commune-").map(str::to_string))
            .collect();
        communes.sort();
        if communes.is_empty() {
            return Err(DashError::BadForm(
                lang.pick(
                    "Hãy chọn ít nhất một xã cho máy này.",
                    "Choose at least one commune for this tablet.",
                )
                .into(),
            ));
        }
        if !administers(&units, &admin.staff, &communes) {
            return Err(DashError::OutsideScope(communes.join(", ")));
        }
        let code = s.issue_code_by(
            &Actor::staff(&admin.staff.username),
            &communes,
            &officer,
            CODE_HOURS * 3600,
        )?;
        let issued = Issued {
            code,
            officer,
            communes,
        };
        render(s, &admin, lang, None, Some(&issued))
    })
    .await;
    page_or_error(result, lang)
}

#[derive(Debug, Deserialize)]
pub(super) struct WithdrawForm {
    csrf: String,
    lang: Option<String>,
}

/// Revokes a tablet (`how` = `revoke`) or marks it lost (`lost`), then
/// back to the list, which says what was done.
pub(super) async fn withdraw(
    State(state): State<DashState>,
    admin: Admin,
    Path((device, how)): Path<(String, String)>,
    Form(form): Form<WithdrawForm>,
) -> Response {
    let lang = lang_of(form.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        admin.check(&form.csrf)?;
        let how = match how.as_str() {
            "revoke" => Withdrawal::Revoked,
            "lost" => Withdrawal::Lost,
            _ => return Err(DashError::NoSuchTablet(device)),
        };
        let units = s.units();
        let id = Uuid::parse_str(&device).map_err(|_| DashError::NoSuchTablet(device.clone()))?;
        let known = s
            .devices()?
            .into_iter()
            .find(|d| d.id == id.to_string())
            .filter(|d| administers(&units, &admin.staff, &d.communes))
            .ok_or_else(|| DashError::NoSuchTablet(device.clone()))?;
        let changed = s.withdraw(&Actor::staff(&admin.staff.username), id, how)?;
        let done = match (how, changed) {
            (_, false) => "unchanged",
            (Withdrawal::Revoked, true) => "revoked",
            (Withdrawal::Lost, true) => "lost",
        };
        Ok(format!(
            "{TABLETS}?done={done}-{}{}",
            known.id,
            if lang == Lang::En { "&lang=en" } else { "" }
        ))
    })
    .await;
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => e.page(lang),
    }
}

/// A code just issued, shown once: the hub keeps only its hash.
struct Issued {
    code: String,
    officer: String,
    communes: Vec<String>,
}

pub(super) fn vietnam_time(at: i64) -> String {
    let offset = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    offset
        .timestamp_opt(at, 0)
        .single()
        .map(|t| t.format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default()
}

fn commune_names(units: &OrgTree, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| units.get(c).map_or(c.as_str(), |u| u.name.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn render(
    storage: &dyn HubStorage,
    admin: &Admin,
    lang: Lang,
    done: Option<&str>,
    issued: Option<&Issued>,
) -> Result<String, DashError> {
    let units = storage.units();
    let tablets: Vec<DeviceInfo> = storage
        .devices()?
        .into_iter()
        .filter(|d| administers(&units, &admin.staff, &d.communes))
        .collect();
    let lc = if lang == Lang::En { "en" } else { "vi" };
    let links = format!(
        r#"<a id="report-link" href="{HOME}{}">{}</a>"#,
        if lang == Lang::En { "?lang=en" } else { "" },
        lang.pick("Báo cáo", "Report"),
    );
    let title = lang.pick("Quản lý máy tính bảng", "Tablets");
    let mut body = format!(
        r#"<h1 id="tablets-title">{title}</h1><p class="sub">{sub}</p>"#,
        title = esc(title),
        sub = lang.pick(
            "Cấp mã đăng ký cho máy mới, xem các máy của đơn vị, thu hồi máy hoặc báo mất máy. Mọi thao tác đều được ghi vào nhật ký.",
            "Issue enrolment codes for new tablets, see the unit's tablets, revoke one or mark it lost. Every action is logged."
        ),
    );
    if let Some(done) = done {
        body.push_str(&done_note(done, lang));
    }
    if let Some(issued) = issued {
        let _ = write!(
            body,
            r#"<div class="card issued" id="issued"><h2>{h}</h2><p class="code" id="issued-code">{code}</p><p>{for_} <b id="issued-officer">{officer}</b> · <b id="issued-communes">{communes}</b></p><p class="note">{note}</p></div>"#,
            h = lang.pick("Mã đăng ký máy", "Enrolment code"),
            code = esc(&issued.code),
            for_ = lang.pick("Cho cán bộ", "For officer"),
            officer = esc(&issued.officer),
            communes = esc(&commune_names(&units, &issued.communes)),
            note = lang.pick(
                "Đọc mã này cho cán bộ hoặc in trang này (Ctrl+P). Mã chỉ dùng được một lần, trong 72 giờ. Máy chủ không lưu mã, nên mã không hiện lại được.",
                "Read this code to the officer or print this page (Ctrl+P). It works once, within 72 hours. The hub keeps no copy, so it cannot be shown again."
            ),
        );
    }
    body.push_str(&code_form(&units, admin, lang, lc));
    let now = chrono::Utc::now();
    let activity = storage.commune_activity(month_start(now))?;
    body.push_str(&sync_health(
        &units,
        admin,
        &tablets,
        &activity,
        now.timestamp(),
        lang,
    ));
    body.push_str(&tablet_table(&units, admin, &tablets, lang, lc));
    Ok(layout(
        title,
        lang,
        &staff_bar(&admin.staff, &units, &links, lang),
        &body,
    ))
}

/// The first moment of this month in Vietnam, as Unix seconds.
fn month_start(now: chrono::DateTime<chrono::Utc>) -> i64 {
    use chrono::Datelike;
    let offset = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    let here = now.with_timezone(&offset);
    here.date_naive()
        .with_day(1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| offset.from_local_datetime(&t).single())
        .map_or(now.timestamp(), |t| t.timestamp())
}

/// Each commune of the unit: its tablets in use, the last record change
/// they brought and how many this month; a commune silent for more than
/// [`SILENT_DAYS`], or with no tablet in use, stands out.
fn sync_health(
    units: &OrgTree,
    admin: &Admin,
    tablets: &[DeviceInfo],
    activity: &[CommuneActivity],
    now: i64,
    lang: Lang,
) -> String {
    let mut rows = String::new();
    for c in units
        .communes()
        .filter(|c| units.is_within(&c.code, &admin.staff.unit))
    {
        let in_use = tablets
            .iter()
            .filter(|d| d.revoked_at.is_none() && d.communes.contains(&c.code))
            .count();
        let seen = activity.iter().find(|a| a.commune == c.code);
        let silent_days = seen.map(|a| (now - a.last_at) / 86_400);
        let silent = in_use == 0 || silent_days.is_none_or(|d| d > SILENT_DAYS);
        let state = match (in_use, silent_days) {
            (0, _) => lang
                .pick("Chưa có máy đang dùng", "No tablet in use")
                .to_string(),
            (_, None) => lang
                .pick("Chưa gửi hồ sơ nào", "Nothing sent yet")
                .to_string(),
            (_, Some(d)) if d > SILENT_DAYS => match lang {
                Lang::Vi => format!("Im lặng {d} ngày"),
                Lang::En => format!("Silent for {d} days"),
            },
            _ => lang.pick("Bình thường", "Normal").to_string(),
        };
        let _ = write!(
            rows,
            r#"<tr data-commune="{code}"{class}><td>{name}</td><td class="num">{in_use}</td><td class="when">{last}</td><td class="num">{month}</td><td><span class="{badge}">{state}</span></td></tr>"#,
            code = esc(&c.code),
            class = if silent { r#" class="silent""# } else { "" },
            name = esc(&c.name),
            last = seen
                .map(|a| vietnam_time(a.last_at))
                .unwrap_or_else(|| "—".into()),
            month = seen.map_or(0, |a| a.since),
            badge = if silent { "unmet" } else { "met" },
            state = esc(&state),
        );
    }
    format!(
        r#"<div class="card"><h2>{h}</h2><p class="note">{note}</p><table id="sync-health"><thead><tr><th>{c1}</th><th class="num">{c2}</th><th>{c3}</th><th class="num">{c4}</th><th>{c5}</th></tr></thead><tbody>{rows}</tbody></table></div>"#,
        h = lang.pick("Tình trạng đồng bộ theo xã", "Sync health by commune"),
        note = match lang {
            Lang::Vi => format!("Theo nhật ký: lần gần nhất máy của xã gửi hồ sơ mới hoặc sửa hồ sơ, và số lần gửi trong tháng này. Xã không gửi gì quá {SILENT_DAYS} ngày được đánh dấu. Một lần đồng bộ không có gì mới không được ghi lại."),
            Lang::En => format!("From the log: the last time a tablet of the commune sent a new or changed record, and how many this month. A commune that sent nothing for more than {SILENT_DAYS} days stands out. A sync with nothing new leaves no trace."),
        },
        c1 = lang.pick("Xã", "Commune"),
        c2 = lang.pick("Máy đang dùng", "Tablets in use"),
        c3 = lang.pick("Lần gửi hồ sơ gần nhất", "Last record sent"),
        c4 = lang.pick("Hồ sơ gửi trong tháng", "Record changes this month"),
        c5 = lang.pick("Tình trạng", "State"),
    )
}

/// The note after a revocation or a loss: which tablet, what was done.
fn done_note(done: &str, lang: Lang) -> String {
    let (what, device) = done.split_once('-').unwrap_or((done, ""));
    let text = match what {
        "revoked" => lang.pick("Đã thu hồi máy", "Revoked tablet"),
        "lost" => lang.pick("Đã báo mất máy", "Marked lost: tablet"),
        _ => lang.pick("Không có gì thay đổi với máy", "Nothing changed for tablet"),
    };
    super::html::done(&format!(
        "{} {}.",
        esc(text),
        esc(&device.chars().take(8).collect::<String>())
    ))
}

fn code_form(units: &OrgTree, admin: &Admin, lang: Lang, lc: &str) -> String {
    let mut boxes = String::new();
    for c in units
        .communes()
        .filter(|c| units.is_within(&c.code, &admin.staff.unit))
    {
        let _ = write!(
            boxes,
            r#"<label class="tick"><input type="checkbox" id="commune-{code}" name="commune-{code}" value="1"> {name}</label>"#,
            code = esc(&c.code),
            name = esc(&c.name),
        );
    }
    format!(
        r#"<form class="card choose" method="post" action="{ISSUE_CODE}" id="code-form"><h2>{h}</h2>
<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lc}">
<label>{ol}<input id="officer" name="officer" size="40" maxlength="{MAX_OFFICER_CHARS}" required></label>
<fieldset class="communes"><legend>{cl}</legend>{boxes}</fieldset>
<button class="primary" id="issue" type="submit">{go}</button></form>"#,
        h = lang.pick(
            "Cấp mã đăng ký cho máy mới",
            "Enrolment code for a new tablet"
        ),
        csrf = esc(&admin.csrf),
        ol = lang.pick("Họ tên cán bộ nhận máy", "Officer who gets the tablet"),
        cl = lang.pick("Xã của máy", "The tablet's communes"),
        go = lang.pick("Cấp mã", "Issue code"),
    )
}

fn tablet_table(
    units: &OrgTree,
    admin: &Admin,
    tablets: &[DeviceInfo],
    lang: Lang,
    lc: &str,
) -> String {
    if tablets.is_empty() {
        return format!(
            r#"<div class="card" id="tablets"><p class="note">{}</p></div>"#,
            lang.pick(
                "Đơn vị chưa có máy tính bảng nào được đăng ký.",
                "No tablet of the unit is enrolled yet."
            )
        );
    }
    let mut rows = String::new();
    for d in tablets {
        let state = match (d.lost_at, d.revoked_at) {
            (Some(at), _) => format!(
                r#"<span class="unmet">{} {}</span>"#,
                lang.pick("Báo mất", "Lost"),
                vietnam_time(at)
            ),
            (None, Some(at)) => format!(
                r#"<span class="unmet">{} {}</span>"#,
                lang.pick("Đã thu hồi", "Revoked"),
                vietnam_time(at)
            ),
            (None, None) => format!(
                r#"<span class="met">{}</span>"#,
                lang.pick("Đang dùng", "In use")
            ),
        };
        let action = |how: &str, label: &str, id: &str| {
            format!(
                r#"<form method="post" action="{TABLETS}/{device}/{how}"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lc}"><button type="submit" id="{id}-{short}">{label}</button></form>"#,
                device = esc(&d.id),
                csrf = esc(&admin.csrf),
                short = esc(&d.id.chars().take(8).collect::<String>()),
            )
        };
        let actions = if d.lost_at.is_some() {
            String::new()
        } else if d.revoked_at.is_some() {
            action("lost", lang.pick("Báo mất", "Mark lost"), "lost")
        } else {
            format!(
                "{}{}",
                action("revoke", lang.pick("Thu hồi", "Revoke"), "revoke"),
                action("lost", lang.pick("Báo mất", "Mark lost"), "lost")
            )
        };
        let _ = write!(
            rows,
            r#"<tr data-device="{id}"><td class="short">{short}</td><td>{officer}</td><td>{communes}</td><td class="when">{enrolled}</td><td class="when">{last}</td><td class="num">{sent}</td><td>{state}</td><td><div class="actions">{actions}</div></td></tr>"#,
            id = esc(&d.id),
            short = esc(&d.id.chars().take(8).collect::<String>()),
            officer = esc(&d.officer),
            communes = esc(&commune_names(units, &d.communes)),
            enrolled = vietnam_time(d.enrolled_at),
            last = d
                .last_change_at
                .map(vietnam_time)
                .unwrap_or_else(|| "—".into()),
            sent = d.records_sent,
        );
    }
    format!(
        r#"<div class="card"><h2>{h}</h2><table id="tablets"><thead><tr><th>{c1}</th><th>{c2}</th><th>{c3}</th><th>{c4}</th><th>{c5}</th><th class="num">{c6}</th><th>{c7}</th><th></th></tr></thead><tbody>{rows}</tbody></table></div>"#,
        h = lang.pick("Máy tính bảng của đơn vị", "The unit's tablets"),
        c1 = lang.pick("Mã máy", "Tablet"),
        c2 = lang.pick("Cán bộ", "Officer"),
        c3 = lang.pick("Xã", "Communes"),
        c4 = lang.pick("Ngày đăng ký", "Enrolled"),
        c5 = lang.pick("Lần gửi hồ sơ gần nhất", "Last record sent"),
        c6 = lang.pick("Số lần gửi hồ sơ", "Record changes sent"),
        c7 = lang.pick("Trạng thái", "State"),
    )
}
