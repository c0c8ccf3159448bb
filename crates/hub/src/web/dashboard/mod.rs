//! The office dashboard (trang tổng hợp của văn phòng): server-rendered
//! pages for office staff, behind a sign-in. It shows the report
//! (`pcmt_core::report::compute` over the hub's projection rows) for a
//! period and an org unit within the staff member's own, trends by month,
//! the communes' coverage, a plot of the sites found, and the exports of
//! `pcmt-export` as downloads.
//!
//! - `session`: sign-in, sign-out and the session every page requires
//!   (accounts are `crate::staff`'s; failed sign-ins are counted by
//!   `super::limiter`).
//! - `report`: the report page and the downloads' handlers.
//! - `query`: what the period and unit choosers send, read into a `Period`.
//! - `figures`: everything a page shows, from rows read as of one moment.
//! - `pages`, `charts`: HTML and inline SVG, Vietnamese first.
//! - `downloads`: the export files with their content types and names.
//! - `units`: the office's administrative units loaded from a spreadsheet
//!   (administrators of the top unit only): upload, preview, confirm.
//! - `admin`: tablets administered from the browser (administrators only,
//!   every form with its CSRF token); `accounts`: staff accounts, likewise;
//!   `plan`: the province plan's deadlines and targets, for an
//!   administrator of the whole area the hub serves; `register`: the
//!   register of people under management as XLSX, administrators only,
//!   logged before it leaves.
//! - `import`: the register imported from the office's spreadsheet
//!   (administrators, into their unit's communes): upload, preview of
//!   every row, confirm; the files become the office's records.
//! - `audit`: the audit log's page (`crate::rules::audit`); downloads and
//!   sign-ins are logged in their handlers.
//! - `duplicates`: person files sharing a citizen ID, the groups touching
//!   the staff member's unit (files outside it named by commune only).
//! - `drug_free`: the office's classing of communes as drug-free per year
//!   (the one form that writes: a table of its own, logged with the write).
//! - `attachments`: photos and files (issue 21): thumbnails on the report
//!   page (the sites' and the period's), a file opened whole by staff of
//!   its unit (logged), an administrator's purge with a reason.
//! - `paths`, `html`, `error`: the addresses, text helpers and page errors
//!   the others share (leaves: they import none of the others).

mod accounts;
mod admin;
mod attachments;
mod audit;
mod charts;
mod downloads;
mod drug_free;
mod duplicates;
mod error;
mod figures;
mod html;
mod import;
mod lane;
mod moves;
mod pages;
mod paths;
mod plan;
mod query;
mod register;
mod report;
mod session;
mod units;

pub use paths::{HOME, LOGIN};

use super::blocking::Storage;
use super::limiter::Limiter;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use session::DashState;
use std::sync::Arc;

/// A register's upload, and its confirmation carrying the file in hex:
/// a province's register of some thousands of rows is well under it.
const IMPORT_BYTES: usize = 8 << 20;

/// The dashboard's routes; `limiter` counts failed sign-ins (shared with
/// the sync routes' counts of codes and tokens).
pub fn router(storage: Storage, limiter: Arc<Limiter>) -> Router {
    let reports = Arc::new(lane::Lane::start());
    Router::new()
        .route(HOME, get(report::report_page))
        .route(LOGIN, get(session::login_page).post(session::login))
        .route(paths::LOGOUT, post(session::logout))
        .route(paths::EXPORT, get(report::download))
        .route(paths::AUDIT, get(audit::audit_page))
        .route(paths::DUPLICATES, get(duplicates::page))
        .route(paths::DUPLICATES_MERGE, post(duplicates::merge))
        .route(paths::MOVE, get(moves::page).post(moves::save))
        .route(paths::TABLETS, get(admin::tablets_page))
        .route(paths::ISSUE_CODE, post(admin::issue_code))
        .route(paths::WITHDRAW, post(admin::withdraw))
        .route(paths::STAFF, get(accounts::page).post(accounts::add))
        .route(paths::STAFF_ACTION, post(accounts::change))
        .route(paths::PLAN, get(plan::page).post(plan::save))
        .route(paths::REGISTER, get(register::download))
        .route(paths::IMPORT, get(import::page))
        .route(
            paths::IMPORT_PREVIEW,
            post(import::preview).layer(DefaultBodyLimit::max(IMPORT_BYTES)),
        )
        .route(
            paths::IMPORT_CONFIRM,
            post(import::confirm).layer(DefaultBodyLimit::max(IMPORT_BYTES)),
        )
        .route(paths::IMPORT_TEMPLATE, get(import::template))
        .route(paths::UNITS, get(units::page))
        .route(paths::UNITS_PREVIEW, post(units::preview))
        .route(paths::UNITS_LOAD, post(units::load))
        .route(paths::UNITS_TEMPLATE, get(units::template))
        .route(paths::DRUG_FREE, get(drug_free::page).post(drug_free::save))
        .route(paths::ATTACHMENT, get(attachments::open))
        .route(paths::THUMBNAIL, get(attachments::thumbnail))
        .route(paths::PURGE, post(attachments::purge))
        .with_state(DashState {
            storage,
            limiter,
            reports,
        })
}
