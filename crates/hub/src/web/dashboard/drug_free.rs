//! Communes classed drug-free (xã, phường, thị trấn không có ma túy) per year,
//! as the office decides it: a page listing the communes of the staff
//! member's unit with a tick each, and the form that saves them. The
//! report's drug-free section counts what is saved here.
//!
//! Staff of a unit above the commune (the district office) class the
//! communes within their unit; staff of a commune read the page but do not
//! class their own commune. Each save replaces that year's classing of the
//! communes listed and is logged with what it set, in one transaction.

use super::error::DashError;
use super::html::{esc, lang_of};
use super::pages::{layout, page_or_error, report_link, staff_bar};
use super::paths::DRUG_FREE;
use super::session::{on_storage, DashState, Signed};
use crate::rules::audit::Entry;
use crate::rules::staff::{outside_unit, Staff};
use crate::storage::{with_rows, HubStorage};
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use pcmt_model::{Lang, OrgLevel, OrgTree};
use serde::Deserialize;
use std::fmt::Write;

/// Years the page accepts: the app's records start in 2000.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

#[derive(Debug, Default, Deserialize)]
pub struct DrugFreeParams {
    year: Option<i32>,
    saved: Option<u8>,
    lang: Option<String>,
}

fn year_of(year: Option<i32>) -> Result<i32, DashError> {
    let year = year.unwrap_or_else(|| chrono::Local::now().year());
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(DashError::BadQuery(year.to_string()))
    }
}

/// Whether `staff` may class communes: a unit above the commune.
fn may_class(units: &OrgTree, staff: &Staff) -> bool {
    units
        .get(&staff.unit)
        .is_some_and(|u| matches!(u.level, OrgLevel::Province | OrgLevel::District))
}

fn link(year: i32, lang: Lang, saved: bool) -> String {
    let mut link = format!("{DRUG_FREE}?year={year}");
    if saved {
        link.push_str("&saved=1");
    }
    if lang == Lang::En {
        link.push_str("&lang=en");
    }
    link
}

pub(super) async fn page(
    State(state): State<DashState>,
    signed: Signed,
    Query(params): Query<DrugFreeParams>,
) -> Response {
    let lang = lang_of(params.lang.as_deref());
    let result = async {
        let year = year_of(params.year)?;
        let saved = params.saved.is_some();
        on_storage(&state.storage, move |s| {
            render(s, &signed, year, saved, lang)
        })
        .await
    }
    .await;
    page_or_error(result, lang)
}

fn render(
    s: &dyn HubStorage,
    signed: &Signed,
    year: i32,
    saved: bool,
    lang: Lang,
) -> Result<String, DashError> {
    let staff = &signed.staff;
    let units = s.units();
    let communes: Vec<_> = units.units_within(&staff.unit, OrgLevel::Commune).collect();
    let codes: Vec<String> = communes.iter().map(|c| c.code.clone()).collect();
    let classed = with_rows(s, |rows| rows.drug_free(year, &codes))??;
    let editable = may_class(&units, staff);
    let mut rows = String::new();
    for c in &communes {
        let state = classed
            .iter()
            .find(|(code, _)| *code == c.code)
            .map(|(_, f)| *f);
        let tick = if editable {
            format!(
                r#"<input type="hidden" name="commune" value="{code}"><input type="checkbox" name="free" value="{code}" id="free-{code}"{checked}>"#,
                code = esc(&c.code),
                checked = if state == Some(true) { " checked" } else { "" },
            )
        } else {
            String::new()
        };
        let word = match state {
            Some(true) => lang.pick("Không có ma túy", "Drug-free"),
            Some(false) => lang.pick("Có ma túy", "Not drug-free"),
            None => lang.pick("Chưa phân loại", "Not classed"),
        };
        let _ = write!(
            rows,
            r#"<tr data-commune="{code}"><td>{tick}</td><td><label for="free-{code}">{name}</label></td><td class="state">{word}</td></tr>"#,
            code = esc(&c.code),
            name = esc(&c.name),
        );
    }
    let title = lang.pick("Xã, phường, thị trấn không có ma túy", "Drug-free communes");
    let note = if saved {
        format!(
            r#"<p class="note" id="drug-free-saved">{}</p>"#,
            lang.pick(
                "Đã lưu phân loại và ghi vào nhật ký.",
                "Classing saved and logged."
            )
        )
    } else {
        String::new()
    };
    let action = if editable {
        format!(
            r#"<button class="primary" id="drug-free-save" type="submit">{}</button>"#,
            lang.pick("Lưu phân loại", "Save classing")
        )
    } else {
        format!(
            r#"<p class="note" id="drug-free-readonly">{}</p>"#,
            lang.pick(
                "Văn phòng cấp trên xã phân loại; tài khoản của xã chỉ xem.",
                "The office above the commune classes them; a commune's account only reads."
            )
        )
    };
    let body = format!(
        r#"<h1 id="drug-free-title">{title} · {year}</h1>{note}
<form class="card choose" method="get" action="{DRUG_FREE}"><input type="hidden" name="lang" value="{lc}"><label>{yl}<input id="year" name="year" type="number" min="2000" max="2100" value="{year}"></label><button type="submit">{show}</button></form>
<form class="card" method="post" action="{DRUG_FREE}" id="drug-free-form"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="year" value="{year}"><input type="hidden" name="lang" value="{lc}">
<p class="sub">{sub}</p><table id="drug-free"><thead><tr><th></th><th>{cl}</th><th>{sl}</th></tr></thead><tbody>{rows}</tbody></table>{action}</form>"#,
        title = esc(title),
        csrf = esc(&signed.csrf),
        lc = if lang == Lang::En { "en" } else { "vi" },
        yl = lang.pick("Năm", "Year"),
        show = lang.pick("Xem", "Show"),
        sub = lang.pick(
            "Đánh dấu các xã được công nhận không có ma túy trong năm; xã không đánh dấu được ghi là có ma túy. Báo cáo năm dùng phân loại này.",
            "Tick the communes recognised as drug-free this year; a commune left unticked is recorded as not drug-free. The year's report counts this classing."
        ),
        cl = lang.pick("Xã, phường, thị trấn", "Commune"),
        sl = lang.pick("Hiện tại", "Now"),
    );
    let links = report_link(lang);
    Ok(layout(
        title,
        lang,
        &staff_bar(staff, &units, &links, lang),
        &body,
    ))
}

/// Saves the form: every commune listed is classed for the year, ticked
/// ones drug-free. A commune outside the staff member's unit, or a staff
/// member of a commune, is refused (403) and nothing is saved.
pub(super) async fn save(
    State(state): State<DashState>,
    signed: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let lang = lang_of(value("lang"));
    let result = async {
        let year = value("year")
            .and_then(|y| y.trim().parse::<i32>().ok())
            .ok_or_else(|| DashError::BadQuery(value("year").unwrap_or_default().into()))
            .and_then(|y| year_of(Some(y)))?;
        let listed = |name: &str| -> Vec<String> {
            fields
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let free = listed("free");
        let mut communes: Vec<(String, bool)> = Vec::new();
        for code in listed("commune") {
            if !communes.iter().any(|(c, _)| *c == code) {
                let is_free = free.contains(&code);
                communes.push((code, is_free));
            }
        }
        signed.check(value("csrf").unwrap_or_default())?;
        let staff = signed.staff;
        on_storage(&state.storage, move |s| {
            let units = s.units();
            let outside = outside_unit(
                &units,
                &staff.unit,
                communes.iter().map(|(c, _)| c).chain(free.iter()),
            );
            if let Some(c) = outside {
                return Err(DashError::OutsideScope(c.clone()));
            }
            if !may_class(&units, &staff) {
                return Err(DashError::OutsideScope(staff.unit.clone()));
            }
            if communes.is_empty() {
                return Err(DashError::BadQuery(
                    lang.pick("không có xã nào", "no commune").into(),
                ));
            }
            let at = chrono::Utc::now().timestamp();
            let entry = Entry::drug_free_classed(&staff.username, year, &communes);
            s.class_drug_free(year, &communes, at, &entry)?;
            Ok(year)
        })
        .await
    }
    .await;
    match result {
        Ok(year) => Redirect::to(&link(year, lang, true)).into_response(),
        Err(e) => e.page(lang),
    }
}
