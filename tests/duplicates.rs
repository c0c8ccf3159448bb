//! One citizen registered twice (issue 20): two tablets of a commune each
//! make a file with the same citizen ID and a visit. The hub flags both
//! files at the push that makes them duplicates; each tablet sees its
//! file flagged after its next sync, naming the other file's commune
//! only. The office merges them: the merged file leaves every list and
//! report on the hub and both tablets, its visit moves to the file kept,
//! and both histories stay. Files of two communes are not merged (the
//! office is told to move one first). On both hubs.

use pcmt_hub::rules::staff::{Role, Staff};
use pcmt_hub::storage::with_rows;
use pcmt_model::fixtures::{checkin, day, person, COMMUNE, OTHER_COMMUNE};
use pcmt_model::{SharedWith, StatusSpan};
use sotay_pcmt::{on_both_hubs, TestDevice, TestHub};
use uuid::Uuid;

on_both_hubs!(
    two_tablets_registering_one_citizen_id_are_flagged_then_merged_at_the_office,
    a_corrected_citizen_id_takes_its_flags_away_and_leaves_the_others,
);

const SHARED: &str = "062098555001";

fn shared_ids_at_hub(hub: &TestHub) -> Vec<String> {
    with_rows(&*hub.storage, |rows| rows.shared_citizen_ids())
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

fn two_tablets_registering_one_citizen_id_are_flagged_then_merged_at_the_office(hub: TestHub) {
    let a = TestDevice::new("Công an xã — A Lưu");
    let b = TestDevice::new("Hội phụ nữ — Y Hoa");
    let elsewhere = TestDevice::new("Công an xã — A Blong");
    a.enrol(&hub, &[COMMUNE]);
    b.enrol(&hub, &[COMMUNE]);
    elsewhere.enrol(&hub, &[OTHER_COMMUNE]);

    let mut file = person("Y Thị Trùng");
    file.citizen_id = Some(SHARED.into());
    let today = day(2026, 11, 30);
    let (kept, kept_visit) = {
        let mut s = a.store();
        let row = s.create_person(&file, &a.author, today).unwrap();
        let since = file.managed_since().unwrap();
        let visit = s
            .create_checkin(
                &checkin(row.id, since.succ_opt().unwrap()),
                &a.author,
                today,
            )
            .unwrap();
        (row.id, visit.id)
    };
    a.sync(&hub);
    let (gone, gone_visit) = {
        let mut s = b.store();
        let mut theirs = file.clone();
        theirs.phone = Some("0912000111".into());
        let row = s.create_person(&theirs, &b.author, today).unwrap();
        let visit = s
            .create_checkin(&checkin(row.id, day(2026, 11, 20)), &b.author, today)
            .unwrap();
        (row.id, visit.id)
    };
    // The push that makes the duplicate flags both files, also the one
    // pushed before.
    b.sync(&hub);
    a.sync(&hub);
    let flag = |file: Uuid| SharedWith {
        file,
        commune: COMMUNE.into(),
    };
    assert_eq!(
        a.store().file_marks(kept).unwrap().shared_with,
        [flag(gone)]
    );
    assert_eq!(
        b.store().file_marks(gone).unwrap().shared_with,
        [flag(kept)]
    );
    assert!(a.store().file_marks(kept).unwrap().open_duplicate());
    // The flag is no officer's edit: no conflict, the file reads as made.
    assert!(a.store().conflicts(kept).unwrap().is_empty());
    assert_eq!(a.store().person_file(kept).unwrap(), file);
    let mut listed = shared_ids_at_hub(&hub);
    listed.sort();
    let mut both = vec![kept.to_string(), gone.to_string()];
    both.sort();
    assert_eq!(listed, both);

    // A file of another commune with the ID: flagged too, and the office
    // may not merge across communes.
    let mut far = file.clone();
    far.commune = OTHER_COMMUNE.into();
    far.village = None;
    let far_id = elsewhere
        .store()
        .create_person(&far, &elsewhere.author, today)
        .unwrap()
        .id;
    elsewhere.sync(&hub);
    let far_marks = elsewhere.store().file_marks(far_id).unwrap();
    let mut expected = vec![flag(kept), flag(gone)];
    expected.sort();
    assert_eq!(far_marks.shared_with, expected);
    let admin = Staff {
        username: "quantri".into(),
        unit: "62-610".into(),
        role: Role::Admin,
    };
    let refused = hub
        .storage
        .merge_person_files(&admin, kept, far_id)
        .unwrap()
        .unwrap_err();
    assert!(refused.0.contains("chuyển nơi cư trú"), "{refused:?}");
    // Its officer deletes the file: the other two lose the flag naming it.
    elsewhere.store().delete(far_id, &elsewhere.author).unwrap();
    elsewhere.sync(&hub);
    a.sync(&hub);
    assert_eq!(
        a.store().file_marks(kept).unwrap().shared_with,
        [flag(gone)]
    );

    // A commune's staff outside it may not merge; the district's may.
    let outsider = Staff {
        unit: OTHER_COMMUNE.into(),
        ..admin.clone()
    };
    assert!(hub
        .storage
        .merge_person_files(&outsider, kept, gone)
        .unwrap()
        .is_err());
    hub.storage
        .merge_person_files(&admin, kept, gone)
        .unwrap()
        .unwrap();
    assert!(shared_ids_at_hub(&hub).is_empty());

    for tablet in [&a, &b] {
        tablet.sync(&hub);
        let s = tablet.store();
        let people: Vec<Uuid> = s
            .search_people("", 100, 0)
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(people, [kept], "{}", tablet.author.officer);
        let marks = s.file_marks(kept).unwrap();
        assert!(marks.shared_with.is_empty());
        assert_eq!(marks.absorbed.len(), 1);
        assert_eq!(marks.absorbed[0].file, gone);
        assert_eq!(s.file_marks(gone).unwrap().merged_into, Some(kept));
        // Both visits now count for the file kept, the later one last.
        let mut visits: Vec<Uuid> = s.checkins_of(kept).unwrap().iter().map(|c| c.id).collect();
        visits.sort();
        let mut expected = vec![kept_visit, gone_visit];
        expected.sort();
        assert_eq!(visits, expected);
        // Both histories stay: the merged file's own, and the office's
        // merge in each.
        let history = s.history(gone).unwrap();
        assert!(history.iter().any(|h| h.officer == b.author.officer));
        assert!(history.iter().any(|h| h.officer == "Văn phòng: quantri"));
        assert!(s
            .history(kept)
            .unwrap()
            .iter()
            .any(|h| h.officer == "Văn phòng: quantri"));
    }
    // The person counts once in the hub's register.
    let statuses: Vec<StatusSpan> = file.statuses.clone();
    assert!(!statuses.is_empty());
    let people = with_rows(&*hub.storage, |rows| rows.people(&[COMMUNE.to_string()]))
        .unwrap()
        .unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].0, kept.to_string());
}

/// Three files of one ID; the officer of one corrects a typo in its ID.
/// The two others stay flagged with each other only, the corrected one
/// with nothing: the hub finds the third file through the flags the
/// corrected one held, not through its new ID.
fn a_corrected_citizen_id_takes_its_flags_away_and_leaves_the_others(hub: TestHub) {
    let tablets: Vec<TestDevice> = ["A Lưu", "Y Hoa", "A Blong"]
        .into_iter()
        .map(TestDevice::new)
        .collect();
    let today = day(2026, 11, 30);
    let mut ids = Vec::new();
    for t in &tablets {
        t.enrol(&hub, &[COMMUNE]);
        let mut file = person("Hồ Văn Sửa");
        file.citizen_id = Some(SHARED.into());
        ids.push(t.store().create_person(&file, &t.author, today).unwrap().id);
        t.sync(&hub);
    }
    for t in &tablets {
        t.sync(&hub);
    }
    let flags = |t: &TestDevice, id: Uuid| {
        let mut f: Vec<Uuid> = t
            .store()
            .file_marks(id)
            .unwrap()
            .shared_with
            .iter()
            .map(|s| s.file)
            .collect();
        f.sort();
        f
    };
    let others = |i: usize| {
        let mut o: Vec<Uuid> = (0..3).filter(|j| *j != i).map(|j| ids[j]).collect();
        o.sort();
        o
    };
    for (i, t) in tablets.iter().enumerate() {
        assert_eq!(flags(t, ids[i]), others(i));
    }

    let mut fixed = tablets[0].store().person_file(ids[0]).unwrap();
    fixed.citizen_id = Some("062098555999".into());
    tablets[0]
        .store()
        .update_person(ids[0], &fixed, &tablets[0].author, today)
        .unwrap();
    for t in &tablets {
        t.sync(&hub);
    }
    assert!(flags(&tablets[0], ids[0]).is_empty());
    assert_eq!(flags(&tablets[1], ids[1]), [ids[2]]);
    assert_eq!(flags(&tablets[2], ids[2]), [ids[1]]);
    let mut listed = shared_ids_at_hub(&hub);
    listed.sort();
    let mut pair = vec![ids[1].to_string(), ids[2].to_string()];
    pair.sort();
    assert_eq!(listed, pair);
}
