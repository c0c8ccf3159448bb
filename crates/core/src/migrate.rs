//! Schema migrations, applied in order at start-up. The version lives in
//! SQLite's `user_version`, and each step commits together with its version
//! bump, so a crash mid-way leaves the database at a known version.

use crate::CoreError;
use rusqlite::Connection;

pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

/// Device store migrations, in order. Never edit a released one: add a new one.
pub const DEVICE: &[Migration] = &[
    Migration {
        name: "0001_init",
        sql: include_str!("../../../migrations/device/0001_init.sql"),
    },
    Migration {
        name: "0002_tombstones_conflicts",
        sql: include_str!("../../../migrations/device/0002_tombstones_conflicts.sql"),
    },
    Migration {
        name: "0003_people_checkins_surveys",
        sql: include_str!("../../../migrations/device/0003_people_checkins_surveys.sql"),
    },
    Migration {
        name: "0004_report_columns",
        sql: include_str!("../../../migrations/device/0004_report_columns.sql"),
    },
    Migration {
        name: "0005_export_log",
        sql: include_str!("../../../migrations/device/0005_export_log.sql"),
    },
    Migration {
        name: "0006_unreadable",
        sql: include_str!("../../../migrations/device/0006_unreadable.sql"),
    },
    Migration {
        name: "0007_drug_free_communes",
        sql: include_str!("../../../migrations/device/0007_drug_free_communes.sql"),
    },
    Migration {
        name: "0008_hot_spots",
        sql: include_str!("../../../migrations/device/0008_hot_spots.sql"),
    },
    Migration {
        name: "0009_attachments",
        sql: include_str!("../../../migrations/device/0009_attachments.sql"),
    },
    Migration {
        name: "0010_moved_people",
        sql: include_str!("../../../migrations/device/0010_moved_people.sql"),
    },
    Migration {
        name: "0011_attachment_purges",
        sql: include_str!("../../../migrations/device/0011_attachment_purges.sql"),
    },
];

/// Hub store migrations, in order.
pub const HUB: &[Migration] = &[
    Migration {
        name: "0001_init",
        sql: include_str!("../../../migrations/hub/0001_init.sql"),
    },
    Migration {
        name: "0002_devices",
        sql: include_str!("../../../migrations/hub/0002_devices.sql"),
    },
    Migration {
        name: "0003_change_origin",
        sql: include_str!("../../../migrations/hub/0003_change_origin.sql"),
    },
    Migration {
        name: "0004_uplink",
        sql: include_str!("../../../migrations/hub/0004_uplink.sql"),
    },
    Migration {
        name: "0005_report_rows",
        sql: include_str!("../../../migrations/hub/0005_report_rows.sql"),
    },
    Migration {
        name: "0006_staff",
        sql: include_str!("../../../migrations/hub/0006_staff.sql"),
    },
    Migration {
        name: "0007_audit",
        sql: include_str!("../../../migrations/hub/0007_audit.sql"),
    },
    Migration {
        name: "0008_lost_devices",
        sql: include_str!("../../../migrations/hub/0008_lost_devices.sql"),
    },
    Migration {
        name: "0009_changes_by_document",
        sql: include_str!("../../../migrations/hub/0009_changes_by_document.sql"),
    },
    Migration {
        name: "0010_drug_free_communes",
        sql: include_str!("../../../migrations/hub/0010_drug_free_communes.sql"),
    },
    Migration {
        name: "0011_staff_roles",
        sql: include_str!("../../../migrations/hub/0011_staff_roles.sql"),
    },
    Migration {
        name: "0012_staff_disabled",
        sql: include_str!("../../../migrations/hub/0012_staff_disabled.sql"),
    },
    Migration {
        name: "0013_hot_spots",
        sql: include_str!("../../../migrations/hub/0013_hot_spots.sql"),
    },
    Migration {
        name: "0014_org_units",
        sql: include_str!("../../../migrations/hub/0014_org_units.sql"),
    },
    Migration {
        name: "0015_unit_dates",
        sql: include_str!("../../../migrations/hub/0015_unit_dates.sql"),
    },
    Migration {
        name: "0016_attachments",
        sql: include_str!("../../../migrations/hub/0016_attachments.sql"),
    },
    Migration {
        name: "0017_person_moves",
        sql: include_str!("../../../migrations/hub/0017_person_moves.sql"),
    },
    Migration {
        name: "0018_attachment_purges",
        sql: include_str!("../../../migrations/hub/0018_attachment_purges.sql"),
    },
];

pub fn apply(conn: &mut Connection, steps: &[Migration]) -> Result<(), CoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = steps.len() as i64;
    if found > known {
        return Err(CoreError::DatabaseTooNew { found, known });
    }
    for (i, step) in steps.iter().enumerate().skip(found as usize) {
        let run = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute_batch(step.sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()
        };
        run(conn).map_err(|source| CoreError::Migration {
            name: step.name,
            source,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn applies_from_empty_and_is_idempotent() {
        for steps in [DEVICE, HUB] {
            let mut conn = Connection::open_in_memory().unwrap();
            apply(&mut conn, steps).unwrap();
            assert_eq!(version(&conn), steps.len() as i64);
            apply(&mut conn, steps).unwrap();
            assert_eq!(version(&conn), steps.len() as i64);
        }
    }

    /// A tablet may skip app versions: a store left at any earlier version,
    /// holding data, must upgrade and still show that data.
    #[test]
    fn upgrades_from_every_earlier_version_keep_the_data() {
        use crate::record_doc::{self, ChangeNote};
        use crate::Store;
        use pcmt_model::{OrgTree, SessionForm, SessionInput, Topic, VenueKind};
        let input = SessionInput {
            date: chrono::NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
            commune: "62-610-23290".into(),
            venue_kind: VenueKind::Agency,
            venue_name: "UBND xã Xốp".into(),
            form: SessionForm::Rally,
            attendees: 75,
            women: 40,
            topics: vec![Topic::DrugLaw2021],
            details: Default::default(),
        };
        for version in 1..=DEVICE.len() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("old.db");
            let id = uuid::Uuid::now_v7();
            {
                let mut conn = Connection::open(&path).unwrap();
                apply(&mut conn, &DEVICE[..1]).unwrap();
                // Written with version 1's columns only, as the first release did.
                let note = ChangeNote {
                    officer: "cũ".into(),
                };
                let mut doc = record_doc::new_record(
                    id,
                    &input.commune,
                    &input,
                    automerge::ActorId::random(),
                    &note,
                    0,
                )
                .unwrap();
                conn.execute(
                    "INSERT INTO documents (id, kind, commune, bytes, dirty) VALUES (?1, 'session', ?2, ?3, 1)",
                    rusqlite::params![id.to_string(), input.commune, record_doc::save(&mut doc)],
                )
                .unwrap();
                conn.execute(
                    "INSERT INTO session_rows VALUES (?1, '2026-03-08', ?2, 'agency', 'UBND xã Xốp', 'rally', 75, 40, 'drug_law_2021')",
                    rusqlite::params![id.to_string(), input.commune],
                )
                .unwrap();
                apply(&mut conn, &DEVICE[..version]).unwrap();
            }
            let mut store = Store::open(&path, OrgTree::demo()).unwrap();
            assert_eq!(
                store.session(id).unwrap().venue_name,
                "UBND xã Xốp",
                "from version {version}"
            );
            assert!(store.rebuild_projections().unwrap().is_empty());
            let row = store.session(id).unwrap();
            assert_eq!(
                (row.attendees, row.women, row.unsynced),
                (75, 40, true),
                "from version {version}"
            );
        }
    }

    /// The hub keeps the tablet's projection rows so both compute reports
    /// with the same code: every row table must have the same columns, types,
    /// constraints and indexes on both sides.
    #[test]
    fn the_hub_has_the_devices_row_tables() {
        let shape = |steps: &[Migration], table: &str| {
            let mut conn = Connection::open_in_memory().unwrap();
            apply(&mut conn, steps).unwrap();
            let mut stmt = conn
                .prepare(&format!("PRAGMA table_info({table})"))
                .unwrap();
            let mut cols: Vec<(String, String, bool, Option<String>, i64)> = stmt
                .query_map([], |r| {
                    Ok((r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            cols.sort();
            let mut idx = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name").unwrap();
            let indexes: Vec<String> = idx
                .query_map([table], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            (cols, indexes)
        };
        for table in crate::projection::ROW_TABLES {
            let device = shape(DEVICE, table);
            assert!(!device.0.is_empty(), "{table}");
            assert_eq!(device, shape(HUB, table), "{table}");
        }
    }

    #[test]
    fn a_newer_database_is_refused_untouched() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = apply(&mut conn, DEVICE).unwrap_err();
        assert!(matches!(err, CoreError::DatabaseTooNew { found: 99, .. }));
        assert_eq!(version(&conn), 99);
    }

    #[test]
    fn a_failing_step_leaves_the_previous_version() {
        let steps = &[
            Migration {
                name: "ok",
                sql: "CREATE TABLE a(x);",
            },
            Migration {
                name: "bad",
                sql: "CREATE TABLE b(x); SELECT * FROM nowhere;",
            },
        ];
        let mut conn = Connection::open_in_memory().unwrap();
        let err = apply(&mut conn, steps).unwrap_err();
        assert!(matches!(err, CoreError::Migration { name: "bad", .. }));
        assert_eq!(version(&conn), 1);
        let b_exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name='b'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(b_exists, 0);
    }
}
