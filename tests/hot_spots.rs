//! Issue 23: drug hot spots sync like every record. One officer records a
//! spot; two officers then each add a stage on their own tablet; after
//! sync both tablets hold all three stages with nothing to settle, and the
//! hub's rows and its report show the stage in force.

use chrono::NaiveDate;
use pcmt_core::report::{compute, in_scope, RowScope};
use pcmt_hub::storage::with_rows;
use pcmt_model::fixtures::{day, hot_spot, hot_spot_span, COMMUNE};
use pcmt_model::report::{IndicatorCode as I, Period};
use pcmt_model::{HotSpotInput, HotSpotStage};
use sotay_pcmt::{TestDevice, TestHub};

fn today() -> NaiveDate {
    day(2026, 11, 24)
}

/// The hub's hot spot rows of the demo commune: (place, stage in force).
fn hub_rows(hub: &TestHub) -> Vec<(String, String)> {
    let scope = RowScope {
        from: "2000-01-01".into(),
        until: "2026-12-31".into(),
        communes: vec![COMMUNE.into()],
    };
    with_rows(&*hub.storage, |rows| {
        in_scope(
            rows,
            "SELECT place, stage FROM hotspot_rows WHERE {scope}",
            &scope,
            |r| Ok((r.col(0)?, r.col(1)?)),
        )
    })
    .unwrap()
    .unwrap()
}

fn two_officers_each_add_a_stage_and_both_tablets_and_the_hub_agree(hub: TestHub) {
    let a = TestDevice::new("Công an xã — A Lưu");
    let b = TestDevice::new("Đoàn thanh niên — Y Hoa");
    let id = a
        .store()
        .create_hot_spot(
            &hot_spot("Quán karaoke bờ suối", day(2026, 3, 2)),
            &a.author,
            today(),
        )
        .unwrap()
        .id;
    a.sync(&hub);
    b.sync(&hub);
    assert_eq!(
        hub_rows(&hub),
        vec![("Quán karaoke bờ suối".into(), "detected".into())]
    );
    let file = |d: &TestDevice| d.store().record::<HotSpotInput>(id).unwrap();

    // A records that the police are dealing with it; B, who has not
    // synced since, that it was cleared, and notes the raid on detection.
    let mut on_a = file(&a);
    on_a.stages.push(hot_spot_span(
        HotSpotStage::BeingDealtWith,
        day(2026, 3, 10),
    ));
    a.store()
        .update_hot_spot(id, &on_a, &a.author, today())
        .unwrap();
    let mut on_b = file(&b);
    on_b.stages[0].notes = "Tin báo của quần chúng".into();
    on_b.stages
        .push(hot_spot_span(HotSpotStage::Cleared, day(2026, 5, 20)));
    b.store()
        .update_hot_spot(id, &on_b, &b.author, today())
        .unwrap();

    a.sync(&hub);
    b.sync(&hub);
    a.sync(&hub);
    for d in [&a, &b] {
        let h = file(d);
        let mut stages: Vec<(HotSpotStage, NaiveDate)> =
            h.stages.iter().map(|s| (s.stage, s.from)).collect();
        stages.sort_by_key(|(_, from)| *from);
        assert_eq!(
            stages,
            vec![
                (HotSpotStage::Detected, day(2026, 3, 2)),
                (HotSpotStage::BeingDealtWith, day(2026, 3, 10)),
                (HotSpotStage::Cleared, day(2026, 5, 20)),
            ],
            "every officer's stage is kept"
        );
        assert_eq!(h.stages[0].notes, "Tin báo của quần chúng");
        assert_eq!(d.store().conflicts(id).unwrap(), vec![]);
        assert_eq!(d.store().hot_spot(id).unwrap().stage, HotSpotStage::Cleared);
    }
    assert_eq!(file(&a), file(&b));
    assert_eq!(
        hub_rows(&hub),
        vec![("Quán karaoke bờ suối".into(), "cleared".into())]
    );
    // The dashboard's report of 2026 counts it as the tablets do: found
    // and cleared this year, 1 of 1 cleared.
    let (units, rules) = (hub.storage.units(), hub.storage.rules());
    let year = Period::year(2026).unwrap();
    let report = with_rows(&*hub.storage, |rows| {
        compute(rows, &units, &rules, COMMUNE, &year, today())
    })
    .unwrap()
    .unwrap();
    let on_tablet = a.store().report(COMMUNE, &year, today()).unwrap();
    for r in [&report, &on_tablet] {
        let share = r.indicator(I::HotSpotsResolvedShare).unwrap();
        assert_eq!(
            (share.numerator, share.denominator, share.met),
            (Some(1), Some(1), Some(true))
        );
        assert_eq!(
            r.indicator(I::HotSpotsResolved).and_then(|i| i.value),
            Some(1.0)
        );
    }
}

sotay_pcmt::on_both_hubs!(two_officers_each_add_a_stage_and_both_tablets_and_the_hub_agree);
