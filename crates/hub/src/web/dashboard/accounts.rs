//! Staff accounts administered from the browser (tài khoản cán bộ, issue
//! 19): an administrator adds an account in their unit or below, resets a
//! password, disables or enables an account, and moves one to another unit
//! or role. Who may do what is `crate::rules::staff::may_change`; the
//! change, the end of the account's sessions and its log entry commit
//! together (`crate::staff::change_account`). Plain staff are refused every
//! route here, and every form carries the session's CSRF token.

use super::admin::{vietnam_time, Admin};
use super::error::DashError;
use super::html::{esc, lang_of};
use super::pages::{layout, page_or_error, staff_bar};
use super::paths::{HOME, STAFF};
use super::session::{on_storage, DashState};
use crate::rules::staff::{account_unit, Role, StaffAccount, StaffRefusal, MIN_PASSWORD_CHARS};
use crate::staff::{change_account, AccountRequest};
use crate::storage::HubStorage;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pcmt_model::{Labelled, Lang, OrgLevel, OrgTree};
use serde::Deserialize;
use std::fmt::Write;

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    lang: Option<String>,
    /// What the last action did (`add-NAME`, `disable-NAME`, …), said once
    /// above the list.
    done: Option<String>,
}

pub(super) async fn page(
    State(state): State<DashState>,
    admin: Admin,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(q.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        render(s, &admin, lang, q.done.as_deref())
    })
    .await;
    page_or_error(result, lang)
}

/// Every account form: the token and language, and what each action reads
/// (`username`, `password`, `unit`, `role`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct AccountForm {
    csrf: String,
    lang: Option<String>,
    username: Option<String>,
    password: Option<String>,
    unit: Option<String>,
    role: Option<String>,
}

impl AccountForm {
    fn role(&self, lang: Lang) -> Result<Role, DashError> {
        self.role
            .as_deref()
            .and_then(Role::from_code)
            .ok_or_else(|| {
                DashError::BadForm(lang.pick("Hãy chọn vai trò.", "Choose a role.").into())
            })
    }

    fn unit(&self, lang: Lang) -> Result<String, DashError> {
        self.unit.clone().filter(|u| !u.is_empty()).ok_or_else(|| {
            DashError::BadForm(lang.pick("Hãy chọn đơn vị.", "Choose a unit.").into())
        })
    }

    fn password(&self) -> String {
        self.password.clone().unwrap_or_default()
    }
}

/// Adds an account (the form at the top of the page).
pub(super) async fn add(
    State(state): State<DashState>,
    admin: Admin,
    Form(form): Form<AccountForm>,
) -> Response {
    let username = form.username.clone().unwrap_or_default();
    act(state, admin, username, "add", form).await
}

/// An action on one account: `password`, `disable`, `enable` or `place`.
pub(super) async fn change(
    State(state): State<DashState>,
    admin: Admin,
    Path((username, what)): Path<(String, String)>,
    Form(form): Form<AccountForm>,
) -> Response {
    act(state, admin, username, &what, form).await
}

async fn act(
    state: DashState,
    admin: Admin,
    username: String,
    what: &str,
    form: AccountForm,
) -> Response {
    let lang = lang_of(form.lang.as_deref());
    let what = what.to_string();
    let result = on_storage(&state.storage, move |s| {
        admin.check(&form.csrf)?;
        let request = match what.as_str() {
            "add" => AccountRequest::Create {
                password: form.password(),
                unit: form.unit(lang)?,
                role: form.role(lang)?,
            },
            "password" => AccountRequest::Password(form.password()),
            "disable" => AccountRequest::Disable,
            "enable" => AccountRequest::Enable,
            "place" => AccountRequest::Place {
                unit: form.unit(lang)?,
                role: form.role(lang)?,
            },
            _ => return Err(DashError::Account(StaffRefusal::NoAccount(username).into())),
        };
        let changed = change_account(s, &admin.staff, &username, request)?;
        let done = if changed { what.as_str() } else { "unchanged" };
        Ok(format!(
            "{STAFF}?done={done}-{}{}",
            super::html::percent_encode(&crate::staff::normalize_username(&username)),
            if lang == Lang::En { "&lang=en" } else { "" }
        ))
    })
    .await;
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => e.page(lang),
    }
}

/// The units an account of `admin`'s may belong to: theirs and the
/// administrative units below it, the tree's order.
fn placeable<'a>(units: &'a OrgTree, admin: &'a Admin) -> Vec<&'a pcmt_model::OrgUnit> {
    [OrgLevel::Province, OrgLevel::District, OrgLevel::Commune]
        .into_iter()
        .flat_map(|level| units.units_within(&admin.staff.unit, level))
        .filter(|u| account_unit(units, &u.code))
        .collect()
}

fn unit_options(units: &OrgTree, admin: &Admin, selected: &str) -> String {
    let mut out = String::new();
    for u in placeable(units, admin) {
        let _ = write!(
            out,
            r#"<option value="{code}"{sel}>{name}</option>"#,
            code = esc(&u.code),
            sel = if u.code == selected { " selected" } else { "" },
            name = esc(&u.name),
        );
    }
    out
}

fn role_options(selected: Role, lang: Lang) -> String {
    [Role::Staff, Role::Admin]
        .into_iter()
        .map(|r| {
            format!(
                r#"<option value="{code}"{sel}>{label}</option>"#,
                code = r.code(),
                sel = if r == selected { " selected" } else { "" },
                label = esc(r.label(lang)),
            )
        })
        .collect()
}

fn render(
    storage: &dyn HubStorage,
    admin: &Admin,
    lang: Lang,
    done: Option<&str>,
) -> Result<String, DashError> {
    let units = storage.units();
    let accounts: Vec<StaffAccount> = storage
        .staff_accounts()?
        .into_iter()
        .filter(|a| units.is_within(&a.staff.unit, &admin.staff.unit))
        .collect();
    let lc = if lang == Lang::En { "en" } else { "vi" };
    let en = if lang == Lang::En { "?lang=en" } else { "" };
    let links = format!(
        r#"<a id="report-link" href="{HOME}{en}">{}</a>"#,
        lang.pick("Báo cáo", "Report"),
    );
    let title = lang.pick("Tài khoản cán bộ", "Staff accounts");
    let mut body = format!(
        r#"<h1 id="staff-title">{title}</h1><p class="sub">{sub}</p>"#,
        title = esc(title),
        sub = lang.pick(
            "Thêm tài khoản cho cán bộ của đơn vị, đặt lại mật khẩu, khóa tài khoản, đổi đơn vị hoặc vai trò. Mọi thao tác đều được ghi vào nhật ký; mật khẩu không bao giờ được ghi.",
            "Add accounts for the unit's staff, reset a password, disable an account, change its unit or role. Every action is logged; passwords never are."
        ),
    );
    if let Some(done) = done {
        body.push_str(&done_note(done, lang));
    }
    let _ = write!(
        body,
        r#"<form class="card choose" method="post" action="{STAFF}" id="add-form"><h2 style="flex-basis:100%">{h}</h2>
<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lc}">
<label>{ul}<input id="new-username" name="username" size="20" maxlength="64" required autocomplete="off"></label>
<label>{pl}<input id="new-password" name="password" type="password" size="20" minlength="{MIN_PASSWORD_CHARS}" required autocomplete="new-password"></label>
<label>{unl}<select id="new-unit" name="unit">{units}</select></label>
<label>{rl}<select id="new-role" name="role">{roles}</select></label>
<button class="primary" id="add" type="submit">{go}</button>
<p class="note" style="flex-basis:100%">{note}</p></form>"#,
        h = lang.pick("Thêm tài khoản", "Add an account"),
        csrf = esc(&admin.csrf),
        ul = lang.pick("Tên đăng nhập", "Username"),
        pl = lang.pick("Mật khẩu", "Password"),
        unl = lang.pick("Đơn vị", "Unit"),
        rl = lang.pick("Vai trò", "Role"),
        units = unit_options(&units, admin, &admin.staff.unit),
        roles = role_options(Role::Staff, lang),
        go = lang.pick("Thêm tài khoản", "Add account"),
        note = match lang {
            Lang::Vi => format!("Tên đăng nhập gồm chữ không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới. Mật khẩu ít nhất {MIN_PASSWORD_CHARS} ký tự; hãy trao tận tay cho cán bộ. Cán bộ xem báo cáo chỉ đọc báo cáo và nhật ký; quản trị viên còn quản lý máy tính bảng và tài khoản."),
            Lang::En => format!("A username is letters without accents, digits, dots, dashes or underscores. A password has at least {MIN_PASSWORD_CHARS} characters; hand it over in person. Staff read reports and the log; an administrator also manages tablets and accounts."),
        },
    );
    body.push_str(&account_table(&units, admin, &accounts, lang, lc));
    Ok(layout(
        title,
        lang,
        &staff_bar(&admin.staff, &units, &links, lang),
        &body,
    ))
}

fn account_table(
    units: &OrgTree,
    admin: &Admin,
    accounts: &[StaffAccount],
    lang: Lang,
    lc: &str,
) -> String {
    let mut rows = String::new();
    for a in accounts {
        let name = &a.staff.username;
        let form = |what: &str, fields: &str, label: &str| {
            format!(
                r#"<form method="post" action="{STAFF}/{user}/{what}" class="inline"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lc}">{fields}<button type="submit" id="{what}-{user}">{label}</button></form>"#,
                user = esc(name),
                csrf = esc(&admin.csrf),
                label = esc(label),
            )
        };
        let password = form(
            "password",
            &format!(
                r#"<input type="password" name="password" id="password-{user}" minlength="{MIN_PASSWORD_CHARS}" required autocomplete="new-password" placeholder="{ph}" size="14">"#,
                user = esc(name),
                ph = lang.pick("Mật khẩu mới", "New password"),
            ),
            lang.pick("Đặt lại mật khẩu", "Reset password"),
        );
        // Their own account: a new password only (see `may_change`).
        let others = if *name == admin.staff.username {
            String::new()
        } else {
            let lock = if a.disabled_at.is_some() {
                form("enable", "", lang.pick("Mở khóa", "Enable"))
            } else {
                form("disable", "", lang.pick("Khóa tài khoản", "Disable"))
            };
            let place = form(
                "place",
                &format!(
                    r#"<select name="unit" id="unit-{user}">{units}</select><select name="role" id="role-{user}">{roles}</select>"#,
                    user = esc(name),
                    units = unit_options(units, admin, &a.staff.unit),
                    roles = role_options(a.staff.role, lang),
                ),
                lang.pick("Đổi đơn vị, vai trò", "Change unit, role"),
            );
            format!("{lock}{place}")
        };
        let state = match a.disabled_at {
            Some(at) => format!(
                r#"<span class="unmet">{} {}</span>"#,
                lang.pick("Đã khóa", "Disabled"),
                vietnam_time(at)
            ),
            None => format!(
                r#"<span class="met">{}</span>"#,
                lang.pick("Đang dùng", "Active")
            ),
        };
        let _ = write!(
            rows,
            r#"<tr data-account="{user}"><td><b>{user}</b></td><td>{unit}</td><td>{role}</td><td class="when">{created}</td><td>{state}</td><td><div class="actions">{password}{others}</div></td></tr>"#,
            user = esc(name),
            unit = esc(units
                .get(&a.staff.unit)
                .map_or(a.staff.unit.as_str(), |u| u.name.as_str())),
            role = esc(a.staff.role.label(lang)),
            created = vietnam_time(a.created_at),
        );
    }
    format!(
        r#"<div class="card"><h2>{h}</h2><table id="accounts"><thead><tr><th>{c1}</th><th>{c2}</th><th>{c3}</th><th>{c4}</th><th>{c5}</th><th></th></tr></thead><tbody>{rows}</tbody></table></div>"#,
        h = lang.pick("Tài khoản của đơn vị", "The unit's accounts"),
        c1 = lang.pick("Tên đăng nhập", "Username"),
        c2 = lang.pick("Đơn vị", "Unit"),
        c3 = lang.pick("Vai trò", "Role"),
        c4 = lang.pick("Ngày tạo", "Created"),
        c5 = lang.pick("Trạng thái", "State"),
    )
}

/// The note after an action: which account, what was done.
fn done_note(done: &str, lang: Lang) -> String {
    let (what, account) = done.split_once('-').unwrap_or((done, ""));
    let text = match what {
        "add" => lang.pick("Đã thêm tài khoản", "Added account"),
        "password" => lang.pick(
            "Đã đặt lại mật khẩu (các phiên đăng nhập cũ đã kết thúc) cho",
            "Password reset (earlier sign-ins ended) for",
        ),
        "disable" => lang.pick("Đã khóa tài khoản", "Disabled account"),
        "enable" => lang.pick("Đã mở khóa tài khoản", "Enabled account"),
        "place" => lang.pick(
            "Đã đổi đơn vị, vai trò của tài khoản",
            "Changed the unit and role of",
        ),
        _ => lang.pick(
            "Không có gì thay đổi với tài khoản",
            "Nothing changed for account",
        ),
    };
    super::html::done(&format!("{} {}.", esc(text), esc(account)))
}
