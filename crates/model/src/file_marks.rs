//! What the office and the hub mark on a person file beside what officers
//! write (issue 20): another file holding the same citizen ID (hồ sơ trùng
//! số CCCD), and the merge of two files into one (gộp hồ sơ). Officers
//! never write these; the hub flags a shared ID when a file reaches it,
//! and the office merges.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Another person file holding this file's citizen ID: its id and its
/// commune, nothing of its personal data (a tablet of this commune may not
/// read another commune's files).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SharedWith {
    pub file: Uuid,
    pub commune: String,
}

/// A file merged into this one by the office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absorbed {
    pub file: Uuid,
    /// The staff member who merged it.
    pub by: String,
    /// When, as Unix seconds.
    pub at: i64,
}

/// The marks of one person file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMarks {
    /// Other files with the same citizen ID, as the hub last saw them.
    pub shared_with: Vec<SharedWith>,
    /// The file this one was merged into: it is read-only from then on,
    /// and its visits count for that file.
    pub merged_into: Option<Uuid>,
    /// Files merged into this one.
    pub absorbed: Vec<Absorbed>,
}

impl FileMarks {
    /// Whether an officer is to be told of a possible double registration.
    pub fn open_duplicate(&self) -> bool {
        self.merged_into.is_none() && !self.shared_with.is_empty()
    }
}
