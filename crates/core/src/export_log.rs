//! Nhật ký xuất tệp: the tablet's own record of every report file it saved.
//! Written after the file is whole, read back newest first for the settings
//! screen. Device-local: it names this tablet's officer and is never synced.

use crate::CoreError;
use pcmt_model::report::{ExportEntry, ExportFormat};
use pcmt_model::Labelled;
use rusqlite::{params, Connection};

fn corrupt(reason: impl Into<String>) -> CoreError {
    CoreError::CorruptRecord {
        id: "export_log".into(),
        reason: reason.into(),
    }
}

pub fn append(conn: &Connection, entry: &ExportEntry) -> Result<(), CoreError> {
    let period = serde_json::to_string(&entry.period).map_err(|e| corrupt(e.to_string()))?;
    conn.execute(
        "INSERT INTO export_log (at, officer, format, unit, unit_name, period, file, bytes, personal_data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            entry.at,
            entry.officer,
            entry.format.code(),
            entry.unit,
            entry.unit_name,
            period,
            entry.file,
            i64::try_from(entry.bytes).unwrap_or(i64::MAX),
            entry.personal_data,
        ],
    )?;
    Ok(())
}

/// The latest `limit` exports, newest first.
pub fn latest(conn: &Connection, limit: u32) -> Result<Vec<ExportEntry>, CoreError> {
    let mut stmt = conn.prepare(
        "SELECT at, officer, format, unit, unit_name, period, file, bytes, personal_data
         FROM export_log ORDER BY at DESC, rowid DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, i64>(7)?,
            r.get::<_, bool>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, officer, format, unit, unit_name, period, file, bytes, personal_data) = row?;
        out.push(ExportEntry {
            at,
            officer,
            format: ExportFormat::from_code(&format)
                .ok_or_else(|| corrupt(format!("unknown format `{format}`")))?,
            unit,
            unit_name,
            period: serde_json::from_str(&period).map_err(|e| corrupt(e.to_string()))?,
            file,
            bytes: bytes.unsigned_abs(),
            personal_data,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::Store;
    use pcmt_model::report::{ExportEntry, ExportFormat, Period};
    use pcmt_model::OrgTree;

    fn entry(at: i64, format: ExportFormat, file: &str) -> ExportEntry {
        ExportEntry {
            at,
            officer: "Y Blơk".into(),
            format,
            unit: "62-610".into(),
            unit_name: "Huyện Đăk Glei".into(),
            period: Period::month(2026, 10).unwrap(),
            file: file.into(),
            bytes: 4096,
            personal_data: format.has_personal_data(),
        }
    }

    #[test]
    fn exports_are_read_back_whole_and_newest_first() {
        let mut store = Store::open_in_memory(OrgTree::demo()).unwrap();
        assert!(store.exports(10).unwrap().is_empty());
        let first = entry(1_764_000_000, ExportFormat::Xlsx, "bao-cao.xlsx");
        let second = entry(1_764_000_600, ExportFormat::Kml, "diem.kml");
        let third = entry(1_764_000_600, ExportFormat::Csv, "chi-tieu.csv");
        for e in [&first, &second, &third] {
            store.log_export(e).unwrap();
        }
        // Same second: the later write comes first.
        assert_eq!(
            store.exports(10).unwrap(),
            vec![third.clone(), second, first]
        );
        assert_eq!(store.exports(1).unwrap(), vec![third]);
    }
}
