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
    }
);
