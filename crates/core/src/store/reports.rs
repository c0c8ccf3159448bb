//! Reports computed from this tablet's rows, and the log of the report
//! files saved from it.

use super::Store;
use crate::projection::SqliteRows;
use crate::CoreError;
use chrono::NaiveDate;
use pcmt_model::report::{ExportEntry, Period, Report, SiteFeature};

impl Store {
    /// The report of an org unit (a commune, or a district or province
    /// rolled up through the tree) for a period, counted up to `today`
    /// while it runs, judged against the province's plan the office gave.
    pub fn report(
        &self,
        unit: &str,
        period: &Period,
        today: NaiveDate,
    ) -> Result<Report, CoreError> {
        let mut report = crate::report::compute(
            &mut SqliteRows(&self.conn),
            &self.units,
            &self.rules,
            unit,
            period,
            today,
        )?;
        report.apply_plan(&self.plan);
        Ok(report)
    }

    /// The sites found in an org unit during a period, for the map exports.
    pub fn site_features(
        &self,
        unit: &str,
        period: &Period,
    ) -> Result<Vec<SiteFeature>, CoreError> {
        crate::report::site_features(&mut SqliteRows(&self.conn), &self.units, unit, period)
    }

    /// Notes a report file saved from this tablet (nhật ký xuất tệp).
    pub fn log_export(&mut self, entry: &ExportEntry) -> Result<(), CoreError> {
        crate::export_log::append(&self.conn, entry)
    }

    /// The latest exports from this tablet, newest first.
    pub fn exports(&self, limit: u32) -> Result<Vec<ExportEntry>, CoreError> {
        crate::export_log::latest(&self.conn, limit)
    }
}
