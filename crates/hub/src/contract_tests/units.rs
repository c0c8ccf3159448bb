//! The office's unit list in the storage, on both stores, starting from a
//! hub as a real province's starts: empty.

use crate::rules::audit::{Action, Actor, Query};
use crate::rules::devices::{OfficeVersions, Scope};
use crate::rules::units;
use crate::storage::HubStorage;
use pcmt_core::sync::wire::{PushRequest, PROTOCOL_VERSION};
use pcmt_model::org_sheet;
use uuid::Uuid;

on_both!(
    sqlite: &crate::sqlite::HubStore::open_in_memory_empty().expect("an in-memory hub"),
    postgres: |db| &db.empty_store().expect("a PostgreSQL hub store");
    a_fresh_hub_has_no_units_until_the_office_loads_its_list_and_each_load_is_a_version,
    a_tablet_is_given_its_part_of_the_list_when_its_version_differs_only,
    a_token_check_reads_the_versions_its_sync_is_answered_from,
);

const HUE: &str = "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên
46,Thành phố Huế,Tỉnh,
19774,Phường Thuận Hóa,Phường,46
20014,Xã A Lưới 1,Xã,46
20014-01,Thôn A Đớt,Thôn,20014
";

/// An empty push of `scope`'s tablet holding version `office` of the
/// office's data.
fn asking(scope: &Scope, office: Option<u64>) -> PushRequest {
    PushRequest {
        protocol: PROTOCOL_VERSION,
        device: scope.device,
        docs: Vec::new(),
        pull: None,
        epoch: None,
        office,
    }
}

fn a_fresh_hub_has_no_units_until_the_office_loads_its_list_and_each_load_is_a_version(
    hub: &dyn HubStorage,
) {
    assert!(hub.units().is_empty());
    assert_eq!(hub.units_version(), 0);
    let tree = org_sheet::read_rows(&units::read_file(HUE.as_bytes()).unwrap()).unwrap();
    assert_eq!(hub.load_units(&tree, &Actor::office()).unwrap(), 1);
    assert!(hub.units().is_commune("20014"));
    // What is stored reads back the same (another process's view).
    assert_eq!(*hub.refresh_units().unwrap().1, tree);

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

fn a_tablet_is_given_its_part_of_the_list_when_its_version_differs_only(hub: &dyn HubStorage) {
    let scope = Scope {
        device: Uuid::now_v7(),
        communes: vec!["20014".into()],
        office: None,
    };
    let asking = |office| asking(&scope, office);
    // No list yet: nothing to give.
    assert_eq!(hub.push(&scope, &asking(Some(0))).unwrap().office, None);
    let load = |text: &str| {
        let tree = org_sheet::read_rows(&units::read_file(text.as_bytes()).unwrap()).unwrap();
        hub.load_units(&tree, &Actor::office()).unwrap()
    };
    assert_eq!(load(HUE), 1);
    let given = hub.push(&scope, &asking(Some(0))).unwrap().office.unwrap();
    assert_eq!(given.version, 1);
    let codes: Vec<_> = given.units.iter().map(|u| u.code.as_str()).collect();
    // Its commune with what is above and below it; not the ward next door.
    assert_eq!(codes, ["20014", "20014-01", "46"]);
    assert_eq!(hub.push(&scope, &asking(Some(1))).unwrap().office, None);
    assert_eq!(hub.push(&scope, &asking(None)).unwrap().office, None);

    assert_eq!(load(&HUE.replace("Thôn A Đớt", "Thôn A Đớt Mới")), 2);
    let given = hub.push(&scope, &asking(Some(1))).unwrap().office.unwrap();
    assert_eq!(given.version, 2);
    assert!(given.units.iter().any(|u| u.name == "Thôn A Đớt Mới"));
    assert_eq!(
        given.plan,
        Some(pcmt_model::Plan::bundled()),
        "the bundled plan until the office sets one"
    );

    // The province sets its plan: a tablet holding version 2 is given
    // the office's data again, with the plan, under a new version.
    let mut plan = pcmt_model::Plan::bundled();
    plan.first_half_by = pcmt_model::DayMonth::new(16, 6);
    let logged = crate::rules::audit::Entry::plan_set("tinh", "46", &plan);
    hub.set_plan(&plan, &logged).unwrap();
    let given = hub.push(&scope, &asking(Some(2))).unwrap().office.unwrap();
    assert_eq!(given.version, 3);
    assert_eq!(given.plan, Some(plan));
    assert_eq!(hub.push(&scope, &asking(Some(3))).unwrap().office, None);
}

/// Two hub processes on one database (PostgreSQL's case; two SQLite
/// stores on one file stand in for it): a list one loads is what the
/// other's syncs work with from its next sync on, even when the tablet
/// learnt the new version through the first (so is given nothing).
fn a_list_loaded_by_another_process_is_used_by_this_ones_next_sync(
    a: &dyn HubStorage,
    b: &dyn HubStorage,
) {
    let scope = Scope {
        device: Uuid::now_v7(),
        communes: vec!["20014".into()],
        office: None,
    };
    let asking = |have| asking(&scope, Some(have));
    let load = |hub: &dyn HubStorage, text: &str| {
        let tree = org_sheet::read_rows(&units::read_file(text.as_bytes()).unwrap()).unwrap();
        hub.load_units(&tree, &Actor::office()).unwrap()
    };
    assert_eq!(load(b, HUE), 1);
    assert_eq!(
        a.push(&scope, &asking(0)).unwrap().office.unwrap().version,
        1
    );
    assert_eq!(a.units().get("20014").unwrap().name, "Xã A Lưới 1");
    assert_eq!(load(b, &HUE.replace("Xã A Lưới 1", "Xã A Lưới Một")), 2);
    assert_eq!(
        b.push(&scope, &asking(1)).unwrap().office.unwrap().version,
        2
    );
    assert_eq!(a.push(&scope, &asking(2)).unwrap().office, None);
    assert_eq!(a.units_version(), 2);
    assert_eq!(a.units().get("20014").unwrap().name, "Xã A Lưới Một");
}

mod two_processes {
    use crate::testing::TestDatabase;

    #[test]
    fn sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.db");
        let a = crate::sqlite::HubStore::open(&path).unwrap();
        let b = crate::sqlite::HubStore::open(&path).unwrap();
        super::a_list_loaded_by_another_process_is_used_by_this_ones_next_sync(&a, &b);
    }

    #[test]
    fn postgres() {
        let Some(db) = TestDatabase::from_env("a_list_loaded_by_another_process")
            .expect("the PostgreSQL server of PCMT_TEST_PG")
        else {
            return;
        };
        let (a, b) = (db.empty_store().unwrap(), db.empty_store().unwrap());
        super::a_list_loaded_by_another_process_is_used_by_this_ones_next_sync(&a, &b);
    }
}

/// A sync's token check reads the office data's versions in the same
/// statement, and its push answers from them: a list loaded between the
/// two reaches the tablet at its next sync, whose check reads it.
fn a_token_check_reads_the_versions_its_sync_is_answered_from(hub: &dyn HubStorage) {
    let load = |text: &str| {
        let tree = org_sheet::read_rows(&units::read_file(text.as_bytes()).unwrap()).unwrap();
        hub.load_units(&tree, &Actor::office()).unwrap()
    };
    assert_eq!(load(HUE), 1);
    let code = hub.issue_code(&["20014".into()], "A Lưu", 3600).unwrap();
    let token = hub.enrol(&code, Uuid::now_v7(), None).unwrap().token;
    let checked = hub.authenticate(&token).unwrap();
    assert_eq!(
        checked.office,
        Some(OfficeVersions {
            units: 1,
            plan: 0,
            purges: 0
        })
    );
    let given = hub.push(&checked, &asking(&checked, Some(0))).unwrap();
    assert_eq!(given.office.unwrap().version, 1);

    // Loaded after this sync's check: not in its answer, in the next one's.
    assert_eq!(load(&HUE.replace("Thôn A Đớt", "Thôn A Đớt Mới")), 2);
    assert_eq!(
        hub.push(&checked, &asking(&checked, Some(1)))
            .unwrap()
            .office,
        None
    );
    let next = hub.authenticate(&token).unwrap();
    assert_eq!(next.office.map(|v| v.units), Some(2));
    let given = hub.push(&next, &asking(&next, Some(1))).unwrap();
    assert_eq!(given.office.unwrap().version, 2);
}
