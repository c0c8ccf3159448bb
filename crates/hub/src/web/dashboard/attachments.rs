//! Photos and files on the dashboard (issue 21): thumbnails of the unit's
//! attachments taken in the period and of the sites the plot shows, a file
//! opened whole by staff of its unit (logged before it leaves: who, when,
//! which file, which record), and an administrator's purge of one (a photo
//! showing a bystander) with a reason and the form token.
//!
//! What is served is decided by the storage: a whole file of a record
//! that is not deleted, of a commune within the staff member's unit; any
//! other hash is answered 404, the same for a file of another unit as for
//! one the hub never held.

use super::admin::Admin;
use super::error::DashError;
use super::html::{esc, number, vietnam};
use super::paths::{ATTACHMENT, HOME, PURGE, THUMBNAIL};
use super::session::{on_storage, DashState, Signed};
use crate::rules::attachments::purge_reason;
use crate::rules::staff::{administers, Staff};
use crate::storage::{HubStorage, Listed, Listing, Opening};
use axum::extract::{Form, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Days, NaiveDate, TimeZone};
use pcmt_model::report::{Period, SiteFeature};
use pcmt_model::{AttachmentKind, ContentHash, Labelled, Lang, OrgTree, RecordKind};
use serde::Deserialize;
use std::fmt::Write;
use uuid::Uuid;

/// What the report page shows of attachments.
#[derive(Debug, Default)]
pub(super) struct Photos {
    /// The unit's, taken in the period, newest first.
    pub taken: Vec<Listed>,
    /// Those of the sites the page plots.
    pub of_sites: Vec<Listed>,
}

/// A day's start in Vietnam, in Unix seconds.
fn day_start(day: NaiveDate) -> i64 {
    vietnam()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map_or(0, |t| t.timestamp())
}

/// Reads the report page's attachments: the communes of `unit` (within
/// the staff member's, checked by the caller) for the period's days, and
/// the surveys of `sites`.
pub(super) fn for_report(
    s: &dyn HubStorage,
    units: &OrgTree,
    unit: &str,
    period: &Period,
    sites: &[SiteFeature],
) -> Result<Photos, DashError> {
    let communes: Vec<String> = units
        .communes()
        .filter(|c| units.is_within(&c.code, unit))
        .map(|c| c.code.clone())
        .collect();
    let after = period.until.checked_add_days(Days::new(1));
    let taken = s.attachments_listed(&Listing::Taken {
        communes,
        from: day_start(period.from),
        to: after.map_or(i64::MAX, day_start),
    })?;
    let mut surveys: Vec<Uuid> = sites.iter().map(|s| s.survey).collect();
    surveys.sort();
    surveys.dedup();
    let of_sites = if surveys.is_empty() {
        Vec::new()
    } else {
        s.attachments_listed(&Listing::Of(surveys))?
    };
    Ok(Photos { taken, of_sites })
}

/// One attachment as a thumbnail (a PDF as a labelled box) linking to the
/// whole file, with what it belongs to and, for an administrator of its
/// commune, the purge form.
fn card(a: &Listed, ctx: &Ctx<'_>) -> String {
    let open = format!(
        "{}?record={}{}",
        ATTACHMENT.replace("{hash}", &a.hash.hex()),
        a.record,
        if ctx.lang == Lang::En { "&lang=en" } else { "" }
    );
    let what = format!(
        "{} · {}",
        RecordKind::from_code(&a.record_kind).map_or("", |k| k.label(ctx.lang)),
        ctx.units
            .get(&a.commune)
            .map_or(a.commune.as_str(), |u| u.name.as_str())
    );
    let when = chrono::DateTime::from_timestamp(a.taken_at, 0)
        .map(|t| {
            t.with_timezone(&vietnam())
                .format("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let picture = match a.thumbnail {
        Some(t) => format!(
            r#"<img src="{}" alt="{}" loading="lazy">"#,
            THUMBNAIL.replace("{hash}", &t.hex()),
            esc(&what)
        ),
        None => format!(
            r#"<span class="file">{}</span>"#,
            esc(a.kind.label(ctx.lang))
        ),
    };
    let purge = if administers(
        ctx.units,
        &ctx.signed.staff,
        std::slice::from_ref(&a.commune),
    ) {
        format!(
            r#"<form method="post" class="purge" action="{action}"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="back" value="{back}"><input type="hidden" name="lang" value="{lang}"><input name="reason" required maxlength="300" placeholder="{ph}" aria-label="{ph}"><button type="submit">{label}</button></form>"#,
            action = PURGE.replace("{hash}", &a.hash.hex()),
            csrf = esc(&ctx.signed.csrf),
            back = esc(ctx.back),
            lang = ctx.lang.pick("vi", "en"),
            ph = esc(ctx.lang.pick("Lý do xóa hẳn tệp", "Why purge the file")),
            label = esc(ctx.lang.pick("Xóa hẳn tệp", "Purge file")),
        )
    } else {
        String::new()
    };
    format!(
        r#"<figure class="attachment" data-hash="{hash}"><a href="{open}" target="_blank" rel="noopener">{picture}</a><figcaption>{what}<span class="parts">{when} · {size} KB</span></figcaption>{purge}</figure>"#,
        hash = a.hash.hex(),
        open = esc(&open),
        what = esc(&what),
        size = number((a.size as f64 / 1024.0).ceil(), 0, ctx.lang),
    )
}

/// What every card needs besides its attachment.
pub(super) struct Ctx<'a> {
    pub units: &'a OrgTree,
    pub signed: &'a Signed,
    /// The page to come back to after a purge.
    pub back: &'a str,
    pub lang: Lang,
}

/// The report page's cards: the sites' photos (a row per site that has
/// any, as the plot shows it) and the unit's attachments of the period.
pub(super) fn section(photos: &Photos, sites: &[SiteFeature], ctx: &Ctx<'_>) -> String {
    let lang = ctx.lang;
    let mut rows = String::new();
    for site in sites {
        let cards: String = photos
            .of_sites
            .iter()
            .filter(|a| a.record == site.survey && a.site == Some(site.index))
            .map(|a| card(a, ctx))
            .collect();
        if cards.is_empty() {
            continue;
        }
        let _ = write!(
            rows,
            r#"<tr data-survey="{survey}" data-site="{index}"><td>{date}</td><td>{commune}</td><td>{species}</td><td class="num">{plants}</td><td><div class="attachments">{cards}</div></td></tr>"#,
            survey = site.survey,
            index = site.index,
            date = site.date.format("%d/%m/%Y"),
            commune = esc(ctx
                .units
                .get(&site.commune)
                .map_or(site.commune.as_str(), |u| u.name.as_str())),
            species = esc(site.species.label(lang)),
            plants = number(f64::from(site.plant_count), 0, lang),
        );
    }
    let site_table = if rows.is_empty() {
        format!(
            r#"<p class="note">{}</p>"#,
            lang.pick(
                "Chưa có ảnh nào của các điểm phát hiện trong kỳ.",
                "No photo of the period's sites yet."
            )
        )
    } else {
        format!(
            r#"<table id="site-photos"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th class="num">{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>"#,
            lang.pick("Ngày", "Date"),
            lang.pick("Xã", "Commune"),
            lang.pick("Loài cây", "Species"),
            lang.pick("Số cây", "Plants"),
            lang.pick("Ảnh", "Photos"),
        )
    };
    let cards: String = photos.taken.iter().map(|a| card(a, ctx)).collect();
    let taken = if cards.is_empty() {
        format!(
            r#"<p class="note">{}</p>"#,
            lang.pick(
                "Không có ảnh, tệp đính kèm nào trong kỳ này.",
                "No photo or file attached in this period."
            )
        )
    } else {
        format!(r#"<div class="attachments" id="attachment-list">{cards}</div>"#)
    };
    format!(
        r#"<section class="card" id="site-photo-card"><h2>{sh}</h2>{site_table}</section><section class="card" id="attachments"><h2>{h}</h2><p class="note">{note}</p>{taken}</section>"#,
        sh = lang.pick("Ảnh các điểm phát hiện", "Photos of the sites"),
        h = lang.pick("Ảnh, tệp đính kèm trong kỳ", "Photos and files of the period"),
        note = lang.pick(
            "Bấm vào ảnh để mở tệp gốc; mỗi lần mở được ghi vào nhật ký truy cập (ai, lúc nào, tệp nào, hồ sơ nào). Hồ sơ đã xóa không hiện ảnh. Quản trị viên có thể xóa hẳn một tệp (ví dụ ảnh chụp phải người không liên quan): tệp bị xóa khỏi máy chủ và khỏi các máy tính bảng ở lần đồng bộ sau.",
            "Click a photo to open the original; each opening is logged (who, when, which file, which record). Deleted records show no photos. An administrator may purge a file (a photo showing a bystander, say): it is removed from the hub and from the tablets at their next sync."
        ),
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct OpenQuery {
    record: Uuid,
    lang: Option<String>,
}

fn hash_of(text: &str) -> Result<ContentHash, DashError> {
    ContentHash::parse(text).ok_or(DashError::NoSuchAttachment)
}

fn within(units: &OrgTree, staff: &Staff) -> impl Fn(&str) -> bool {
    let (units, unit) = (units.clone(), staff.unit.clone());
    move |commune: &str| units.is_within(commune, &unit)
}

/// A file's bytes as the browser gets them: its type, shown in the page
/// (an image, a PDF in the browser's viewer), named by its hash, and kept
/// by no cache (`no-store`: it leaves no copy once the tab is closed).
fn served(hash: ContentHash, kind: AttachmentKind, bytes: Vec<u8>) -> Response {
    let ext = match kind {
        AttachmentKind::Jpeg => "jpg",
        AttachmentKind::Png => "png",
        AttachmentKind::Pdf => "pdf",
    };
    let name = format!("{}.{ext}", &hash.hex()[..12]);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(kind.mime()));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /dashboard/attachment/{hash}?record=…`: the whole file, logged.
pub(super) async fn open(
    State(state): State<DashState>,
    staff: Staff,
    Path(hash): Path<String>,
    Query(q): Query<OpenQuery>,
) -> Response {
    let lang = super::html::lang_of(q.lang.as_deref());
    let result = on_storage(&state.storage, move |s| {
        let hash = hash_of(&hash)?;
        let opening = Opening::File {
            record: q.record,
            by: &staff.username,
        };
        let (kind, bytes) = s
            .open_attachment(hash, opening, &within(&s.units(), &staff))?
            .ok_or(DashError::NoSuchAttachment)?;
        Ok(served(hash, kind, bytes))
    })
    .await;
    result.unwrap_or_else(|e| e.page(lang))
}

/// `GET /dashboard/thumbnail/{hash}`: a thumbnail a page shows.
pub(super) async fn thumbnail(
    State(state): State<DashState>,
    staff: Staff,
    Path(hash): Path<String>,
) -> Response {
    let result = on_storage(&state.storage, move |s| {
        let hash = hash_of(&hash)?;
        let (kind, bytes) = s
            .open_attachment(hash, Opening::Thumbnail, &within(&s.units(), &staff))?
            .ok_or(DashError::NoSuchAttachment)?;
        Ok(served(hash, kind, bytes))
    })
    .await;
    result.unwrap_or_else(|e| e.page(Lang::Vi))
}

#[derive(Debug, Deserialize)]
pub(super) struct PurgeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    back: String,
    lang: Option<String>,
}

/// Where a purge sends the browser back to: a dashboard page, never
/// another site.
fn back_to(back: &str) -> String {
    let ours = back == HOME || back.starts_with(&format!("{HOME}?"));
    if ours {
        back.to_string()
    } else {
        HOME.to_string()
    }
}

/// `POST /dashboard/attachment/{hash}/purge`: an administrator of every
/// commune whose records refer to the file purges it, with a reason.
pub(super) async fn purge(
    State(state): State<DashState>,
    admin: Admin,
    Path(hash): Path<String>,
    Form(form): Form<PurgeForm>,
) -> Response {
    let lang = super::html::lang_of(form.lang.as_deref());
    let back = back_to(&form.back);
    let result = on_storage(&state.storage, move |s| {
        admin.check(&form.csrf)?;
        let reason = purge_reason(&form.reason).map_err(DashError::BadForm)?;
        let hash = hash_of(&hash)?;
        let units = s.units();
        let may_purge = |communes: &[String]| administers(&units, &admin.staff, communes);
        s.purge_attachment(hash, &may_purge, &admin.staff.username, &reason)?
            .ok_or(DashError::NoSuchAttachment)?;
        Ok(())
    })
    .await;
    match result {
        Ok(()) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{back}{sep}purged=1#attachments")).into_response()
        }
        Err(e) => e.page(lang),
    }
}

/// The page's own address with its query, for a purge to come back to.
pub(super) fn back_of(query: &str) -> String {
    if query.is_empty() {
        HOME.to_string()
    } else {
        format!("{HOME}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purge_comes_back_to_a_dashboard_page_only() {
        assert_eq!(back_to("/dashboard?unit=62-610"), "/dashboard?unit=62-610");
        assert_eq!(back_to("/dashboard"), "/dashboard");
        for elsewhere in ["https://evil.example/", "//evil.example", "/dashboardx", ""] {
            assert_eq!(back_to(elsewhere), HOME, "{elsewhere}");
        }
    }

    #[test]
    fn a_period_counts_vietnam_days() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(day_start(d), 1_795_453_200);
    }
}
