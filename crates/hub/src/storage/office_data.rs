//! The office's data a push answers with (units, plan, purges): looked up
//! in one statement for every sync that asks, and gathered only for a
//! device that holds another version. On PostgreSQL each statement is a
//! round trip, and a tablet asks at every sync.

use super::attachments::{purged_for, PURGE_COUNT_SQL};
use super::backend::{Backend, Cell};
use super::{Hub, OfficeStorage, Param};
use crate::error::HubError;
use crate::rules::devices::Scope;
use crate::rules::protocol;
use crate::rules::units;
use pcmt_core::sync::wire::OfficeData;

/// Where the province plan is kept: one JSON value among the hub's
/// settings, on both databases, with how many times it was set (0:
/// never, the bundled one).
pub(super) const PLAN_KEY: &str = "province_plan";
pub(super) const PLAN_VERSION_KEY: &str = "province_plan_version";

/// The unit list's version, the plan's, and the purges made.
struct Versions {
    units: u64,
    plan: u64,
    purges: u64,
}

fn versions<B: Backend>(backend: &B) -> Result<Versions, HubError> {
    let sql = format!(
        "SELECT (SELECT value FROM meta WHERE key = $1), (SELECT value FROM meta WHERE key = $2), ({PURGE_COUNT_SQL})"
    );
    let rows = backend.select(
        &sql,
        &[
            Param::Text(units::VERSION_KEY),
            Param::Text(PLAN_VERSION_KEY),
        ],
    )?;
    let row = rows.first().map(Vec::as_slice).unwrap_or_default();
    let stored = |i: usize, key: &str| -> Result<u64, HubError> {
        match row.get(i) {
            None | Some(Cell::Null) => Ok(0),
            Some(Cell::Text(v)) => v
                .parse()
                .map_err(|e| HubError::Malformed(format!("{key}: {e}"))),
            Some(other) => Err(HubError::Malformed(format!("{key}: {other:?}"))),
        }
    };
    Ok(Versions {
        units: stored(0, units::VERSION_KEY)?,
        plan: stored(1, PLAN_VERSION_KEY)?,
        purges: row.get(2).and_then(Cell::int).unwrap_or(0).unsigned_abs(),
    })
}

/// The office's data for a device of `scope` holding version `have`, if
/// the hub holds another.
pub(crate) fn answer<B: Backend>(
    hub: &Hub<B>,
    scope: &Scope,
    have: u64,
) -> Result<Option<OfficeData>, HubError> {
    let v = versions(&hub.backend)?;
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
