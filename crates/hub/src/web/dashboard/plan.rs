//! The province plan set from the browser (kế hoạch, hạn báo cáo, chỉ tiêu;
//! issue 19): when each periodic report is due and each indicator's target.
//! Every report the hub shows or files is judged against the plan in force
//! (`Report::apply_plan`). Only an administrator whose unit covers every
//! commune the hub serves sets it (`rules::staff::sets_plan`): a commune's
//! administrator cannot move its own targets. The form is checked whole
//! (`Plan::problems`): a plan with any problem changes nothing and comes
//! back with every problem listed and the values as typed.

use super::admin::Admin;
use super::error::DashError;
use super::html::{done, esc, lang_of};
use super::pages::{layout, page_or_error, report_link, staff_bar};
use super::paths::PLAN;
use super::session::{on_storage, DashState};
use crate::rules::audit::Entry;
use crate::rules::staff::sets_plan;
use crate::storage::HubStorage;
use axum::extract::{Form, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use pcmt_model::report::{Comparison, Target, INDICATORS};
use pcmt_model::{DayMonth, Labelled, Lang, Plan, PlanTarget};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write;

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    lang: Option<String>,
    saved: Option<u8>,
}

fn may_set(storage: &dyn HubStorage, admin: &Admin) -> Result<(), DashError> {
    if sets_plan(&storage.units(), &admin.staff) {
        Ok(())
    } else {
        Err(DashError::NotPlanner)
    }
}

pub(super) async fn page(
    State(state): State<DashState>,
    admin: Admin,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(q.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        may_set(s, &admin)?;
        let plan = s.plan()?;
        Ok(render(
            s,
            &admin,
            lang,
            &fields_of(&plan),
            &[],
            q.saved.is_some(),
        ))
    })
    .await;
    page_or_error(result, lang)
}

/// What a posted plan comes to: saved (back to the page, which says so),
/// or refused with the form again and its problems.
enum Saved {
    Saved(String),
    Refused(String),
}

pub(super) async fn save(
    State(state): State<DashState>,
    admin: Admin,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(form.get("lang").map(String::as_str));
    let result = on_storage(&state.storage, move |s| {
        admin.check(form.get("csrf").map_or("", String::as_str))?;
        may_set(s, &admin)?;
        Ok(match plan_of(&form, lang) {
            Ok(plan) => {
                s.set_plan(
                    &plan,
                    &Entry::plan_set(&admin.staff.username, &admin.staff.unit, &plan),
                )?;
                Saved::Saved(format!(
                    "{PLAN}?saved=1{}",
                    if lang == Lang::En { "&lang=en" } else { "" }
                ))
            }
            Err(problems) => Saved::Refused(render(s, &admin, lang, &form, &problems, false)),
        })
    })
    .await;
    match result {
        Ok(Saved::Saved(to)) => Redirect::to(&to).into_response(),
        // 422 so a script sees the refusal too.
        Ok(Saved::Refused(html)) => {
            (axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response()
        }
        Err(e) => e.page(lang),
    }
}

/// The form's fields for a plan: what the page shows before any edit.
fn fields_of(plan: &Plan) -> HashMap<String, String> {
    let mut f = HashMap::new();
    f.insert("name".into(), plan.name.clone());
    f.insert("monthly".into(), plan.monthly_by_day.to_string());
    let mut day_month = |key: &str, dm: Option<DayMonth>| {
        if let Some(dm) = dm {
            f.insert(format!("{key}-day"), dm.day.to_string());
            f.insert(format!("{key}-month"), dm.month.to_string());
        }
    };
    day_month("first-half", Some(plan.first_half_by));
    day_month("second-half", plan.second_half_by);
    day_month("year", Some(plan.year_by));
    for t in &plan.targets {
        let code = t.indicator.code();
        f.insert(format!("cmp-{code}"), t.target.comparison.code().into());
        f.insert(format!("value-{code}"), number_text(t.target.value));
    }
    f
}

fn number_text(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        v.to_string()
    }
}

/// The plan a posted form describes, or every problem with it in the
/// staff member's words.
fn plan_of(form: &HashMap<String, String>, lang: Lang) -> Result<Plan, Vec<String>> {
    let mut problems = Vec::new();
    let field = |key: &str| form.get(key).map_or("", |v| v.trim());
    let mut number = |key: &str, what: &str| -> Option<u32> {
        let n = field(key).parse::<u32>().ok();
        if n.is_none() {
            problems.push(format!(
                "{what}: {}",
                lang.pick("hãy nhập một số nguyên.", "type a whole number.")
            ));
        }
        n
    };
    let monthly = number(
        "monthly",
        lang.pick("Hạn báo cáo tháng", "Monthly deadline"),
    );
    let mut day_month = |key: &str, what: &str| -> Option<DayMonth> {
        let day = number(&format!("{key}-day"), what)?;
        let month = number(&format!("{key}-month"), what)?;
        Some(DayMonth::new(day, month))
    };
    let first = day_month(
        "first-half",
        lang.pick("Hạn báo cáo 6 tháng đầu năm", "First half-year deadline"),
    );
    let second = if field("second-half-on").is_empty() {
        None
    } else {
        day_month(
            "second-half",
            lang.pick("Hạn báo cáo 6 tháng cuối năm", "Second half-year deadline"),
        )
    };
    let year = day_month("year", lang.pick("Hạn báo cáo năm", "Yearly deadline"));
    let mut targets = Vec::new();
    for def in INDICATORS {
        let code = def.code.code();
        let Some(comparison) = Comparison::from_code(field(&format!("cmp-{code}"))) else {
            continue;
        };
        match field(&format!("value-{code}"))
            .replace(',', ".")
            .parse::<f64>()
        {
            Ok(value) => targets.push(PlanTarget {
                indicator: def.code,
                target: Target { comparison, value },
            }),
            Err(_) => problems.push(format!(
                "{}: {}",
                def.code.label(lang),
                lang.pick(
                    "hãy nhập chỉ tiêu là một số.",
                    "type the target as a number."
                )
            )),
        }
    }
    let (Some(monthly_by_day), Some(first_half_by), Some(year_by)) = (monthly, first, year) else {
        return Err(problems);
    };
    if !field("second-half-on").is_empty() && second.is_none() {
        return Err(problems);
    }
    let plan = Plan {
        name: field("name").to_string(),
        monthly_by_day,
        first_half_by,
        second_half_by: second,
        year_by,
        targets,
    };
    problems.extend(plan.problems().iter().map(|p| p.text(lang)));
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

fn render(
    storage: &dyn HubStorage,
    admin: &Admin,
    lang: Lang,
    fields: &HashMap<String, String>,
    problems: &[String],
    saved: bool,
) -> String {
    let units = storage.units();
    let field = |key: &str| esc(fields.get(key).map_or("", String::as_str));
    let lc = if lang == Lang::En { "en" } else { "vi" };
    let title = lang.pick(
        "Kế hoạch: hạn báo cáo và chỉ tiêu",
        "Plan: deadlines and targets",
    );
    let mut body = format!(
        r#"<h1 id="plan-title">{title}</h1><p class="sub">{sub}</p>"#,
        title = esc(title),
        sub = lang.pick(
            "Hạn gửi báo cáo định kỳ và chỉ tiêu theo kế hoạch của tỉnh. Mọi báo cáo trên trang này và trong các tệp tải về được đánh giá theo kế hoạch đang áp dụng. Mỗi lần lưu được ghi vào nhật ký.",
            "When each periodic report is due and each indicator's target, as the province's plan sets them. Every report on this site and in its files is judged against the plan in force. Each save is logged."
        ),
    );
    if saved {
        body.push_str(&done(lang.pick(
            "Đã lưu kế hoạch; các báo cáo từ nay theo kế hoạch này.",
            "Plan saved; reports now follow it.",
        )));
    }
    if !problems.is_empty() {
        let items: String = problems
            .iter()
            .map(|p| format!("<li>{}</li>", esc(p)))
            .collect();
        let _ = write!(
            body,
            r#"<div class="error" id="plan-errors" role="alert">{}<ul>{items}</ul></div>"#,
            lang.pick("Kế hoạch chưa được lưu:", "The plan was not saved:")
        );
    }
    let day_month = |key: &str, label: &str| {
        format!(
            r#"<label>{label}<span class="daymonth"><input type="number" min="1" max="31" name="{key}-day" id="{key}-day" value="{d}"> / <input type="number" min="1" max="12" name="{key}-month" id="{key}-month" value="{m}"></span></label>"#,
            d = field(&format!("{key}-day")),
            m = field(&format!("{key}-month")),
        )
    };
    let mut rows = String::new();
    for def in INDICATORS {
        let code = def.code.code();
        let chosen = fields
            .get(&format!("cmp-{code}"))
            .map_or("", String::as_str);
        let mut options = format!(
            r#"<option value=""{}>{}</option>"#,
            if chosen.is_empty() { " selected" } else { "" },
            lang.pick("Không có chỉ tiêu", "No target")
        );
        for c in Comparison::ALL {
            let _ = write!(
                options,
                r#"<option value="{v}"{sel}>{label}</option>"#,
                v = c.code(),
                sel = if c.code() == chosen { " selected" } else { "" },
                label = esc(c.label(lang)),
            );
        }
        let _ = write!(
            rows,
            r#"<tr data-code="{code}"><td>{name}</td><td><select name="cmp-{code}" id="cmp-{code}">{options}</select></td><td><input type="text" inputmode="decimal" size="8" name="value-{code}" id="value-{code}" value="{value}"> {unit}</td></tr>"#,
            name = esc(def.code.label(lang)),
            value = field(&format!("value-{code}")),
            unit = esc(def.unit.label(lang)),
        );
    }
    let _ = write!(
        body,
        r#"<form method="post" action="{PLAN}" id="plan-form">
<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lc}">
<div class="card choose"><h2 style="flex-basis:100%">{h1}</h2>
<label style="flex-basis:100%">{nl}<input name="name" id="plan-name" size="60" maxlength="200" value="{name}"></label>
<label>{ml}<input type="number" min="1" max="28" name="monthly" id="monthly" value="{monthly}"></label>
{first}
<label class="tick"><input type="checkbox" name="second-half-on" id="second-half-on" value="1"{second_on}> {sl}</label>
{second}
{year}
</div>
<div class="card"><h2>{h2}</h2><table id="targets"><thead><tr><th>{c1}</th><th>{c2}</th><th>{c3}</th></tr></thead><tbody>{rows}</tbody></table></div>
<button class="primary" id="save-plan" type="submit">{go}</button></form>"#,
        csrf = esc(&admin.csrf),
        h1 = lang.pick("Hạn gửi báo cáo", "Report deadlines"),
        nl = lang.pick(
            "Tên kế hoạch (ví dụ: Kế hoạch số 45/KH-UBND)",
            "The plan's name (e.g. Kế hoạch số 45/KH-UBND)"
        ),
        name = field("name"),
        ml = lang.pick(
            "Báo cáo tháng: trước ngày … của tháng sau",
            "Monthly: before day … of the next month"
        ),
        monthly = field("monthly"),
        first = day_month(
            "first-half",
            lang.pick(
                "Báo cáo 6 tháng đầu năm: trước ngày",
                "First half-year: before"
            )
        ),
        second_on = if fields.get("second-half-on").is_some_and(|v| !v.is_empty())
            || fields.contains_key("second-half-day")
        {
            " checked"
        } else {
            ""
        },
        sl = lang.pick(
            "Có hạn riêng cho báo cáo 6 tháng cuối năm",
            "The second half-year has its own deadline"
        ),
        second = day_month(
            "second-half",
            lang.pick(
                "Báo cáo 6 tháng cuối năm: trước ngày",
                "Second half-year: before"
            )
        ),
        year = day_month(
            "year",
            lang.pick("Báo cáo năm: trước ngày", "Yearly: before")
        ),
        h2 = lang.pick("Chỉ tiêu", "Targets"),
        c1 = lang.pick("Chỉ tiêu báo cáo", "Indicator"),
        c2 = lang.pick("So sánh", "Comparison"),
        c3 = lang.pick("Mức chỉ tiêu", "Target"),
        go = lang.pick("Lưu kế hoạch", "Save the plan"),
    );
    let links = report_link(lang);
    layout(
        title,
        lang,
        &staff_bar(&admin.staff, &units, &links, lang),
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_of_a_plan_reads_back_as_the_same_plan() {
        let mut plan = Plan::bundled();
        plan.name = "Kế hoạch số 45/KH-UBND".into();
        plan.second_half_by = Some(DayMonth::new(16, 12));
        let mut fields = fields_of(&plan);
        fields.insert("second-half-on".into(), "1".into());
        assert_eq!(plan_of(&fields, Lang::Vi), Ok(plan));
    }

    #[test]
    fn a_form_with_words_for_numbers_says_which_and_makes_no_plan() {
        let mut fields = fields_of(&Plan::bundled());
        fields.insert("monthly".into(), "mười bảy".into());
        fields.insert("value-support_reached".into(), "tám mươi".into());
        let problems = plan_of(&fields, Lang::Vi).unwrap_err();
        assert_eq!(
            problems,
            vec![
                "Hạn báo cáo tháng: hãy nhập một số nguyên.".to_string(),
                format!(
                    "{}: hãy nhập chỉ tiêu là một số.",
                    pcmt_model::report::IndicatorCode::SupportReached.label(Lang::Vi)
                ),
            ]
        );
    }
}
