//! The office's data as the hub last gave it (`sync::wire::OfficeData`):
//! the part of the unit list this tablet's communes need, which its records
//! are validated against from then on, and the province's plan, which its
//! reports are judged against. Kept in `meta` with its version; a tablet
//! never given any keeps the tree it was opened with (the bundled demo
//! district) and the bundled plan. The files the office purged ride here
//! too: their bytes are dropped when the data is kept.

use super::{get_meta, set_meta, Store};
use crate::sync::wire::OfficeData;
use crate::CoreError;
use pcmt_model::OrgTree;

const VERSION: &str = "office.version";
const UNITS: &str = "office.units";
const NEIGHBOURS: &str = "office.neighbours";
const PLAN: &str = "office.plan";

impl Store {
    /// The version of the office's data this tablet holds; 0 for none.
    pub fn office_version(&self) -> Result<u64, CoreError> {
        Ok(get_meta(&self.conn, VERSION)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Keeps the office's data and validates against its units from now
    /// on, in one transaction. A list that is not a tree (a unit twice, a
    /// parent missing) is refused and changes nothing.
    ///
    /// When the list merges another commune into this tablet's, the pull
    /// starts again from the beginning of the feed in the same
    /// transaction, since the old commune's earlier records lie behind the
    /// cursor: the answer is the communes to pull from now on, `None` when
    /// they did not change.
    pub fn apply_office(&mut self, office: &OfficeData) -> Result<Option<Vec<String>>, CoreError> {
        let tree = OrgTree::from_units(office.units.clone()).map_err(|e| unreadable(UNITS, &e))?;
        let json = serde_json::to_string(&office.units).map_err(|e| unreadable(UNITS, &e))?;
        let neighbours =
            serde_json::to_string(&office.neighbours).map_err(|e| unreadable(NEIGHBOURS, &e))?;
        let plan = office
            .plan
            .as_ref()
            .map(|p| serde_json::to_string(p).map_err(|e| unreadable(PLAN, &e)))
            .transpose()?;
        let enrolled = self.enrolment()?.map(|e| e.communes).unwrap_or_default();
        let before = self.units.with_merged(&enrolled);
        let after = tree.with_merged(&enrolled);
        let widened = after.iter().any(|c| !before.contains(c));
        // A purged file's bytes must not stay in freed pages or in the WAL.
        let purging = !office.purged.is_empty();
        if purging {
            self.conn.pragma_update(None, "secure_delete", "ON")?;
        }
        let tx = self.conn.transaction()?;
        super::attachments::purge(&tx, &office.purged)?;
        set_meta(&tx, UNITS, &json)?;
        set_meta(&tx, NEIGHBOURS, &neighbours)?;
        if widened {
            set_meta(&tx, "pull_cursor", "0")?;
        }
        if let Some(plan) = &plan {
            set_meta(&tx, PLAN, plan)?;
        }
        set_meta(&tx, VERSION, &office.version.to_string())?;
        tx.commit()?;
        if purging {
            self.conn.pragma_update(None, "secure_delete", "OFF")?;
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        self.units = tree;
        self.neighbours = office.neighbours.clone();
        if let Some(plan) = &office.plan {
            self.plan = plan.clone();
        }
        Ok(widened.then_some(after))
    }

    /// The province's plan the tablet's reports are judged against: the
    /// office's, once given, else the bundled one.
    pub fn plan(&self) -> pcmt_model::Plan {
        self.plan.clone()
    }

    /// When the store opens: the office's own list and plan, once a sync
    /// brought them, in place of the tree the store was opened with and
    /// the bundled plan.
    pub(super) fn use_office_data(&mut self) -> Result<(), CoreError> {
        if let Some(json) = get_meta(&self.conn, UNITS)? {
            self.units = OrgTree::from_json(&json).map_err(|e| unreadable(UNITS, &e))?;
        }
        if let Some(json) = get_meta(&self.conn, PLAN)? {
            self.plan = serde_json::from_str(&json).map_err(|e| unreadable(PLAN, &e))?;
        }
        if let Some(json) = get_meta(&self.conn, NEIGHBOURS)? {
            self.neighbours =
                serde_json::from_str(&json).map_err(|e| unreadable(NEIGHBOURS, &e))?;
        }
        Ok(())
    }

    /// The tree a move is checked against: the tablet's, with the
    /// district's other communes the office named.
    pub(super) fn with_neighbours(&self) -> Result<OrgTree, CoreError> {
        if self.neighbours.is_empty() {
            return Ok(self.units.clone());
        }
        let mut all: Vec<pcmt_model::OrgUnit> = self.units.units().cloned().collect();
        all.extend(
            self.neighbours
                .iter()
                .filter(|n| self.units.get(&n.code).is_none())
                .cloned(),
        );
        OrgTree::from_units(all).map_err(|e| unreadable(NEIGHBOURS, &e))
    }
}

fn unreadable(key: &str, e: &dyn std::fmt::Display) -> CoreError {
    CoreError::CorruptRecord {
        id: key.into(),
        reason: e.to_string(),
    }
}
