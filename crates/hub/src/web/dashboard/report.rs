//! The report page and the downloads: the figures of a period and a unit
//! within the staff member's own, as HTML or as files.

use super::error::DashError;
use super::pages::page_or_error;
use super::query::ReportQuery;
use super::session::{DashState, Signed};
use super::{attachments, downloads, figures, pages};
use crate::rules::audit::Entry;
use crate::rules::staff::Staff;
use crate::storage::with_rows;
use axum::extract::{Path, Query, State};
use axum::response::Response;

/// The unit asked for, which must lie within the staff member's own.
fn unit_in_scope(
    state_units: &pcmt_model::OrgTree,
    staff: &Staff,
    q: &ReportQuery,
) -> Result<String, DashError> {
    let unit = q.unit().unwrap_or(&staff.unit).to_string();
    if state_units.get(&unit).is_none() {
        return Err(pcmt_core::CoreError::UnknownOrgUnit(unit).into());
    }
    if !state_units.is_within(&unit, &staff.unit) {
        return Err(DashError::OutsideScope(unit));
    }
    Ok(unit)
}

pub(super) async fn report_page(
    State(state): State<DashState>,
    signed: Signed,
    Query(q): Query<ReportQuery>,
) -> Response {
    let lang = q.lang();
    let result = async {
        let today = chrono::Local::now().date_naive();
        let period = q.period(today)?;
        state
            .reports
            .run(&state.storage, move |s| {
                let (units, rules, plan) = (s.units(), s.rules(), s.plan()?);
                let staff = &signed.staff;
                if units.is_empty() {
                    return Ok(pages::no_units_page(staff, &units, lang));
                }
                let unit = unit_in_scope(&units, staff, &q)?;
                let figures = with_rows(s, |rows| {
                    figures::Figures::compute(rows, &units, &rules, &plan, &unit, &period, today)
                })??;
                let photos = attachments::for_report(s, &units, &unit, &period, &figures.sites)?;
                let back = attachments::back_of(&q.to_query(lang));
                let photos = attachments::section(
                    &photos,
                    &figures.sites,
                    &attachments::Ctx {
                        units: &units,
                        signed: &signed,
                        back: &back,
                        lang,
                    },
                );
                Ok(pages::report_page(
                    staff, &q, &figures, &units, &photos, lang,
                ))
            })
            .await
    }
    .await;
    page_or_error(result, lang)
}

pub(super) async fn download(
    State(state): State<DashState>,
    staff: Staff,
    Path(format): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let lang = q.lang();
    let result = async {
        let format = downloads::format_named(&format)?;
        let today = chrono::Local::now().date_naive();
        let period = q.period(today)?;
        state
            .reports
            .run(&state.storage, move |s| {
                let (units, rules, plan) = (s.units(), s.rules(), s.plan()?);
                let unit = unit_in_scope(&units, &staff, &q)?;
                let file = with_rows(s, |rows| {
                    downloads::file(
                        rows,
                        &units,
                        &rules,
                        downloads::FileRequest {
                            format,
                            unit: &unit,
                            period: &period,
                            today,
                            lang,
                            plan: &plan,
                        },
                    )
                })??;
                // Logged before it leaves; a download that cannot be logged is not served.
                s.append_audit(&Entry::export(&staff.username, &unit, format, &period))?;
                Ok(file)
            })
            .await
    }
    .await;
    match result {
        Ok(response) => response,
        Err(e) => e.page(lang),
    }
}
