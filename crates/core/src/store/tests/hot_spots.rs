//! Hot spots (issue 23) through the store's commands: recorded, a stage
//! added, listed with the stage in force, history per span; refused when
//! invalid.

use super::{author, today};
use crate::{CoreError, Store};
use pcmt_model::api::ListFilter;
use pcmt_model::fixtures::{day, hot_spot, hot_spot_span, COMMUNE};
use pcmt_model::{Field, HotSpotActivity, HotSpotStage, OrgTree, Problem};
use uuid::Uuid;

#[test]
fn a_hot_spot_is_recorded_dealt_with_and_cleared_and_lists_show_its_stage() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let mut spot = hot_spot("Quán karaoke bờ suối", day(2026, 3, 2));
    spot.stages[0].id = Uuid::nil();
    let row = s.create_hot_spot(&spot, &author(), today()).unwrap();
    assert_eq!(
        (row.stage, row.detected_on, row.unsynced),
        (HotSpotStage::Detected, day(2026, 3, 2), true)
    );
    assert_eq!(row.activities, vec![HotSpotActivity::Gathering]);
    let saved = s.record::<pcmt_model::HotSpotInput>(row.id).unwrap();
    assert!(!saved.stages[0].id.is_nil(), "the core names each span");

    let mut next = saved.clone();
    next.stages.push(hot_spot_span(
        HotSpotStage::BeingDealtWith,
        day(2026, 3, 10),
    ));
    next.stages
        .push(hot_spot_span(HotSpotStage::Cleared, day(2026, 5, 20)));
    let row = s
        .update_hot_spot(row.id, &next, &author(), today())
        .unwrap();
    assert_eq!(row.stage, HotSpotStage::Cleared);

    // An open spot is listed before a cleared one, whatever their dates.
    let open = s
        .create_hot_spot(
            &hot_spot("Lán rẫy đầu thôn", day(2026, 1, 5)),
            &author(),
            today(),
        )
        .unwrap();
    let listed: Vec<Uuid> = s
        .list_hot_spots(&ListFilter::default(), 50, 0)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, vec![open.id, row.id]);
    let in_march = ListFilter {
        from: Some(day(2026, 3, 1)),
        until: Some(day(2026, 3, 31)),
        commune: Some(COMMUNE.into()),
        ..ListFilter::default()
    };
    let march: Vec<Uuid> = s
        .list_hot_spots(&in_march, 50, 0)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(march, vec![row.id], "the period filters the detection day");

    // The history names the stages added, one line each.
    let history = s.history(row.id).unwrap();
    assert_eq!(history.len(), 2);
    let added: Vec<&str> = history[1]
        .fields
        .iter()
        .map(|f| f.field.split('/').next().unwrap_or_default())
        .collect();
    assert_eq!(added, vec!["stages", "stages"]);
}

#[test]
fn an_invalid_hot_spot_is_refused_with_its_fields() {
    let mut s = Store::open_in_memory(OrgTree::demo()).unwrap();
    let mut spot = hot_spot("", day(2026, 3, 2));
    spot.stages = vec![hot_spot_span(HotSpotStage::Cleared, day(2026, 3, 2))];
    let err = s.create_hot_spot(&spot, &author(), today()).unwrap_err();
    let CoreError::Invalid(fields) = err else {
        panic!("not refused as invalid: {err:?}");
    };
    let pairs: Vec<(Field, Problem)> = fields.into_iter().map(|e| (e.field, e.problem)).collect();
    assert_eq!(
        pairs,
        vec![
            (Field::HotSpotPlace, Problem::Required),
            (Field::HotSpotStage, Problem::NotDetectedFirst),
        ]
    );
    assert_eq!(
        s.list_hot_spots(&ListFilter::default(), 50, 0).unwrap(),
        vec![]
    );
}
