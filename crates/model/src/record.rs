//! What every record document carries, whatever its kind.

use crate::labelled_enum;

/// Schema version written into every new document. A device that meets a
/// document with a higher version refuses to interpret it rather than guess.
/// 1: lists and nested objects as one JSON value per field. 2: sites,
/// status spans and audience groups as objects of their own in Automerge
/// lists, topics as a set; older documents read as they are and are
/// migrated on their next write.
pub const SCHEMA_VERSION: u64 = 2;

labelled_enum!(
    /// Kind of record (loại hồ sơ). One Automerge document per record.
    RecordKind {
        /// Buổi tuyên truyền — a propaganda / education session.
        Session = ("session", "Buổi tuyên truyền", "Propaganda session"),
        /// Hồ sơ quản lý — a person under management.
        Person = ("person", "Hồ sơ quản lý", "Person under management"),
        /// Lần gặp, kiểm tra — one visit to a person under management.
        CheckIn = ("checkin", "Lần gặp, kiểm tra", "Check-in"),
        /// Đợt rà soát cây có chứa chất ma túy, with the sites it found.
        Survey = ("survey", "Đợt rà soát cây có chứa chất ma túy", "Drug-plant survey"),
        /// Điểm, tụ điểm phức tạp về ma túy, with its status over time. A
        /// kind of its own needs no schema of its own: an older app keeps
        /// a record of a kind it does not know unread and relays it.
        HotSpot = ("hotspot", "Điểm, tụ điểm phức tạp về ma túy", "Drug hot spot"),
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_kinds_are_well_labelled() {
        crate::lang::tests::assert_well_labelled::<RecordKind>();
    }
}
