//! Person files holding one citizen ID (hồ sơ trùng số CCCD, issue 20):
//! which other files each file is to be flagged with, and whether the
//! office may merge two files. Pure: `crate::storage::duplicates` reads
//! the files and writes the flags.
//!
//! A flag names the other file by id and commune only. A tablet of one
//! commune thereby learns that a file with the same citizen ID exists in
//! another commune, never whose or what it holds (the office sees both).

use pcmt_model::SharedWith;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// A person file as the reports count it (not deleted, not merged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFile {
    pub id: String,
    pub commune: String,
    pub citizen_id: Option<String>,
}

impl PersonFile {
    fn citizen_id(&self) -> Option<&str> {
        self.citizen_id.as_deref().filter(|c| !c.trim().is_empty())
    }
}

/// The flags each of `targets` is to hold: the other files of `live`
/// sharing its citizen ID. A target not in `live` (deleted, merged, no
/// longer readable) or without an ID is flagged with nothing, so a flag
/// goes away with the duplicate. `live` must hold every live file sharing
/// an ID with a target.
pub fn shared_with(
    targets: &BTreeSet<String>,
    live: &[PersonFile],
) -> BTreeMap<String, Vec<SharedWith>> {
    let by_id: BTreeMap<&str, &PersonFile> = live.iter().map(|f| (f.id.as_str(), f)).collect();
    targets
        .iter()
        .map(|target| {
            let theirs = by_id.get(target.as_str()).and_then(|f| f.citizen_id());
            let mut others: Vec<SharedWith> = match theirs {
                None => Vec::new(),
                Some(id) => live
                    .iter()
                    .filter(|f| f.id != *target && f.citizen_id() == Some(id))
                    .filter_map(|f| {
                        Some(SharedWith {
                            file: f.id.parse::<Uuid>().ok()?,
                            commune: f.commune.clone(),
                        })
                    })
                    .collect(),
            };
            others.sort();
            others.dedup();
            (target.clone(), others)
        })
        .collect()
}

/// Why the office may not merge `gone` into `kept`, in the clerk's words
/// (None: it may). Both must be live files of the staff member's unit
/// holding the same citizen ID, in one commune: a check-in counts in its
/// person's commune, so the visits of a file in another commune would
/// leave it; the person is first moved (chuyển nơi cư trú), then merged.
pub fn merge_refusal(
    kept: Option<&PersonFile>,
    gone: Option<&PersonFile>,
    within_unit: impl Fn(&str) -> bool,
) -> Option<(&'static str, &'static str)> {
    let (Some(kept), Some(gone)) = (kept, gone) else {
        return Some((
            "Không tìm thấy một trong hai hồ sơ (có thể đã bị xóa hoặc đã gộp).",
            "One of the two files was not found (deleted or merged already).",
        ));
    };
    if kept.id == gone.id {
        return Some((
            "Hãy chọn hai hồ sơ khác nhau.",
            "Choose two different files.",
        ));
    }
    if !within_unit(&kept.commune) || !within_unit(&gone.commune) {
        return Some((
            "Chỉ gộp được hồ sơ thuộc đơn vị của bạn.",
            "Only files of your unit can be merged.",
        ));
    }
    if kept.citizen_id().is_none() || kept.citizen_id() != gone.citizen_id() {
        return Some((
            "Hai hồ sơ không cùng số CCCD.",
            "The two files do not hold the same citizen ID.",
        ));
    }
    if kept.commune != gone.commune {
        return Some((
            "Hai hồ sơ thuộc hai xã khác nhau: hãy chuyển nơi cư trú của một hồ sơ về xã kia trước (trang Chuyển nơi cư trú, với mã hồ sơ), rồi gộp.",
            "The files belong to two communes: move one file to the other commune first (the move page, with the file's code), then merge.",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(n: u128, commune: &str, cccd: Option<&str>) -> PersonFile {
        PersonFile {
            id: Uuid::from_u128(n).to_string(),
            commune: commune.into(),
            citizen_id: cccd.map(str::to_owned),
        }
    }

    fn flag(n: u128, commune: &str) -> SharedWith {
        SharedWith {
            file: Uuid::from_u128(n),
            commune: commune.into(),
        }
    }

    #[test]
    fn each_file_is_flagged_with_the_others_holding_its_id_and_a_gone_file_with_none() {
        let live = [
            file(1, "24109", Some("079123456789")),
            file(2, "24112", Some("079123456789")),
            file(3, "24109", Some("079123456789")),
            file(4, "24109", Some("079000000001")),
            file(5, "24109", Some("  ")),
            file(6, "24109", Some("  ")),
        ];
        let targets: BTreeSet<String> = [1, 4, 5, 9].map(|n| Uuid::from_u128(n).to_string()).into();
        let flags = shared_with(&targets, &live);
        assert_eq!(
            flags[&Uuid::from_u128(1).to_string()],
            [flag(2, "24112"), flag(3, "24109")]
        );
        // Alone with its ID, a blank ID, a file no longer live: no flags.
        for n in [4, 5, 9] {
            assert!(flags[&Uuid::from_u128(n).to_string()].is_empty(), "{n}");
        }
    }

    #[test]
    fn the_office_merges_only_two_live_files_of_one_commune_with_one_id_in_its_unit() {
        let a = file(1, "24109", Some("079123456789"));
        let b = file(2, "24109", Some("079123456789"));
        let elsewhere = file(3, "24112", Some("079123456789"));
        let other_id = file(4, "24109", Some("079000000001"));
        let ours = |c: &str| c == "24109" || c == "24112";
        assert_eq!(merge_refusal(Some(&a), Some(&b), ours), None);
        assert!(merge_refusal(Some(&a), None, ours).is_some());
        assert!(merge_refusal(Some(&a), Some(&a), ours).is_some());
        assert!(merge_refusal(Some(&a), Some(&other_id), ours).is_some());
        let moved_first = merge_refusal(Some(&a), Some(&elsewhere), ours).unwrap();
        assert!(moved_first.0.contains("chuyển nơi cư trú"));
        assert!(merge_refusal(Some(&a), Some(&b), |c| c == "24112").is_some());
    }
}
