//! The audit log's page (Nhật ký truy cập và thay đổi): who changed which
//! record, who took which export, who signed in, newest first, a hundred to
//! a page, filtered by record, tablet and dates. Staff read only what their
//! unit may (`crate::rules::audit::Query::visible_to`); the page only reads — no
//! route writes or deletes an entry.
//!
//! Written against `&dyn HubStorage`, not the SQLite store, so it serves
//! whichever store the dashboard runs on.

use super::error::DashError;
use super::html::{esc, lang_of, percent_encode, vietnam};
use super::pages::{layout, page_or_error, staff_bar};
use super::paths::{AUDIT, HOME};
use super::session::{on_storage, DashState};
use crate::rules::audit::{ActorKind, Detail, Logged, Query as LogQuery};
use crate::rules::staff::{Role, Staff};
use crate::storage::HubStorage;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, TimeZone};
use pcmt_model::{Labelled, Lang, OrgTree};
use serde::Deserialize;
use std::fmt::Write;
use uuid::Uuid;

/// The page's filters as the form sends them (empty fields are no filter).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditParams {
    record: Option<String>,
    device: Option<String>,
    from: Option<String>,
    until: Option<String>,
    page: Option<u32>,
    lang: Option<String>,
}

fn filled(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl AuditParams {
    fn lang(&self) -> Lang {
        lang_of(self.lang.as_deref())
    }

    /// What the staff member may read, narrowed by the filters. Days are
    /// Vietnamese days: `until` includes its whole day.
    fn query(&self, units: &OrgTree, staff: &Staff) -> Result<LogQuery, DashError> {
        let id = |field: &Option<String>, what: &str| {
            filled(field)
                .map(|v| {
                    Uuid::parse_str(v).map_err(|_| DashError::BadFilter(format!("{what} {v}")))
                })
                .transpose()
        };
        let day_start = |field: &Option<String>, days_after: u64| {
            filled(field)
                .map(|v| {
                    let day = NaiveDate::parse_from_str(v, "%Y-%m-%d")
                        .map_err(|_| DashError::BadFilter(v.to_string()))?;
                    day.checked_add_days(chrono::Days::new(days_after))
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .and_then(|t| vietnam().from_local_datetime(&t).single())
                        .map(|t| t.timestamp())
                        .ok_or_else(|| DashError::BadFilter(v.to_string()))
                })
                .transpose()
        };
        Ok(LogQuery {
            record: id(&self.record, "record")?,
            device: id(&self.device, "device")?,
            from: day_start(&self.from, 0)?,
            until: day_start(&self.until, 1)?,
            page: self.page.unwrap_or(0),
            ..LogQuery::visible_to(units, &staff.unit)
        })
    }

    /// The query string of these filters with `page` and `lang` replaced.
    fn link(&self, page: u32, lang: Lang) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("record", &self.record),
            ("device", &self.device),
            ("from", &self.from),
            ("until", &self.until),
        ] {
            if let Some(v) = filled(value) {
                parts.push(format!("{name}={}", percent_encode(v)));
            }
        }
        if page > 0 {
            parts.push(format!("page={page}"));
        }
        if lang == Lang::En {
            parts.push("lang=en".into());
        }
        if parts.is_empty() {
            AUDIT.to_string()
        } else {
            format!("{AUDIT}?{}", parts.join("&"))
        }
    }
}

pub(super) async fn audit_page(
    State(state): State<DashState>,
    staff: Staff,
    Query(params): Query<AuditParams>,
) -> Response {
    let lang = params.lang();
    let result = async {
        on_storage(&state.storage, move |s| {
            render(s, &s.units(), &staff, &params)
        })
        .await
    }
    .await;
    page_or_error(result, lang)
}

/// The whole page for `staff`.
pub fn render(
    storage: &dyn HubStorage,
    units: &OrgTree,
    staff: &Staff,
    params: &AuditParams,
) -> Result<String, DashError> {
    let lang = params.lang();
    let query = params.query(units, staff)?;
    let page = storage.audit_log(&query)?;
    let other = match lang {
        Lang::Vi => Lang::En,
        Lang::En => Lang::Vi,
    };
    let links = format!(
        r#"<a id="report-link" href="{HOME}{}">{}</a><a id="lang" href="{}">{}</a>"#,
        if lang == Lang::En { "?lang=en" } else { "" },
        lang.pick("Báo cáo", "Report"),
        esc(&params.link(query.page, other)),
        lang.pick("English", "Tiếng Việt"),
    );
    let title = lang.pick("Nhật ký truy cập và thay đổi", "Access and change log");
    let body = format!(
        r#"<h1 id="audit-title">{title}</h1><p class="sub">{sub}</p>{filters}<div class="card">{table}{pager}</div>"#,
        title = esc(title),
        sub = lang.pick(
            "Ai (máy tính bảng và cán bộ được cấp máy, hoặc cán bộ văn phòng) đã tạo, sửa, xóa hồ sơ nào, tải báo cáo nào, khi nào. Nhật ký chỉ được ghi thêm, không ai sửa hay xóa được. Giờ Việt Nam.",
            "Who (a tablet and the officer it was enrolled for, or office staff) created, changed or deleted which record, took which export, and when. The log is only ever added to; nobody can change or delete it. Vietnam time."
        ),
        filters = filters(params, lang),
        table = table(&page.entries, units, params, lang),
        pager = pager(params, query.page, page.more, lang),
    );
    Ok(layout(
        title,
        lang,
        &staff_bar(staff, units, &links, lang),
        &body,
    ))
}

fn filters(p: &AuditParams, lang: Lang) -> String {
    let value = |f: &Option<String>| esc(filled(f).unwrap_or(""));
    format!(
        r#"<form class="card choose" method="get" action="{AUDIT}" id="audit-filters">
<input type="hidden" name="lang" value="{lc}">
<label>{rl}<input id="record" name="record" size="38" value="{record}"></label>
<label>{dl}<input id="device" name="device" size="38" value="{device}"></label>
<label>{fl}<input id="from" name="from" type="date" value="{from}"></label>
<label>{ul}<input id="until" name="until" type="date" value="{until}"></label>
<button class="primary" id="filter" type="submit">{go}</button>
<a id="clear" href="{clear}">{cl}</a>
</form>"#,
        lc = if lang == Lang::En { "en" } else { "vi" },
        rl = lang.pick("Mã hồ sơ", "Record id"),
        record = value(&p.record),
        dl = lang.pick("Mã máy", "Device id"),
        device = value(&p.device),
        fl = lang.pick("Từ ngày", "From"),
        from = value(&p.from),
        ul = lang.pick("Đến ngày", "Until"),
        until = value(&p.until),
        go = lang.pick("Lọc", "Filter"),
        clear = esc(&AuditParams::default().link(0, lang)),
        cl = lang.pick("Bỏ lọc", "Clear"),
    )
}

fn table(entries: &[Logged], units: &OrgTree, p: &AuditParams, lang: Lang) -> String {
    if entries.is_empty() {
        return format!(
            r#"<p class="note" id="audit-empty">{}</p>"#,
            lang.pick("Không có mục nào.", "No entries.")
        );
    }
    let mut rows = String::new();
    for l in entries {
        let e = &l.entry;
        let filter_link = |record: Option<Uuid>, device: Option<Uuid>| {
            let only = AuditParams {
                record: record.map(|r| r.to_string()),
                device: device.map(|d| d.to_string()),
                lang: p.lang.clone(),
                ..AuditParams::default()
            };
            esc(&only.link(0, lang))
        };
        let device = e
            .device
            .map(|d| {
                format!(
                    r#"<a href="{}" title="{d}"><code>{}</code></a>"#,
                    filter_link(None, Some(d)),
                    short(d)
                )
            })
            .unwrap_or_default();
        let record = e
            .record
            .map(|r| {
                format!(
                    r#"{} <a href="{}" title="{r}"><code>{}</code></a>"#,
                    e.record_kind
                        .map(|k| esc(k.label(lang)))
                        .unwrap_or_default(),
                    filter_link(Some(r), None),
                    short(r)
                )
            })
            .unwrap_or_default();
        let who = match (&e.actor.name, e.actor.kind) {
            (Some(name), _) => esc(name),
            (None, ActorKind::Staff) => lang
                .pick("(tên không có tài khoản)", "(no such account)")
                .into(),
            (None, _) => String::new(),
        };
        let place: Vec<String> = e
            .scope
            .iter()
            .map(|c| esc(units.get(c).map_or(c.as_str(), |u| u.name.as_str())))
            .collect();
        let _ = write!(
            rows,
            r#"<tr data-action="{code}"><td class="when">{when}</td><td>{who}<span class="parts">{kind}</span></td><td class="short">{device}</td><td>{action}{detail}</td><td>{record}</td><td>{place}</td></tr>"#,
            code = e.action.code(),
            when = when(l.at),
            kind = esc(e.actor.kind.label(lang)),
            action = esc(e.action.label(lang)),
            detail = detail(&e.detail, lang),
            place = place.join(", "),
        );
    }
    format!(
        r#"<table id="audit"><thead><tr><th>{t}</th><th>{w}</th><th>{d}</th><th>{a}</th><th>{r}</th><th>{u}</th></tr></thead><tbody>{rows}</tbody></table>"#,
        t = lang.pick("Thời gian", "Time"),
        w = lang.pick("Người thực hiện", "Who"),
        d = lang.pick("Máy", "Device"),
        a = lang.pick("Thao tác", "Action"),
        r = lang.pick("Hồ sơ", "Record"),
        u = lang.pick("Đơn vị", "Unit"),
    )
}

/// dd/mm/yyyy HH:MM, Vietnam time.
fn when(at: i64) -> String {
    DateTime::from_timestamp(at, 0)
        .map(|t| {
            t.with_timezone(&vietnam())
                .format("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| at.to_string())
}

/// The last eight hex digits of an id: enough to tell a district's tablets
/// and records apart. (The first ones of a v7 id are its creation time,
/// which records made together share.)
fn short(id: Uuid) -> String {
    let hex = id.simple().to_string();
    hex[hex.len() - 8..].to_string()
}

/// The detail in words, after the action.
fn detail(d: &Detail, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let Some(n) = d.changes {
        parts.push(format!("{n} {}", lang.pick("thay đổi", "changes")));
    }
    if let Some(f) = d.format {
        parts.push(f.label(lang).to_string());
    }
    if let Some(p) = &d.period {
        parts.push(p.label(lang));
    }
    if let Some(o) = &d.officer {
        parts.push(format!("{} {o}", lang.pick("cho", "for")));
    }
    if let Some(b) = &d.backup {
        parts.push(format!(
            "{} {b}",
            lang.pick("từ bản sao lưu", "from backup")
        ));
    }
    if let Some(e) = &d.epoch {
        parts.push(format!(
            "{} {e}",
            lang.pick("mã đợt dữ liệu mới", "new epoch")
        ));
    }
    if let Some(a) = &d.account {
        parts.push(format!("{} {a}", lang.pick("tài khoản", "account")));
    }
    if let Some(m) = &d.merged {
        parts.push(format!("{} {m}", lang.pick("gộp hồ sơ", "merged file")));
    }
    if let Some(u) = &d.unit {
        parts.push(format!("{} {u}", lang.pick("đơn vị", "unit")));
    }
    if let Some(r) = d.role.as_deref().and_then(Role::from_code) {
        parts.push(r.label(lang).to_string());
    }
    if let Some(n) = d.people {
        parts.push(format!("{n} {}", lang.pick("người", "people")));
    }
    if let Some(p) = &d.plan {
        parts.push(p.clone());
    }
    if let (Some(v), Some(n)) = (d.version, d.units) {
        parts.push(format!(
            "{} {v}, {n} {}",
            lang.pick("phiên bản", "version"),
            lang.pick("đơn vị", "units")
        ));
    }
    if let Some(a) = &d.address {
        parts.push(format!("{} {a}", lang.pick("từ địa chỉ", "from")));
    }
    if let Some(y) = d.year {
        parts.push(format!("{} {y}", lang.pick("năm", "year")));
    }
    if let Some(free) = &d.drug_free {
        parts.push(format!(
            "{}: {}",
            lang.pick("không có ma túy", "drug-free"),
            free.len()
        ));
    }
    if let Some(a) = &d.attachment {
        // The hash's first digits name the file as the dashboard shows it.
        parts.push(format!(
            "{} {}",
            lang.pick("tệp", "file"),
            a.get(..12).unwrap_or(a)
        ));
    }
    if let Some(r) = &d.reason {
        parts.push(format!("{}: {r}", lang.pick("lý do", "reason")));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(r#"<span class="parts">{}</span>"#, esc(&parts.join(" · ")))
}

fn pager(p: &AuditParams, page: u32, more: bool, lang: Lang) -> String {
    let mut out = String::from(r#"<nav class="pager" id="pager">"#);
    if page > 0 {
        let _ = write!(
            out,
            r#"<a class="button" id="newer" href="{}">← {}</a>"#,
            esc(&p.link(page - 1, lang)),
            lang.pick("Mới hơn", "Newer")
        );
    }
    let _ = write!(
        out,
        r#"<span>{} {}</span>"#,
        lang.pick("Trang", "Page"),
        page + 1
    );
    if more {
        let _ = write!(
            out,
            r#"<a class="button" id="older" href="{}">{} →</a>"#,
            esc(&p.link(page + 1, lang)),
            lang.pick("Cũ hơn", "Older")
        );
    }
    out.push_str("</nav>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_vietnam_and_days_cover_vietnamese_days() {
        // 2026-11-25 17:30 UTC is 26/11 00:30 in Vietnam.
        let at = DateTime::parse_from_rfc3339("2026-11-25T17:30:00Z")
            .unwrap()
            .timestamp();
        assert_eq!(when(at), "26/11/2026 00:30");
        let staff = Staff {
            username: "an".into(),
            unit: "62-610-23284".into(),
            role: crate::rules::staff::Role::Staff,
        };
        let p = AuditParams {
            from: Some("2026-11-26".into()),
            until: Some(" 2026-11-26 ".into()),
            record: Some(String::new()),
            ..AuditParams::default()
        };
        let q = p.query(&OrgTree::demo(), &staff).unwrap();
        assert_eq!(q.from, Some(at - 30 * 60));
        assert_eq!(q.until, Some(at - 30 * 60 + 24 * 3600));
        assert_eq!(q.record, None, "an empty field is no filter");
        assert!(!q.unscoped, "a commune does not cover the hub's area");
        let bad = AuditParams {
            device: Some("abc".into()),
            ..AuditParams::default()
        };
        assert!(matches!(
            bad.query(&OrgTree::demo(), &staff),
            Err(DashError::BadFilter(_))
        ));
    }

    #[test]
    fn page_links_keep_the_filters() {
        let p = AuditParams {
            record: Some("0190-x".into()),
            from: Some("2026-11-01".into()),
            device: Some("  ".into()),
            ..AuditParams::default()
        };
        assert_eq!(
            p.link(2, Lang::En),
            "/dashboard/audit?record=0190-x&from=2026-11-01&page=2&lang=en"
        );
        assert_eq!(AuditParams::default().link(0, Lang::Vi), AUDIT);
    }
}
