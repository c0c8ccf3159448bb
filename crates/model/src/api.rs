//! The contract between the screens and the shell: what commands return,
//! shared so both sides (de)serialize the same shapes.

use crate::validation::FieldError;
use crate::Lang;
use serde::{Deserialize, Serialize};

/// Why a command failed: field errors to show inline, and a sentence in each
/// language for everything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandError {
    pub fields: Vec<FieldError>,
    pub message_vi: String,
    pub message_en: String,
    /// The app is locked: the screens show the PIN screen instead.
    #[serde(default)]
    pub locked: bool,
}

impl CommandError {
    /// An error with no field to mark, in both languages.
    pub fn plain(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            fields: Vec::new(),
            message_vi: vi.into(),
            message_en: en.into(),
            locked: false,
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.message_vi,
            Lang::En => &self.message_en,
        }
    }
}

/// Whether the app may be used now (khóa ứng dụng).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockState {
    /// A PIN was chosen on this tablet (the store is encrypted under it).
    pub pin_set: bool,
    pub locked: bool,
    /// Seconds before another PIN is accepted, after too many wrong ones.
    pub wait_s: i64,
    /// The officer's language, kept outside the encrypted store so the PIN
    /// screen speaks it before the store opens.
    #[serde(default)]
    pub lang: Lang,
}

crate::labelled_enum!(
    /// Why the hub refused this tablet at its last sync (máy bị thu hồi
    /// hay báo mất).
    Withdrawal {
        Revoked = ("revoked", "Văn phòng đã thu hồi quyền đồng bộ", "Access revoked by the office"),
        Lost = ("lost", "Văn phòng đã báo mất máy này", "Marked lost by the office"),
    }
);

/// What the frame and the settings screen show about this tablet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    pub device_id: String,
    pub settings: Settings,
    /// False until the first-start screen was filled in.
    pub set_up: bool,
    /// The office accepted this tablet (a token is held).
    pub enrolled: bool,
    /// Communes this tablet may see and change (from the enrolment).
    pub communes: Vec<String>,
    /// A new code from the office waits for the next sync (after the
    /// office revoked this tablet).
    #[serde(default)]
    pub renewal_pending: bool,
    /// The hub refused this tablet at its last sync: revoked or lost.
    #[serde(default)]
    pub withdrawn: Option<Withdrawal>,
    /// The hub certificate the officer confirmed (its SHA-256 fingerprint,
    /// in groups): the tablet trusts that one and no other.
    #[serde(default)]
    pub hub_certificate: Option<String>,
    /// A certificate the hub presented that the tablet refused (none
    /// confirmed yet, or not the confirmed one), for the officer to compare
    /// with the office's print-out and confirm.
    #[serde(default)]
    pub hub_certificate_seen: Option<String>,
    pub unsynced: u64,
    /// Records kept here that this version cannot show ([`KeptRecord`]).
    #[serde(default)]
    pub unreadable: u64,
    /// Seconds since the Unix epoch of the last finished sync.
    pub last_sync: Option<i64>,
    /// Bytes of the database on the device.
    pub data_bytes: u64,
    pub app_version: String,
    /// The version of the office's data this tablet holds (0: none yet),
    /// and its part of the office's unit list: the screens offer and
    /// check these communes and villages. Empty until the hub gave one
    /// (the bundled demo district then).
    #[serde(default)]
    pub office_version: u64,
    #[serde(default)]
    pub units: Vec<crate::OrgUnit>,
}

/// What the officer sets on this tablet: kept on the device, never synced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub lang: Lang,
    /// Officer's full name (cán bộ), written into every change they make.
    pub officer: String,
    /// Their unit, e.g. "Công an xã Đăk Pék".
    pub unit: String,
    pub hub_url: String,
    /// Minutes without use before the app locks itself (khóa tự động).
    #[serde(default = "Settings::default_lock_after")]
    pub lock_after_min: u32,
}

/// The first-start screen: settings and the office's one-time enrolment code,
/// used at the first sync (offline now is fine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupInput {
    pub settings: Settings,
    pub code: String,
}

impl Settings {
    /// Five minutes: a tablet left on a table at a rally is locked before
    /// the session ends.
    pub const DEFAULT_LOCK_AFTER_MIN: u32 = 5;
    /// Longer would leave the register open on a desk for most of a morning.
    pub const MAX_LOCK_AFTER_MIN: u32 = 30;
    /// What the settings screen offers.
    pub const LOCK_AFTER_CHOICES: [u32; 6] = [1, 2, 5, 10, 15, 30];

    fn default_lock_after() -> u32 {
        Self::DEFAULT_LOCK_AFTER_MIN
    }

    /// Officer and unit are what every change is signed with.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        use crate::validation::{Field, Problem};
        let mut errs = Vec::new();
        if self.officer.trim().is_empty() {
            errs.push(FieldError::new(Field::Officer, Problem::Required));
        }
        if self.unit.trim().is_empty() {
            errs.push(FieldError::new(Field::Unit, Problem::Required));
        }
        if let Err(problem) = crate::check_hub_address(&self.hub_url) {
            errs.push(FieldError::new(Field::HubUrl, problem));
        }
        if !(1..=Self::MAX_LOCK_AFTER_MIN).contains(&self.lock_after_min) {
            errs.push(FieldError::new(
                Field::LockAfter,
                Problem::TooLarge {
                    max: Self::MAX_LOCK_AFTER_MIN,
                },
            ));
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

/// What a sync did, for the officer's progress line and outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub sent_records: u64,
    pub sent_bytes: u64,
    pub received_records: u64,
    pub received_bytes: u64,
    pub round_trips: u64,
    /// The hub had been restored from a backup (a new epoch): this sync
    /// offered every record by its heads and pulled again from the start.
    #[serde(default)]
    pub resynced: bool,
    /// Bytes of the heads offered in that resync (ids and hashes).
    #[serde(default)]
    pub offered_bytes: u64,
    /// The version of the office's data (its unit list) this sync
    /// received, when the hub held another than the tablet.
    #[serde(default)]
    pub office_version: Option<u64>,
    /// Attachments (photos, files), moved after the records and counted
    /// apart from them: files sent whole, files received whole (mostly
    /// thumbnails), and their bytes.
    #[serde(default)]
    pub sent_attachments: u64,
    #[serde(default)]
    pub received_attachments: u64,
    #[serde(default)]
    pub attachment_bytes: u64,
}

/// How the tablet's own syncing stands, for the frame: shown beside the
/// sync button and sent to the screens whenever it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// A sync (started by the button or by the tablet) is under way.
    pub running: bool,
    /// Seconds since the Unix epoch of the last sync that went through.
    pub last_sync: Option<i64>,
    /// When the tablet will try by itself next; `None` while it does not
    /// sync by itself (locked, not enrolled, withdrawn by the office).
    pub next_try: Option<i64>,
    /// How the last try ended, if one was made since the app started.
    pub last_try: Option<TryOutcome>,
    /// What the last sync that went through moved, so the screens read
    /// their data again only when something changed.
    pub moved: u64,
}

/// How one sync ended, as the tablet's scheduling tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TryOutcome {
    Synced,
    /// The hub did not answer (ngoại tuyến).
    Offline,
    /// The hub answered but the sync did not go through.
    Failed,
}

/// One field of a record holding several values written concurrently on
/// different devices (xung đột): shown side by side until an officer picks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldConflict {
    pub field: String,
    pub values: Vec<ConflictValue>,
}

impl FieldConflict {
    /// The values as written, without who wrote them.
    pub fn texts(&self) -> Vec<String> {
        self.values.iter().map(|v| v.text.clone()).collect()
    }
}

/// One of a conflict's values, and each change that wrote it: the officer
/// deciding between two figures needs to know whose each one is and when
/// it was written. Empty `writers` when the store was not asked (the
/// projection only needs to know that a conflict exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictValue {
    pub text: String,
    #[serde(default)]
    pub writers: Vec<Writer>,
}

/// Who wrote a value: the officer named in the change, the tablet (the
/// change's actor, hex) and the tablet's clock, in seconds since the Unix
/// epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writer {
    pub officer: String,
    pub device: String,
    pub time: i64,
}

/// One change of a record's history: who, on which device, when, and the
/// fields it set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Seconds since the Unix epoch, as the device's clock said.
    pub time: i64,
    pub officer: String,
    pub device: String,
    pub fields: Vec<FieldValue>,
}

/// The value a history line gives a list item (`sites/<id>`) that the
/// change added.
pub const ITEM_ADDED: &str = "@added";
/// The value a history line gives a list item that the change removed.
pub const ITEM_REMOVED: &str = "@removed";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    pub field: String,
    pub value: String,
    /// For a list item's line (`sites/<id>…`): the item's place in the
    /// list, from 1, as the record read after the change (before it, for
    /// an item removed), so the officer reads "Điểm 2", not an id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
}

/// Which records a list shows: a period (both ends included) and a commune.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListFilter {
    pub from: Option<chrono::NaiveDate>,
    pub until: Option<chrono::NaiveDate>,
    pub commune: Option<String>,
    /// Sessions only: where and how they were held.
    #[serde(default)]
    pub venue_kind: Option<crate::VenueKind>,
    #[serde(default)]
    pub form: Option<crate::SessionForm>,
}

/// A person in the register as lists show them (sổ theo dõi).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    pub id: uuid::Uuid,
    pub full_name: String,
    pub birth_date: chrono::NaiveDate,
    pub commune: String,
    pub village: Option<String>,
    pub status: Option<crate::LegalStatus>,
    /// Next visit due (hạn thăm gặp); None when the file is closed.
    pub due_on: Option<chrono::NaiveDate>,
    pub unsynced: bool,
    pub conflicted: bool,
}

/// A person due or overdue for a visit, with where they stand today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueVisit {
    pub person: PersonRow,
    pub state: crate::VisitState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInRow {
    pub id: uuid::Uuid,
    pub person: uuid::Uuid,
    pub date: chrono::NaiveDate,
    pub attended: bool,
    pub test_result: Option<crate::TestResult>,
    pub psychosis_signs: bool,
    pub relapse_suspected: bool,
    pub next_visit: Option<chrono::NaiveDate>,
    pub unsynced: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyRow {
    pub id: uuid::Uuid,
    pub date: chrono::NaiveDate,
    pub commune: String,
    pub kind: crate::SurveyKind,
    /// Zero means a sweep with no findings, which still counts as coverage.
    pub sites: u32,
    pub plants: u64,
    pub area_m2: f64,
    pub unsynced: bool,
}

/// A drug hot spot as lists show it: where, since when, and how it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotSpotRow {
    pub id: uuid::Uuid,
    pub place: String,
    pub commune: String,
    pub village: Option<String>,
    pub detected_on: chrono::NaiveDate,
    /// The stage in force now (the latest to take effect).
    pub stage: crate::HotSpotStage,
    pub activities: Vec<crate::HotSpotActivity>,
    pub unsynced: bool,
    pub conflicted: bool,
}

/// A record kept on this tablet that this version of the app cannot show
/// (bản ghi phiên bản này chưa hiển thị được): written by a newer app, or
/// with a field of the wrong shape. Its data is kept and synced; an update,
/// or a correction made elsewhere, shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptRecord {
    pub id: uuid::Uuid,
    /// None for a kind of record this version does not know.
    pub kind: Option<crate::RecordKind>,
    pub commune: String,
    /// What reading it said (English, for the office's support).
    pub reason: String,
}

/// What a tablet keeps of a person file that moved out of its communes
/// (chuyển nơi cư trú): a read-only note, nothing else of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedPerson {
    pub id: uuid::Uuid,
    pub full_name: String,
    pub from: String,
    pub to: String,
    pub to_name: String,
    pub on: chrono::NaiveDate,
}

impl MovedPerson {
    /// "Người này đã chuyển đến Xã B từ ngày dd/mm/yyyy: hồ sơ do xã B quản lý".
    pub fn text(&self, lang: crate::Lang) -> String {
        crate::residence::moved_text(lang, &self.to_name, self.on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::{problem_pairs, Field, Problem};

    fn settings(officer: &str, unit: &str, hub_url: &str) -> Settings {
        Settings {
            lang: Lang::Vi,
            officer: officer.into(),
            unit: unit.into(),
            hub_url: hub_url.into(),
            lock_after_min: Settings::DEFAULT_LOCK_AFTER_MIN,
        }
    }

    #[test]
    fn settings_need_an_officer_a_unit_and_a_web_address() {
        let good = settings("Y Bhim Niê", "Công an xã Đăk Pék", "https://10.0.0.2:8787");
        assert_eq!(problem_pairs(good.validate()), vec![]);
        let bad = settings("  ", "", "10.0.0.2:8787");
        assert_eq!(
            problem_pairs(bad.validate()),
            vec![
                (Field::Officer, Problem::Required),
                (Field::Unit, Problem::Required),
                (Field::HubUrl, Problem::BadAddress),
            ]
        );
        let never = Settings {
            lock_after_min: 0,
            ..good.clone()
        };
        assert_eq!(
            problem_pairs(never.validate()),
            vec![(Field::LockAfter, Problem::TooLarge { max: 30 })]
        );
        let bare = settings("A", "B", "https://");
        assert_eq!(
            problem_pairs(bare.validate()),
            vec![(Field::HubUrl, Problem::BadAddress)]
        );
        let plain = settings("A", "B", "http://10.0.0.2:8787");
        assert_eq!(
            problem_pairs(plain.validate()),
            vec![(Field::HubUrl, Problem::PlainHttp)]
        );
        let here = settings("A", "B", "http://127.0.0.1:8787");
        assert_eq!(problem_pairs(here.validate()), vec![]);
    }
}

/// One attachment of a record as a screen shows it: the reference the
/// record holds, and whether this tablet holds the whole file (else only
/// its thumbnail came with the record, and the whole is fetched when
/// asked for).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRow {
    #[serde(flatten)]
    pub attachment: crate::AttachmentRef,
    pub held: bool,
}
