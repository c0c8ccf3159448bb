//! Upward sync (district → province): a hub is a device of the hub above
//! it, with the same protocol. It pushes the changes of its own feed the
//! higher hub lacks (by feed position), and pulls the higher hub's feed into
//! its own. Changes that came from above are marked with [`UPLINK_ORIGIN`]
//! and never pushed back up; the higher hub never sends a hub back its own.
//! Sans-IO like the device side: [`Uplink`] decides, a `Transport` carries.

use crate::store::{apply_doc, HubError, HubStore};
use pcmt_core::http::HttpTransport;
use pcmt_core::sync::wire::{
    DocChanges, Enrolment, PullRequest, PushRequest, BATCH_BYTES, PROTOCOL_VERSION,
};
use pcmt_core::sync::{Request, Response, SyncReport, Transport};
use rusqlite::{params, OptionalExtension};
use std::sync::Mutex;
use uuid::Uuid;

/// Origin of the changes a hub received from the hub above it.
pub const UPLINK_ORIGIN: Uuid = Uuid::from_u128(0x7570_6c69_6e6b);

impl HubStore {
    fn meta(&self, key: &str) -> Result<Option<String>, HubError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), HubError> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// This hub's identity as a device of the hub above.
    pub fn hub_id(&self) -> Result<Uuid, HubError> {
        if let Some(id) = self.meta("hub_id")?.and_then(|s| Uuid::parse_str(&s).ok()) {
            return Ok(id);
        }
        let id = Uuid::now_v7();
        self.set_meta("hub_id", &id.to_string())?;
        Ok(id)
    }

    pub fn uplink(&self) -> Result<Option<Enrolment>, HubError> {
        match self.meta("uplink")? {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| HubError::Malformed(e.to_string())),
        }
    }

    fn cursor(&self, key: &str) -> Result<i64, HubError> {
        Ok(self.meta(key)?.and_then(|s| s.parse().ok()).unwrap_or(0))
    }

    /// Own changes after feed position `after`, grouped by document, up to
    /// about `max_bytes`; with the last position they reach.
    fn changes_after(
        &self,
        after: i64,
        max_bytes: usize,
    ) -> Result<(Vec<DocChanges>, i64), HubError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT c.seq, c.doc_id, d.kind, c.commune, c.bytes FROM changes c JOIN documents d ON d.id = c.doc_id
             WHERE c.seq > ?1 AND c.origin IS NOT ?2 ORDER BY c.seq LIMIT 2000",
        )?;
        let mut rows = stmt.query(params![after, UPLINK_ORIGIN.to_string()])?;
        let (mut docs, mut last, mut size): (Vec<DocChanges>, i64, usize) = (Vec::new(), after, 0);
        while let Some(r) = rows.next()? {
            let id = Uuid::parse_str(&r.get::<_, String>(1)?)
                .map_err(|e| HubError::Malformed(e.to_string()))?;
            let bytes: Vec<u8> = r.get(4)?;
            size += bytes.len();
            last = r.get(0)?;
            // Changes of one document travel together and in feed order.
            match docs.iter_mut().find(|d| d.id == id) {
                Some(d) => d.changes.push(bytes),
                None => docs.push(DocChanges {
                    id,
                    kind: r.get(2)?,
                    commune: r.get(3)?,
                    changes: vec![bytes],
                }),
            }
            if size >= max_bytes {
                break;
            }
        }
        Ok((docs, last))
    }

    /// Applies a batch from above and moves the cursor, in one transaction;
    /// returns how many documents it changed.
    fn apply_from_above(&mut self, batch: &[DocChanges], cursor: u64) -> Result<u32, HubError> {
        let (conn, rules) = self.conn_and_rules();
        let tx = conn.transaction()?;
        let mut changed_docs = 0;
        for dc in batch {
            if apply_doc(&tx, dc, UPLINK_ORIGIN, rules)? > 0 {
                changed_docs += 1;
            }
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('uplink_pull', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [cursor.to_string()],
        )?;
        tx.commit()?;
        Ok(changed_docs)
    }
}

enum Phase {
    Push,
    Pull,
    Done,
}

/// One upward sync run.
pub struct Uplink {
    phase: Phase,
    communes: Vec<String>,
    /// Feed position the push on the wire reaches.
    in_flight: i64,
    pub report: SyncReport,
}

impl Uplink {
    pub fn new(communes: Vec<String>) -> Self {
        Self {
            phase: Phase::Push,
            communes,
            in_flight: 0,
            report: SyncReport::default(),
        }
    }

    pub fn next(&mut self, hub: &HubStore) -> Result<Option<Request>, HubError> {
        if let Phase::Push = self.phase {
            let (docs, last) = hub.changes_after(hub.cursor("uplink_pushed")?, BATCH_BYTES)?;
            if !docs.is_empty() {
                self.in_flight = last;
                self.report.sent_records += docs.len() as u64;
                return Ok(Some(Request::Push(PushRequest {
                    protocol: PROTOCOL_VERSION,
                    device: hub.hub_id()?,
                    docs,
                })));
            }
            self.phase = Phase::Pull;
        }
        match self.phase {
            Phase::Pull => Ok(Some(Request::Pull(PullRequest {
                protocol: PROTOCOL_VERSION,
                device: hub.hub_id()?,
                communes: self.communes.clone(),
                cursor: hub.cursor("uplink_pull")?.unsigned_abs(),
                max_bytes: BATCH_BYTES as u32,
            }))),
            _ => Ok(None),
        }
    }

    pub fn receive(&mut self, hub: &mut HubStore, response: Response) -> Result<(), HubError> {
        self.report.round_trips += 1;
        match (&self.phase, response) {
            // Acknowledged: the higher hub holds everything up to here.
            (Phase::Push, Response::Push(_)) => {
                hub.set_meta("uplink_pushed", &self.in_flight.to_string())
            }
            (Phase::Pull, Response::Pull(batch)) => {
                self.report.received_records += u64::from(
                    hub.apply_from_above(&batch.docs, batch.cursor)?.min(1)
                        * batch.docs.len() as u32,
                );
                if !batch.more {
                    self.phase = Phase::Done;
                }
                Ok(())
            }
            _ => Err(HubError::Upstream(
                "the higher hub answered out of turn".into(),
            )),
        }
    }
}

/// Syncs this hub with the hub above it at `base_url`, enrolling first with
/// `code` if it has no token yet.
pub fn sync_upward(
    hub: &Mutex<HubStore>,
    base_url: &str,
    code: Option<&str>,
) -> Result<SyncReport, HubError> {
    let lock = || hub.lock().unwrap_or_else(|p| p.into_inner());
    let upstream = |e: pcmt_core::sync::SyncError| HubError::Upstream(e.to_string());
    // Bound first: a guard in the match head would live through the arms.
    let known = lock().uplink()?;
    let enrolment = match (known, code) {
        (Some(e), _) => e,
        (None, Some(code)) => {
            let id = lock().hub_id()?;
            let e = HttpTransport::new(base_url)
                .map_err(upstream)?
                .enrol(code, id)
                .map_err(upstream)?;
            let json =
                serde_json::to_string(&e).map_err(|err| HubError::Malformed(err.to_string()))?;
            lock().set_meta("uplink", &json)?;
            e
        }
        (None, None) => {
            return Err(HubError::Upstream(
                "not enrolled with the higher hub".into(),
            ))
        }
    };
    let mut transport = HttpTransport::with_token(base_url, &enrolment.token).map_err(upstream)?;
    let mut run = Uplink::new(enrolment.communes);
    loop {
        let Some(request) = run.next(&lock())? else {
            return Ok(run.report);
        };
        let response = transport.exchange(&request).map_err(upstream)?;
        run.receive(&mut lock(), response)?;
    }
}
