//! The audit log's rows on PostgreSQL: the scope is a `text[]`.
//! Written by `pcmt_append_audit` (migration 0006).

use super::calls::{Composite, Param};
use super::rows::PgRows;
use crate::error::HubError;
use crate::rules::audit::{json, Columns, Entry, Logged, Page, Query, Read};
use crate::rules::devices::now;
use r2d2_postgres::postgres::GenericClient;

/// Writes `entries` in one call (`pcmt_append_audit`), inside whatever
/// transaction `client` is in.
pub(super) fn append<C: GenericClient>(
    client: &mut PgRows<'_, C>,
    entries: &[Entry],
) -> Result<(), HubError> {
    if entries.is_empty() {
        return Ok(());
    }
    client.call("pcmt_append_audit", &[arg(entries)?])?;
    Ok(())
}

/// `entries` as the function's argument. Scopes travel as JSON text: an
/// array of arrays must be rectangular in PostgreSQL, and scopes differ
/// in length.
pub(super) fn arg(entries: &[Entry]) -> Result<Composite<'static>, HubError> {
    let mut cols: [Vec<Option<String>>; 8] = Default::default();
    for e in entries {
        let c = Columns::of(e)?;
        let row = [
            Some(c.actor_kind.to_string()),
            c.device,
            c.actor,
            Some(c.action.to_string()),
            c.record,
            c.record_kind.map(str::to_string),
            Some(json(&e.scope)?),
            Some(c.detail),
        ];
        for (col, value) in cols.iter_mut().zip(row) {
            col.push(value);
        }
    }
    let mut fields: Vec<Param<'static>> = vec![Box::new(now())];
    fields.extend(cols.into_iter().map(|c| Box::new(c) as Param<'static>));
    Ok(Composite {
        type_name: "pcmt_audit",
        fields,
    })
}

pub(super) fn read<C: GenericClient>(
    client: &mut PgRows<'_, C>,
    q: &Query,
) -> Result<Page, HubError> {
    let rows = client.query(
        "SELECT id, at, actor_kind, device_id, actor, action, record_id, record_kind, scope, detail
         FROM audit_log
         WHERE (scope && $1::text[] OR ($2 AND cardinality(scope) = 0))
           AND ($3::text IS NULL OR record_id = $3) AND ($4::text IS NULL OR device_id = $4)
           AND ($5::bigint IS NULL OR at >= $5) AND ($6::bigint IS NULL OR at < $6)
         ORDER BY at DESC, id DESC LIMIT $7 OFFSET $8",
        &[
            &q.units,
            &q.unscoped,
            &q.record.map(|r| r.to_string()),
            &q.device.map(|d| d.to_string()),
            &q.from,
            &q.until,
            &q.limit(),
            &q.offset(),
        ],
    )?;
    let entries = rows
        .iter()
        .map(|r| {
            Logged::try_from(Read {
                id: r.try_get(0)?,
                at: r.try_get(1)?,
                actor_kind: r.try_get(2)?,
                device: r.try_get(3)?,
                actor: r.try_get(4)?,
                action: r.try_get(5)?,
                record: r.try_get(6)?,
                record_kind: r.try_get(7)?,
                scope: r.try_get(8)?,
                detail: r.try_get(9)?,
            })
        })
        .collect::<Result<Vec<_>, HubError>>()?;
    Ok(Page::of(entries, q))
}
