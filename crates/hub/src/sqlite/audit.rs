//! The audit log's rows on SQLite: the scope is a JSON list.

use crate::error::HubError;
use crate::rules::audit::{json, Columns, Entry, Logged, Page, Query, Read};
use crate::rules::devices::now;
use rusqlite::{params, Connection};

pub(super) fn read(conn: &Connection, q: &Query) -> Result<Page, HubError> {
    let mut stmt = conn.prepare_cached(
            "SELECT id, at, actor_kind, device_id, actor, action, record_id, record_kind, scope, detail
             FROM audit_log a
             WHERE (EXISTS (SELECT 1 FROM json_each(a.scope) s WHERE s.value IN (SELECT value FROM json_each(?1)))
                    OR (?2 AND a.scope = '[]'))
               AND (?3 IS NULL OR a.record_id = ?3) AND (?4 IS NULL OR a.device_id = ?4)
               AND (?5 IS NULL OR a.at >= ?5) AND (?6 IS NULL OR a.at < ?6)
             ORDER BY a.at DESC, a.id DESC LIMIT ?7 OFFSET ?8",
        )?;
    let units = json(&q.units)?;
    let rows = stmt
        .query_map(
            params![
                units,
                q.unscoped,
                q.record.map(|r| r.to_string()),
                q.device.map(|d| d.to_string()),
                q.from,
                q.until,
                q.limit(),
                q.offset()
            ],
            |r| {
                Ok((
                    Read {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor_kind: r.get(2)?,
                        device: r.get(3)?,
                        actor: r.get(4)?,
                        action: r.get(5)?,
                        record: r.get(6)?,
                        record_kind: r.get(7)?,
                        scope: Vec::new(),
                        detail: r.get(9)?,
                    },
                    r.get::<_, String>(8)?,
                ))
            },
        )?
        .map(|row| {
            let (mut read, scope) = row?;
            read.scope = serde_json::from_str(&scope)
                .map_err(|_| HubError::Malformed(format!("audit entry {}: scope", read.id)))?;
            Logged::try_from(read)
        })
        .collect::<Result<Vec<_>, HubError>>()?;
    Ok(Page::of(rows, q))
}

/// Writes `entry` on `conn`, inside whatever transaction it is in.
pub(super) fn append(conn: &Connection, entry: &Entry) -> Result<(), HubError> {
    let c = Columns::of(entry)?;
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor_kind, device_id, actor, action, record_id, record_kind, scope, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        now(),
        c.actor_kind,
        c.device,
        c.actor,
        c.action,
        c.record,
        c.record_kind,
        json(&entry.scope)?,
        c.detail
    ])?;
    Ok(())
}
