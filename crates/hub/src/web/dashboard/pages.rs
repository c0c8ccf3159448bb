//! The dashboard's HTML, written on the server. Vietnamese first (English
//! through `?lang=en`), no framework, no asset fetched from anywhere: the
//! style sheet is inline, the charts are inline SVG, and the only script
//! shows the fields of the chosen period kind.

use super::charts::{bar_chart, boundaries, site_plot};
use super::error::DashError;
use super::figures::{Figures, MonthFigures};
use super::html::{esc, number};
use super::paths::{
    AUDIT, DRUG_FREE, DUPLICATES, HOME, IMPORT, LOGIN, LOGOUT, MOVE, PLAN, REGISTER, STAFF,
    TABLETS, UNITS,
};
use super::query::ReportQuery;
use crate::rules::staff::Staff;
use axum::response::{Html, IntoResponse, Response};
use chrono::Datelike;
use pcmt_export::indicator_headers;
use pcmt_model::report::ExportFormat;
use pcmt_model::report::{
    comparison_headers, Indicator, IndicatorCode as I, NamedUnit, PeriodKind, Report, Section,
};
use pcmt_model::{Labelled, Lang, OrgLevel, OrgTree};
use std::fmt::Write;

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans","Segoe UI",Roboto,Arial,sans-serif;font-size:15px;color:#1b2430;background:#eef2f6;line-height:1.45}
header{background:#0b3a66;color:#fff;display:flex;align-items:center;gap:16px;padding:10px 24px}
header .brand{font-weight:700;font-size:17px;flex:1}
header a,header button{color:#fff}
header .who{font-size:14px}
header form{margin:0}
header button{background:transparent;border:1px solid #fff;border-radius:6px;padding:5px 12px;font:inherit;cursor:pointer}
main{max-width:1240px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:22px;margin:6px 0 2px}
h2{font-size:18px;margin:0 0 10px;color:#0b3a66}
h3{font-size:15px;margin:14px 0 6px}
.sub{color:#46505c;margin:0 0 14px}
.card{background:#fff;border:1px solid #d5dbe3;border-radius:10px;padding:16px 18px;margin:0 0 16px}
form.choose,div.choose{display:flex;flex-wrap:wrap;gap:12px 16px;align-items:flex-end}
form.choose label,div.choose label{display:flex;flex-direction:column;font-size:13px;font-weight:600;color:#33404d;gap:4px}
form.choose [hidden]{display:none}
input,select{font:inherit;font-weight:400;padding:6px 8px;border:1px solid #8b96a3;border-radius:6px;background:#fff;color:#1b2430;min-height:36px}
input[type=number]{width:96px}
.button,button.primary{display:inline-block;background:#1f5f99;color:#fff;border:0;border-radius:6px;padding:8px 16px;font:inherit;font-weight:600;text-decoration:none;cursor:pointer;min-height:36px}
.button:hover,button.primary:hover{background:#174a78}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:0 0 16px}
.kpi{background:#fff;border:1px solid #d5dbe3;border-radius:10px;padding:12px 16px}
.kpi b{display:block;font-size:26px;color:#0b3a66}
.kpi span{font-size:13px;color:#46505c}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e1e6ec;padding:7px 8px;text-align:left;vertical-align:top}
th{background:#f3f6f9;font-size:13px;color:#33404d}
td.num,th.num{text-align:right;white-space:nowrap}
.parts{color:#5b6672;font-size:12px;display:block}
.met,.unmet{display:inline-block;border-radius:999px;padding:2px 10px;font-weight:700;font-size:13px;white-space:nowrap}
.met{background:#dff3e4;color:#0f5b2a}
.unmet{background:#fde2e1;color:#8a1c13}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.charts figure{margin:0}
.charts figcaption{font-weight:600;margin:0 0 4px}
svg.chart,svg.plot{width:100%;height:auto;display:block}
svg text{font-family:inherit}
svg .axis{font-size:11px;fill:#46505c}
svg .value{font-size:11px;fill:#1b2430;font-weight:600}
svg .empty{font-size:15px;fill:#46505c}
.two{display:grid;grid-template-columns:3fr 2fr;gap:16px;align-items:start}
.boundaries{display:flex;flex-wrap:wrap;gap:8px}
svg.boundary{width:150px;height:150px}
#communes td:first-child{white-space:nowrap}
.pending{background:#fff6d6;border:1px solid #ecd58a;color:#5c4700;border-radius:8px;padding:8px 12px;margin:0 0 14px;font-size:14px}
.note{font-size:13px;color:#46505c}
.downloads{display:flex;flex-direction:column;gap:10px;align-items:flex-start}
.error{background:#fde2e1;color:#8a1c13;border:1px solid #f2b8b5;border-radius:8px;padding:10px 12px;margin:0 0 12px;font-weight:600}
.login{max-width:400px;margin:60px auto}
.login form{display:flex;flex-direction:column;gap:12px}
.login label{display:flex;flex-direction:column;gap:4px;font-weight:600}
.lists{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}
.lists ul{margin:4px 0 0;padding-left:18px}
.pager{display:flex;gap:12px;align-items:center;margin:12px 0 0}
td.when,td.short{white-space:nowrap}
.issued .code{font-size:44px;font-weight:800;letter-spacing:4px;font-family:"Noto Sans Mono",monospace;color:#0b3a66;margin:4px 0 8px}
.done{background:#dff3e4;color:#0f5b2a;border:1px solid #a9dcb7;border-radius:8px;padding:8px 12px;font-weight:600}
fieldset.communes{border:1px solid #d5dbe3;border-radius:8px;display:flex;flex-wrap:wrap;gap:8px 18px;padding:8px 12px}
label.tick{flex-direction:row !important;align-items:center;font-weight:400 !important;min-height:36px}
label.tick input{min-height:auto;width:20px;height:20px}
tr.silent td{background:#fff6d6}
div.actions{display:flex;flex-wrap:wrap;gap:8px}
div.actions form.inline{display:flex;gap:6px;align-items:center}
.daymonth{display:flex;gap:6px;align-items:center}
.daymonth input{width:72px}
#plan-form > button{margin:0 0 16px}
div.actions form{margin:0}
form.merge,#move-form{display:flex;flex-direction:column;gap:10px;align-items:flex-start}
form.merge{border-top:1px solid #d5dbe3;margin:12px 0 0;padding:12px 0 0}
form.merge label,#move-form label{display:flex;flex-direction:column;gap:4px;font-weight:600}
form.merge select,#move-form select,#move-form input{min-height:40px;font:inherit;padding:4px 8px}
div.actions button{font:inherit;border:1px solid #8a1c13;color:#8a1c13;background:#fff;border-radius:6px;padding:6px 12px;cursor:pointer;min-height:36px}
div.attachments{display:flex;flex-wrap:wrap;gap:12px}
figure.attachment{margin:0;width:176px;font-size:13px}
figure.attachment img,figure.attachment .file{display:block;width:176px;height:132px;object-fit:cover;border-radius:6px;border:1px solid #d5dbe3;background:#f3f6f9}
figure.attachment .file{display:flex;align-items:center;justify-content:center;font-weight:700;color:#0b3a66}
figure.attachment figcaption{margin:4px 0}
form.purge{display:flex;flex-direction:column;gap:4px}
form.purge input{min-height:32px;font-size:13px}
form.purge button{font:inherit;font-size:13px;border:1px solid #8a1c13;color:#8a1c13;background:#fff;border-radius:6px;padding:4px 10px;cursor:pointer;min-height:32px}
#site-photos figure.attachment{width:132px}
#site-photos figure.attachment img,#site-photos figure.attachment .file{width:132px;height:99px}
"#;

/// Shows only the fields of the chosen period kind; without script every
/// field shows and the server reads the ones the kind needs.
const SCRIPT: &str = "const k=document.getElementById('kind');\
function sync(){for(const el of document.querySelectorAll('[data-kinds]')){el.hidden=!el.dataset.kinds.split(' ').includes(k.value);}}\
k.addEventListener('change',sync);sync();";

pub(super) fn layout(title: &str, lang: Lang, header_right: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="{code}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title><style>{STYLE}</style></head><body><header><span class="brand">Sổ tay PCMT · {brand}</span>{header_right}</header><main>{body}</main></body></html>"#,
        code = match lang {
            Lang::Vi => "vi",
            Lang::En => "en",
        },
        title = esc(title),
        brand = lang.pick("Trang tổng hợp của văn phòng", "Office dashboard"),
    )
}

fn lang_toggle(href_base: &str, query: &ReportQuery, lang: Lang) -> String {
    let other = match lang {
        Lang::Vi => Lang::En,
        Lang::En => Lang::Vi,
    };
    let q = query.to_query(other);
    let href = if q.is_empty() {
        href_base.to_string()
    } else {
        format!("{href_base}?{q}")
    };
    format!(
        r#"<a id="lang" href="{}">{}</a>"#,
        esc(&href),
        lang.pick("English", "Tiếng Việt")
    )
}

pub fn login_page(error: Option<&str>, username: &str, lang: Lang) -> String {
    let error = error
        .map(|e| {
            format!(
                r#"<p class="error" id="login-error" role="alert">{}</p>"#,
                esc(e)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<div class="card login"><h1>{h}</h1><p class="sub">{sub}</p>{error}<form method="post" action="{LOGIN}"><input type="hidden" name="lang" value="{lc}"><label>{u}<input id="username" name="username" autocomplete="username" required value="{name}"></label><label>{p}<input id="password" name="password" type="password" autocomplete="current-password" required></label><button class="primary" id="sign-in" type="submit">{go}</button></form></div>"#,
        h = lang.pick("Đăng nhập", "Sign in"),
        sub = lang.pick(
            "Dành cho cán bộ văn phòng Ban Chỉ đạo có tài khoản trên máy chủ này.",
            "For steering-committee office staff with an account on this hub."
        ),
        lc = if lang == Lang::En { "en" } else { "vi" },
        u = lang.pick("Tên đăng nhập", "Username"),
        p = lang.pick("Mật khẩu", "Password"),
        name = esc(username),
        go = lang.pick("Đăng nhập", "Sign in"),
    );
    let toggle = lang_toggle(LOGIN, &ReportQuery::default(), lang);
    layout(lang.pick("Đăng nhập", "Sign in"), lang, &toggle, &body)
}

pub fn error_page(message: &str, lang: Lang) -> String {
    let body = format!(
        r#"<div class="card"><p class="error" id="page-error" role="alert">{}</p><a class="button" href="{HOME}">{}</a></div>"#,
        esc(message),
        lang.pick("Về trang tổng hợp", "Back to the dashboard")
    );
    layout(lang.pick("Lỗi", "Error"), lang, "", &body)
}

fn options(items: impl Iterator<Item = (String, String)>, selected: &str) -> String {
    items
        .map(|(value, label)| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                esc(&value),
                if value == selected { " selected" } else { "" },
                esc(&label)
            )
        })
        .collect()
}

/// The staff member's unit and every province, district and commune below
/// it, indented by depth.
fn unit_options(units: &OrgTree, staff: &Staff, chosen: &str) -> String {
    let mut list: Vec<(usize, &pcmt_model::OrgUnit)> = Vec::new();
    for (depth, level) in [OrgLevel::Province, OrgLevel::District, OrgLevel::Commune]
        .into_iter()
        .enumerate()
    {
        list.extend(units.units_within(&staff.unit, level).map(|u| (depth, u)));
    }
    // Each unit right after its parent: sort by code, which nests.
    list.sort_by(|a, b| a.1.code.cmp(&b.1.code));
    let top = list.iter().map(|(d, _)| *d).min().unwrap_or(0);
    options(
        list.into_iter().map(|(depth, u)| {
            (
                u.code.clone(),
                format!("{}{}", "— ".repeat(depth - top), u.name),
            )
        }),
        chosen,
    )
}

fn chooser(q: &ReportQuery, report: &Report, units: &OrgTree, staff: &Staff, lang: Lang) -> String {
    let p = &report.period;
    let kind = p.kind;
    let months = (1..=12u32).map(|m| {
        (
            m.to_string(),
            format!("{} {m}", lang.pick("Tháng", "Month")),
        )
    });
    let halves = [
        (
            "1".to_string(),
            lang.pick("6 tháng đầu năm", "First half").to_string(),
        ),
        (
            "2".to_string(),
            lang.pick("6 tháng cuối năm", "Second half").to_string(),
        ),
    ];
    let half = if p.from.month() <= 6 { "1" } else { "2" };
    format!(
        r#"<form class="card choose" method="get" action="{HOME}" id="choose">
<input type="hidden" name="lang" value="{lc}">
<label>{kl}<select id="kind" name="kind">{kinds}</select></label>
<label data-kinds="month half_year year">{yl}<input id="year" name="year" type="number" min="2000" max="2100" value="{year}"></label>
<label data-kinds="month">{ml}<select id="month" name="month">{months}</select></label>
<label data-kinds="half_year">{hl}<select id="half" name="half">{halves}</select></label>
<label data-kinds="range">{fl}<input id="from" name="from" type="date" value="{from}"></label>
<label data-kinds="range">{ul}<input id="until" name="until" type="date" value="{until}"></label>
<label>{unl}<select id="unit" name="unit">{unit_opts}</select></label>
<button class="primary" id="show" type="submit">{go}</button>
</form><script>{SCRIPT}</script>"#,
        lc = if lang == Lang::En { "en" } else { "vi" },
        kl = lang.pick("Kỳ báo cáo", "Period"),
        kinds = options(
            PeriodKind::ALL
                .iter()
                .map(|k| (k.code().to_string(), k.label(lang).to_string())),
            kind.code()
        ),
        yl = lang.pick("Năm", "Year"),
        year = p.from.year(),
        ml = lang.pick("Tháng", "Month"),
        months = options(months, &p.from.month().to_string()),
        hl = lang.pick("Nửa năm", "Half"),
        halves = options(halves.into_iter(), half),
        fl = lang.pick("Từ ngày", "From"),
        from = p.from,
        ul = lang.pick("Đến ngày", "Until"),
        until = p.until,
        unl = lang.pick("Đơn vị", "Unit"),
        unit_opts = unit_options(units, staff, q.unit().unwrap_or(&report.unit.code)),
        go = lang.pick("Xem báo cáo", "Show report"),
    )
}

fn value_cell(i: &Indicator, lang: Lang) -> String {
    let value = i.value_text(lang);
    let parts = match (i.numerator, i.denominator) {
        (Some(a), Some(b)) => format!(r#"<span class="parts">{a}/{b}</span>"#),
        _ => String::new(),
    };
    format!(r#"<td class="num">{value}{parts}</td>"#)
}

fn badge(i: &Indicator, lang: Lang) -> String {
    let class = match i.met {
        Some(true) => "met",
        Some(false) => "unmet",
        None => return String::new(),
    };
    format!(r#"<span class="{class}">{}</span>"#, i.assessment(lang))
}

fn indicators(report: &Report, lang: Lang) -> String {
    let [no, name, unit, value, target, met] = indicator_headers(lang);
    let [previous, change] = comparison_headers(lang);
    let mut html = format!(
        r#"<section class="card"><h2>{}</h2><p class="sub" id="previous-period">{}</p><table id="indicators"><thead><tr><th class="num">{no}</th><th>{name}</th><th>{unit}</th><th class="num">{value}</th><th>{target}</th><th>{met}</th><th class="num">{previous}</th><th class="num">{change}</th></tr></thead><tbody>"#,
        lang.pick("Các chỉ tiêu", "Indicators"),
        esc(&report.previous_note(lang)),
    );
    let mut n = 0;
    for section in Section::ALL {
        let _ = write!(
            html,
            r#"<tr><th colspan="8">{}</th></tr>"#,
            esc(section.label(lang))
        );
        for i in report.section(*section) {
            n += 1;
            let _ = write!(
                html,
                r#"<tr data-code="{code}"><td class="num">{n}</td><td>{label}</td><td>{unit}</td>{value}<td>{target}</td><td>{badge}</td><td class="num previous">{previous}</td><td class="num change">{change}</td></tr>"#,
                code = i.code.code(),
                label = esc(i.code.label(lang)),
                unit = esc(i.code.def().unit.label(lang)),
                value = value_cell(i, lang),
                target = esc(&i.target_text(lang)),
                badge = badge(i, lang),
                previous = i.previous_text(lang),
                change = esc(&i.change_text(lang)),
            );
        }
    }
    html.push_str("</tbody></table></section>");
    html
}

fn kpis(report: &Report, lang: Lang) -> String {
    let kpi = |code: I, label: &str| {
        let v = report.indicator(code).and_then(|i| i.value).unwrap_or(0.0);
        format!(
            r#"<div class="kpi" id="kpi-{}"><b>{}</b><span>{}</span></div>"#,
            code.code(),
            number(v, 0, lang),
            esc(label)
        )
    };
    format!(
        r#"<div class="kpis">{}{}{}{}</div>"#,
        kpi(I::Sessions, lang.pick("buổi tuyên truyền", "sessions held")),
        kpi(I::Attendees, lang.pick("lượt người tham dự", "attendees")),
        kpi(
            I::PeopleManaged,
            lang.pick("người đang quản lý", "people under management")
        ),
        kpi(
            I::PlantsDestroyed,
            lang.pick("cây bị triệt xóa", "plants destroyed")
        ),
    )
}

fn trends(months: &[MonthFigures], lang: Lang) -> String {
    let series = |pick: fn(&MonthFigures) -> f64| -> Vec<(String, f64)> {
        months.iter().map(|m| (m.label(), pick(m))).collect()
    };
    let charts = [
        (
            "chart-sessions",
            lang.pick("Số buổi tuyên truyền", "Sessions held"),
            series(|m| m.sessions),
        ),
        (
            "chart-attendees",
            lang.pick("Số lượt người tham dự", "Attendees"),
            series(|m| m.attendees),
        ),
        (
            "chart-checkins",
            lang.pick("Lượt gặp đã thực hiện", "Check-ins done"),
            series(|m| m.checkins),
        ),
        (
            "chart-plants",
            lang.pick("Số cây bị triệt xóa", "Plants destroyed"),
            series(|m| m.plants_destroyed),
        ),
    ];
    let span = match (months.first(), months.last()) {
        (Some(a), Some(b)) => format!(
            "{} {} {} {}",
            lang.pick("Từ tháng", "From"),
            a.month.format("%m/%Y"),
            lang.pick("đến tháng", "to"),
            b.month.format("%m/%Y")
        ),
        _ => String::new(),
    };
    let mut html = format!(
        r#"<section class="card"><h2>{}</h2><p class="sub">{span}</p><div class="charts">"#,
        lang.pick("Diễn biến theo tháng", "Trends by month")
    );
    for (id, title, bars) in charts {
        let _ = write!(
            html,
            "<figure><figcaption>{}</figcaption>{}</figure>",
            esc(title),
            bar_chart(id, title, &bars, lang)
        );
    }
    html.push_str("</div></section>");
    html
}

fn share_cell(r: &Report, code: I) -> String {
    match r
        .indicator(code)
        .and_then(|i| i.numerator.zip(i.denominator))
    {
        Some((_, 0)) | None => r#"<td class="num">—</td>"#.into(),
        Some((a, b)) => format!(r#"<td class="num">{a}/{b}</td>"#),
    }
}

fn communes(figures: &Figures, lang: Lang) -> String {
    let amount = |r: &Report, code: I| {
        let v = r.indicator(code).and_then(|i| i.value).unwrap_or(0.0);
        format!(r#"<td class="num">{}</td>"#, number(v, 0, lang))
    };
    let mut html = format!(
        r#"<section class="card"><h2>{h}</h2><table id="communes"><thead><tr><th>{c}</th><th class="num">{s}</th><th class="num">{a}</th><th>{reach}</th><th class="num">{sch}</th><th class="num">{z}</th><th class="num">{m}</th><th class="num">{f}</th><th class="num">{sv}</th><th class="num">{pl}</th></tr></thead><tbody>"#,
        h = lang.pick("Các xã và độ bao phủ", "Communes and coverage"),
        c = lang.pick("Xã, phường, thị trấn", "Commune"),
        s = lang.pick("Buổi tuyên truyền", "Sessions"),
        a = lang.pick("Người tham dự", "Attendees"),
        reach = lang.pick("Được tuyên truyền", "Reached"),
        sch = lang.pick("Trường học đã đến", "Schools reached"),
        z = lang.pick("Khu, cụm CN đã đến", "Industrial zones reached"),
        m = lang.pick("Người đang quản lý", "People managed"),
        f = lang.pick("Hồ sơ cập nhật", "Files up to date"),
        sv = lang.pick("Đợt rà soát", "Surveys"),
        pl = lang.pick("Cây bị triệt xóa", "Plants destroyed"),
    );
    for r in &figures.communes {
        let reached = r
            .indicator(I::CommunesReached)
            .map(|i| badge(i, lang))
            .unwrap_or_default();
        let _ = write!(
            html,
            r#"<tr data-commune="{code}"><td>{name}</td>{s}{a}<td>{reached}</td>{sch}{z}{m}{f}{sv}{pl}</tr>"#,
            code = esc(&r.unit.code),
            name = esc(&r.unit.name),
            s = amount(r, I::Sessions),
            a = amount(r, I::Attendees),
            sch = share_cell(r, I::SchoolsReached),
            z = share_cell(r, I::ZonesReached),
            m = amount(r, I::PeopleManaged),
            f = share_cell(r, I::FilesUpToDate),
            sv = amount(r, I::Surveys),
            pl = amount(r, I::PlantsDestroyed),
        );
    }
    html.push_str("</tbody></table>");
    let list = |id: &str, title: &str, units: &[NamedUnit]| {
        let items = if units.is_empty() {
            format!("<li>{}</li>", lang.pick("Không có", "None"))
        } else {
            units
                .iter()
                .map(|u| format!("<li>{}</li>", esc(&u.name)))
                .collect()
        };
        format!(
            r#"<div id="{id}"><h3>{}</h3><ul>{items}</ul></div>"#,
            esc(title)
        )
    };
    let r = &figures.report;
    let _ = write!(
        html,
        r#"<div class="lists">{}{}{}{}</div></section>"#,
        list(
            "not-reached-communes",
            lang.pick("Xã chưa được tuyên truyền", "Communes not reached"),
            &r.communes_not_reached
        ),
        list(
            "not-reached-schools",
            lang.pick("Trường học chưa được tuyên truyền", "Schools not reached"),
            &r.schools_not_reached
        ),
        list(
            "not-reached-zones",
            lang.pick(
                "Khu, cụm công nghiệp chưa được tuyên truyền",
                "Industrial zones not reached"
            ),
            &r.zones_not_reached
        ),
        list(
            "not-reached-agencies",
            lang.pick(
                "Cơ quan, đơn vị chưa được tuyên truyền",
                "Agencies not reached"
            ),
            &r.agencies_not_reached
        ),
    );
    html
}

fn sites_and_downloads(figures: &Figures, q: &ReportQuery, lang: Lang) -> String {
    let query = q.to_query(lang);
    let buttons: String = ExportFormat::ALL
        .iter()
        .map(|f| {
            format!(
                r#"<a class="button" id="download-{n}" href="{HOME}/export/{n}?{q}" download>{l}</a>"#,
                n = f.code(),
                q = esc(&query),
                l = esc(f.label(lang))
            )
        })
        .collect();
    let walked = boundaries(&figures.sites, lang);
    let walked = if walked.is_empty() {
        walked
    } else {
        format!(
            r#"<h3>{}</h3><div class="boundaries">{walked}</div>"#,
            lang.pick(
                "Ranh giới đã đo (mỗi hình một tỷ lệ)",
                "Walked boundaries (each at its own scale)"
            )
        )
    };
    format!(
        r#"<div class="two"><section class="card"><h2>{h}</h2>{plot}<p class="note">{count}. {note}</p>{walked}</section><section class="card"><h2>{dh}</h2><div class="downloads">{buttons}</div><p class="note">{privacy}</p></section></div>"#,
        h = lang.pick("Sơ đồ các điểm phát hiện", "Plot of the sites found"),
        plot = site_plot(&figures.sites, lang),
        count = match lang {
            Lang::Vi => format!("{} điểm phát hiện trong kỳ", figures.sites.len()),
            Lang::En => format!("{} sites found in the period", figures.sites.len()),
        },
        note = lang.pick(
            "Đây là sơ đồ theo tọa độ (kinh độ, vĩ độ), không phải bản đồ: máy chủ làm việc không cần Internet nên không tải lớp bản đồ nền. Mở tệp GeoJSON hoặc KML bằng phần mềm GIS (QGIS, Google Earth) để xem trên bản đồ.",
            "A plot by coordinates (longitude, latitude), not a map: the hub works without the Internet, so no map tiles are loaded. Open the GeoJSON or KML file in a GIS tool (QGIS, Google Earth) to see the sites on a map."
        ),
        dh = lang.pick("Tải về", "Downloads"),
        privacy = lang.pick(
            "Báo cáo Excel và CSV là số liệu tổng hợp. Tệp GeoJSON, KML có tọa độ, loài cây, số cây và ngày xử lý của từng điểm, không có tên người trồng; vẫn phải quản lý như tài liệu nội bộ.",
            "The Excel and CSV reports are aggregates. The GeoJSON and KML files hold each site's position, species, plant count and action dates, no grower's name; still handle them as internal documents."
        ),
    )
}

/// A period still running is counted up to today (`Report::counted_to`):
/// the page says so above the figures.
fn pending_note(report: &Report, lang: Lang) -> String {
    report
        .counted_note(lang)
        .map(|note| {
            format!(
                r#"<p class="pending" id="period-pending">{}</p>"#,
                esc(&note)
            )
        })
        .unwrap_or_default()
}

/// The header's right side on a signed-in page: who, `links`, sign out.
/// The link back to the report, which the office's other pages put in
/// their bar.
pub(super) fn report_link(lang: Lang) -> String {
    format!(
        r#"<a id="report-link" href="{}{}">{}</a>"#,
        super::paths::HOME,
        if lang == Lang::En { "?lang=en" } else { "" },
        lang.pick("Báo cáo", "Report"),
    )
}

pub(super) fn staff_bar(staff: &Staff, units: &OrgTree, links: &str, lang: Lang) -> String {
    let staff_unit = units
        .get(&staff.unit)
        .map(|u| u.name.as_str())
        .unwrap_or(&staff.unit);
    // Administrators reach the administration pages from every page.
    let admin = if staff.is_admin() {
        let en = if lang == Lang::En { "?lang=en" } else { "" };
        let plan = if crate::rules::staff::sets_plan(units, staff) {
            format!(
                r#"<a id="plan-link" href="{PLAN}{en}">{}</a>"#,
                lang.pick("Kế hoạch", "Plan")
            )
        } else {
            String::new()
        };
        let units_link = if crate::rules::staff::may_load_units(units, staff) {
            format!(
                r#"<a id="units-link" href="{UNITS}{en}">{}</a>"#,
                lang.pick("Đơn vị hành chính", "Units")
            )
        } else {
            String::new()
        };
        format!(
            r#"<a id="tablets-link" href="{TABLETS}{en}">{}</a><a id="staff-link" href="{STAFF}{en}">{}</a>{units_link}{plan}<a id="register-link" href="{REGISTER}{en}" download>{}</a><a id="import-link" href="{IMPORT}{en}">{}</a><a id="move-link" href="{MOVE}{en}">{}</a>"#,
            lang.pick("Quản lý máy", "Tablets"),
            lang.pick("Tài khoản", "Accounts"),
            lang.pick("Sổ theo dõi (XLSX)", "Register (XLSX)"),
            lang.pick("Nhập sổ theo dõi", "Import register"),
            lang.pick("Chuyển nơi cư trú", "Move a person"),
        )
    } else {
        String::new()
    };
    format!(
        r#"<span class="who" id="who">{user} · {unit}</span>{links}{admin}<form method="post" action="{LOGOUT}"><button id="sign-out" type="submit">{out}</button></form>"#,
        user = esc(&staff.username),
        unit = esc(staff_unit),
        out = lang.pick("Đăng xuất", "Sign out"),
    )
}

/// The home page of a hub given no unit list yet (a province's first
/// set-up): reports wait for the list, and an administrator is shown where
/// to load it.
pub fn no_units_page(staff: &Staff, units: &OrgTree, lang: Lang) -> String {
    let next = if crate::rules::staff::may_load_units(units, staff) {
        format!(
            r#"<p><a class="button primary" id="load-units-first" href="{UNITS}{}">{}</a></p>"#,
            if lang == Lang::En { "?lang=en" } else { "" },
            lang.pick("Nạp danh sách đơn vị hành chính", "Load the unit list"),
        )
    } else {
        String::new()
    };
    layout(
        lang.pick("Chưa có danh sách đơn vị", "No unit list yet"),
        lang,
        &staff_bar(staff, units, "", lang),
        &format!(
            r#"<div class="card" id="no-units"><h1>{h}</h1><p>{p}</p>{next}</div>"#,
            h = lang.pick(
                "Máy chủ chưa có danh sách đơn vị hành chính",
                "The hub has no administrative unit list yet"
            ),
            p = lang.pick(
                "Báo cáo, máy tính bảng và tài khoản đều theo danh sách xã, phường của tỉnh. Quản trị viên cấp tỉnh nạp danh sách từ tệp Excel hoặc CSV theo mẫu.",
                "Reports, tablets and accounts all follow the province's list of communes. The province's administrator loads it from an Excel or CSV file following the template."
            ),
        ),
    )
}

pub fn report_page(
    staff: &Staff,
    q: &ReportQuery,
    figures: &Figures,
    units: &OrgTree,
    photos: &str,
    lang: Lang,
) -> String {
    let report = &figures.report;
    let audit = format!(
        r#"<a id="audit-link" href="{}{}">{}</a>"#,
        AUDIT,
        if lang == Lang::En { "?lang=en" } else { "" },
        lang.pick("Nhật ký truy cập", "Access log")
    );
    let drug_free = format!(
        r#"<a id="drug-free-link" href="{}?year={}{}">{}</a><a id="duplicates-link" href="{DUPLICATES}{}">{}</a>"#,
        DRUG_FREE,
        report.counted_to.year(),
        if lang == Lang::En { "&lang=en" } else { "" },
        lang.pick("Xã không có ma túy", "Drug-free communes"),
        if lang == Lang::En { "?lang=en" } else { "" },
        lang.pick("Trùng CCCD", "Shared citizen IDs"),
    );
    let header_right = staff_bar(
        staff,
        units,
        &format!("{audit}{drug_free}{}", lang_toggle(HOME, q, lang)),
        lang,
    );
    let due = report
        .due_text(lang)
        .map(|d| format!(" · {d}"))
        .unwrap_or_default();
    let body = format!(
        r#"{chooser}<h1 id="report-title">{title} — {unit}</h1><p class="sub" id="report-period">{period}{due}</p>{pending}{kpis}{indicators}{trends}{communes}{sites}{photos}"#,
        chooser = chooser(q, report, units, staff, lang),
        title = lang.pick(
            "Báo cáo kết quả công tác phòng, chống ma túy",
            "Drug prevention and control report"
        ),
        unit = esc(&report.unit.name),
        period = esc(&report.period.label(lang)),
        pending = pending_note(report, lang),
        kpis = kpis(report, lang),
        indicators = indicators(report, lang),
        trends = trends(&figures.trends, lang),
        communes = communes(figures, lang),
        sites = sites_and_downloads(figures, q, lang),
    );
    layout(
        &format!("{} — {}", report.unit.name, report.period.label(lang)),
        lang,
        &header_right,
        &body,
    )
}

/// A page's answer: its HTML, or the error's own page in the staff
/// member's language.
pub(super) fn page_or_error(result: Result<String, DashError>, lang: Lang) -> Response {
    match result {
        Ok(html) => Html(html).into_response(),
        Err(e) => e.page(lang),
    }
}

/// A failed page as the staff member sees it (logged when the hub is at fault).
impl DashError {
    pub(super) fn page(&self, lang: Lang) -> Response {
        if self.status().is_server_error() {
            tracing::error!(error = %crate::error::error_chain(self), "dashboard");
        }
        (self.status(), Html(error_page(&self.message(lang), lang))).into_response()
    }
}
