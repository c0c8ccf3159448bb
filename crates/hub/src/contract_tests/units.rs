//! The office's unit list in the storage, on both stores, starting from a
//! hub as a real province's starts: empty.

use crate::rules::audit::{Action, Actor, Query};
use crate::rules::units;
use crate::storage::HubStorage;
use pcmt_model::org_sheet;

on_both!(
    sqlite: &crate::sqlite::HubStore::open_in_memory_empty().expect("an in-memory hub"),
    postgres: |db| &db.empty_store().expect("a PostgreSQL hub store");
    a_fresh_hub_has_no_units_until_the_office_loads_its_list_and_each_load_is_a_version,
);

const HUE: &str = "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên
46,Thành phố Huế,Tỉnh,
19774,Phường Thuận Hóa,Phường,46
20014,Xã A Lưới 1,Xã,46
20014-01,Thôn A Đớt,Thôn,20014
";

fn a_fresh_hub_has_no_units_until_the_office_loads_its_list_and_each_load_is_a_version(
    hub: &dyn HubStorage,
) {
    assert!(hub.units().is_empty());
    assert_eq!(hub.units_version(), 0);
    let tree = org_sheet::read_rows(&units::read_file(HUE.as_bytes()).unwrap()).unwrap();
    assert_eq!(hub.load_units(&tree, &Actor::office()).unwrap(), 1);
    assert!(hub.units().is_commune("20014"));
    // What is stored reads back the same (another process's view).
    assert_eq!(*hub.refresh_units().unwrap(), tree);

    let renamed = HUE.replace("Xã A Lưới 1", "Xã A Lưới Một");
    let tree = org_sheet::read_rows(&units::read_file(renamed.as_bytes()).unwrap()).unwrap();
    assert_eq!(hub.load_units(&tree, &Actor::staff("tinh")).unwrap(), 2);
    assert_eq!(hub.units().get("20014").unwrap().name, "Xã A Lưới Một");
    let log = hub.audit_log(&Query::visible_to(&tree, "46")).unwrap();
    let loads: Vec<_> = log
        .entries
        .iter()
        .filter(|l| l.entry.action == Action::UnitsLoaded)
        .map(|l| (l.entry.detail.version, l.entry.actor.name.clone()))
        .collect();
    assert_eq!(
        loads,
        [(Some(2), Some("tinh".to_string())), (Some(1), None)]
    );
    // The demo's seed leaves a loaded list alone.
    assert!(!hub.seed_demo_units().unwrap());
    assert_eq!(hub.units_version(), 2);
}
