//! The audit log's rows on PostgreSQL: the scope is a `text[]`.

use super::rows::PgRows;
use crate::error::HubError;
use crate::rules::audit::{json, Columns, Entry, Logged, Page, Query, Read};
use crate::rules::devices::now;
use r2d2_postgres::postgres::GenericClient;

/// Writes `entries` in one statement, inside whatever transaction
/// `client` is in. Scopes travel as JSON text: an array of arrays must be
/// rectangular in PostgreSQL, and scopes differ in length.
pub(super) fn append<C: GenericClient>(
    client: &mut PgRows<'_, C>,
    entries: &[Entry],
) -> Result<(), HubError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut cols = (
        Vec::with_capacity(entries.len()),
        Vec::with_capacity(entries.len()),
        Vec::with_capacity(entries.len()),
        Vec::with_capacity(entries.len()),
        Vec::with_capacity(entries.len()),
        Vec::with_capacity(entries.len()),
        Vec::with_capacity(entries.len()),
        Vec::with_capacity(entries.len()),
    );
    for e in entries {
        let c = Columns::of(e)?;
        cols.0.push(c.actor_kind);
        cols.1.push(c.device);
        cols.2.push(c.actor);
        cols.3.push(c.action);
        cols.4.push(c.record);
        cols.5.push(c.record_kind);
        cols.6.push(json(&e.scope)?);
        cols.7.push(c.detail);
    }
    client.execute(
        "INSERT INTO audit_log (at, actor_kind, device_id, actor, action, record_id, record_kind, scope, detail)
         SELECT $1, u.actor_kind, u.device_id, u.actor, u.action, u.record_id, u.record_kind,
                ARRAY(SELECT jsonb_array_elements_text(u.scope::jsonb)), u.detail
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
              WITH ORDINALITY AS u(actor_kind, device_id, actor, action, record_id, record_kind, scope, detail, n)
         ORDER BY u.n",
        &[
            &now(),
            &cols.0,
            &cols.1,
            &cols.2,
            &cols.3,
            &cols.4,
            &cols.5,
            &cols.6,
            &cols.7,
        ],
    )?;
    Ok(())
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
