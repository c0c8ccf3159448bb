//! The office's data a push answers with (units, plan, purges): its
//! versions read in the same statement as the device's token, and the
//! data gathered only for a device that holds another version. On
//! PostgreSQL each statement is a round trip, and a tablet asks at every
//! sync.

use super::attachments::{purged_for, PURGE_COUNT_SQL};
use super::backend::{Backend, Cell};
use super::{Hub, OfficeStorage, Param};
use crate::error::HubError;
use crate::rules::devices::{DeviceRow, OfficeVersions, Scope};
use crate::rules::protocol;
use crate::rules::units;
use pcmt_core::sync::wire::OfficeData;

/// Where the province plan is kept: one JSON value among the hub's
/// settings, on both databases, with how many times it was set (0:
/// never, the bundled one).
pub(super) const PLAN_KEY: &str = "province_plan";
pub(super) const PLAN_VERSION_KEY: &str = "province_plan_version";

/// The versions' three columns, the two keys bound at parameters
/// `units` and `plan` (the same in both statements below).
fn versions_sql(units: usize, plan: usize) -> String {
    format!(
        "(SELECT value FROM meta WHERE key = ${units}), (SELECT value FROM meta WHERE key = ${plan}), ({PURGE_COUNT_SQL})"
    )
}

/// The versions from `row`'s columns `at`, `at + 1` and `at + 2`.
fn versions_at(row: &[Cell], at: usize) -> Result<OfficeVersions, HubError> {
    let stored = |i: usize, key: &str| -> Result<u64, HubError> {
        match row.get(at + i) {
            None | Some(Cell::Null) => Ok(0),
            Some(Cell::Text(v)) => v
                .parse()
                .map_err(|e| HubError::Malformed(format!("{key}: {e}"))),
            Some(other) => Err(HubError::Malformed(format!("{key}: {other:?}"))),
        }
    };
    Ok(OfficeVersions {
        units: stored(0, units::VERSION_KEY)?,
        plan: stored(1, PLAN_VERSION_KEY)?,
        purges: row
            .get(at + 2)
            .and_then(Cell::int)
            .unwrap_or(0)
            .unsigned_abs(),
    })
}

fn versions<B: Backend>(backend: &B) -> Result<OfficeVersions, HubError> {
    let sql = format!("SELECT {}", versions_sql(1, 2));
    let rows = backend.select(
        &sql,
        &[
            Param::Text(units::VERSION_KEY),
            Param::Text(PLAN_VERSION_KEY),
        ],
    )?;
    versions_at(rows.first().map(Vec::as_slice).unwrap_or_default(), 0)
}

/// The device of a token (by its hash), and the office data's versions
/// in the same statement: every sync checks its token, and a push answers
/// from these versions (see [`Scope::office`]).
pub(crate) fn device_by_token<B: Backend>(
    backend: &B,
    token_hash: &[u8],
) -> Result<(Option<DeviceRow>, OfficeVersions), HubError> {
    let sql = format!(
        "SELECT id, communes, CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END,
                CASE WHEN lost_at IS NULL THEN 0 ELSE 1 END, {}
         FROM devices WHERE token_hash = $3",
        versions_sql(1, 2)
    );
    // Numbered in the order they appear: SQLite numbers `$N` parameters
    // so, whatever N says.
    let rows = backend.select(
        &sql,
        &[
            Param::Text(units::VERSION_KEY),
            Param::Text(PLAN_VERSION_KEY),
            Param::Blob(token_hash),
        ],
    )?;
    let Some(row) = rows.into_iter().next() else {
        return Ok((None, OfficeVersions::default()));
    };
    let text = |i: usize| match row.get(i) {
        Some(Cell::Text(t)) => Ok(t.clone()),
        other => Err(HubError::Malformed(format!("a device's row: {other:?}"))),
    };
    let flag = |i: usize| row.get(i).and_then(Cell::int).is_some_and(|v| v != 0);
    let device = DeviceRow {
        id: text(0)?,
        communes: text(1)?,
        revoked: flag(2),
        lost: flag(3),
    };
    Ok((Some(device), versions_at(&row, 4)?))
}

/// The office's data for a device of `scope` holding version `have`, if
/// the hub holds another.
pub(crate) fn answer<B: Backend>(
    hub: &Hub<B>,
    scope: &Scope,
    have: u64,
) -> Result<Option<OfficeData>, HubError> {
    let v = match scope.office {
        Some(read) => read,
        None => versions(&hub.backend)?,
    };
    // Another process loaded a list: this one works with it from now on,
    // whatever the device holds (it may have learnt it from the other).
    if v.units != hub.units_version() {
        hub.refresh_units()?;
    }
    let version = protocol::office_version(v.units, v.plan, v.purges);
    if !protocol::office_wanted(v.units, version, have) {
        return Ok(None);
    }
    let tree = hub.units();
    let mut data = protocol::office_data(version, &tree, &hub.plan()?, &scope.communes);
    data.purged = purged_for(&hub.backend, scope)?;
    Ok(Some(data))
}
