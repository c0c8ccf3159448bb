//! What every record document carries, whatever its kind.

use crate::labelled_enum;

/// Schema version written into every new document. A device that meets a
/// document with a higher version refuses to interpret it rather than guess.
pub const SCHEMA_VERSION: u64 = 1;

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
