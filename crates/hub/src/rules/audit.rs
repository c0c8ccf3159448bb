//! The audit log (nhật ký truy cập và thay đổi, issue 8): who — a tablet and
//! the officer it was enrolled for, a staff member, an office tool, the hub
//! above — changed which record when, and who took which export. Records
//! hold sensitive personal data (Decree 13/2023), so every change and every
//! export must be attributable.
//!
//! Three rules hold on both stores:
//! - **Append-only.** Nothing in the hub updates or deletes an entry, no
//!   route writes one from a request's content, and the database itself
//!   aborts any UPDATE or DELETE of `audit_log` (triggers; on PostgreSQL
//!   TRUNCATE too).
//! - **Same transaction.** An entry commits with what it records: a push's
//!   documents, an enrolment, a code, a revocation, a staff session. A push
//!   writes one entry per document it changed (not per Automerge change), so
//!   a repeated push, which changes nothing, writes nothing, and a refused
//!   one rolls its entries back with the rest. Downloads and failed sign-ins
//!   write nothing else: their entry is written before the answer leaves,
//!   and a download whose entry cannot be written is not served.
//! - **Scoped reads.** An entry names the org units it concerns (`scope`: a
//!   record's commune, an export's unit, a device's communes, a staff
//!   member's unit). Staff read the entries concerning their unit or any
//!   unit below it. Entries concerning no unit (a failed sign-in under a
//!   name no account has) are read only by staff whose unit covers every
//!   commune the hub serves.

use super::devices::UPLINK_ORIGIN;
use crate::error::HubError;
use pcmt_model::report::{ExportFormat, Period};
use pcmt_model::{labelled_enum, Labelled, OrgLevel, OrgTree, RecordKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Entries per page of the log.
pub const PAGE_ROWS: u32 = 100;

labelled_enum!(
    /// Who acted.
    ActorKind {
        Device = ("device", "Máy tính bảng", "Tablet"),
        Staff = ("staff", "Cán bộ văn phòng", "Office staff"),
        Office = ("office", "Công cụ của văn phòng", "Office tool"),
        Uplink = ("uplink", "Máy chủ cấp trên", "Higher hub"),
    }
);

labelled_enum!(
    /// What was done.
    Action {
        RecordCreated = ("record_created", "Tạo hồ sơ", "Record created"),
        RecordChanged = ("record_changed", "Sửa hồ sơ", "Record changed"),
        RecordDeleted = ("record_deleted", "Xóa hồ sơ", "Record deleted"),
        RecordRestored = ("record_restored", "Khôi phục hồ sơ", "Record restored"),
        RecordMoved = ("record_moved", "Chuyển hồ sơ sang xã khác", "Record moved to another commune"),
        ExportDownloaded = ("export_downloaded", "Tải báo cáo về", "Export downloaded"),
        CodeIssued = ("code_issued", "Cấp mã đăng ký máy", "Enrolment code issued"),
        DeviceEnrolled = ("device_enrolled", "Đăng ký máy", "Device enrolled"),
        DeviceRevoked = ("device_revoked", "Thu hồi máy", "Device revoked"),
        DeviceLost = ("device_lost", "Báo mất máy", "Device marked lost"),
        SignedIn = ("signed_in", "Đăng nhập", "Signed in"),
        SignInFailed = ("sign_in_failed", "Đăng nhập sai", "Failed sign-in"),
        DrugFreeClassed = ("drug_free_classed", "Phân loại xã không có ma túy", "Drug-free communes classed"),
        HubRestored = ("hub_restored", "Khôi phục máy chủ từ bản sao lưu", "Hub restored from a backup"),
        StaffAdded = ("staff_added", "Tạo tài khoản cán bộ", "Staff account added"),
        StaffPasswordReset = ("staff_password_reset", "Đặt lại mật khẩu", "Password reset"),
        StaffDisabled = ("staff_disabled", "Khóa tài khoản", "Account disabled"),
        StaffEnabled = ("staff_enabled", "Mở khóa tài khoản", "Account enabled"),
        RegisterDownloaded = ("register_downloaded", "Tải sổ theo dõi người được quản lý", "Register downloaded"),
        PlanSet = ("plan_set", "Đặt hạn báo cáo và chỉ tiêu của kế hoạch", "Plan's deadlines and targets set"),
        StaffPlaced = ("staff_placed", "Đổi đơn vị, vai trò tài khoản", "Account's unit or role changed"),
        UnitsLoaded = ("units_loaded", "Nạp danh sách đơn vị hành chính", "Administrative units loaded"),
        RegisterImported = ("register_imported", "Nhập sổ theo dõi người được quản lý từ tệp", "Register imported from a file"),
        AttachmentUploaded = ("attachment_uploaded", "Gửi ảnh, tệp đính kèm", "Attachment uploaded"),
        FilesMerged = ("files_merged", "Gộp hai hồ sơ trùng số CCCD", "Two files sharing a citizen ID merged"),
        AttachmentOpened = ("attachment_opened", "Mở ảnh, tệp đính kèm", "Attachment opened"),
        AttachmentPurged = ("attachment_purged", "Xóa hẳn ảnh, tệp đính kèm", "Attachment purged"),
    }
);

/// Who acted: the kind, the tablet (if one), and a name — the officer the
/// tablet was enrolled for, or the staff member's username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub device: Option<Uuid>,
    pub name: Option<String>,
}

impl Actor {
    pub fn staff(username: &str) -> Self {
        Self {
            kind: ActorKind::Staff,
            device: None,
            name: Some(username.to_string()),
        }
    }

    /// The hub's command-line tools (issuing codes, revoking, the demo seed).
    pub fn office() -> Self {
        Self {
            kind: ActorKind::Office,
            device: None,
            name: None,
        }
    }

    /// Whoever sent changes stored with `origin`: the nil id is the
    /// office's own tools, [`UPLINK_ORIGIN`] the hub above, anything else a
    /// tablet, whose officer `officer` looks up (as enrolled at the time).
    pub fn of_origin(
        origin: Uuid,
        officer: impl FnOnce() -> Result<Option<String>, HubError>,
    ) -> Result<Self, HubError> {
        Ok(if origin.is_nil() {
            Self::office()
        } else if origin == UPLINK_ORIGIN {
            Self {
                kind: ActorKind::Uplink,
                device: None,
                name: None,
            }
        } else {
            Self {
                kind: ActorKind::Device,
                device: Some(origin),
                name: officer()?,
            }
        })
    }
}

/// What else an entry says, by action: how many changes a push brought, an
/// export's format and period, the officer a code is for, a sign-in's
/// client address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ExportFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The year communes were classed for, and those classed drug-free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drug_free: Option<Vec<String>>,
    /// The backup a restore brought back (its file name, or the
    /// procedure), and the hub's new epoch after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// The staff account an administrator acted on, and its unit and role
    /// after the act (never a password or its hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// How many people a register download listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<u32>,
    /// A plan put in force: its name and deadlines as the office reads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// A unit list loaded: the tree's new version and how many units it
    /// holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<u32>,
    /// An attachment: its SHA-256 (hex) and size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The person file merged into the entry's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<String>,
    /// Why the office purged an attachment, as the administrator wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One entry, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub actor: Actor,
    /// The tablet acted on, when the actor is not one (enrolment, revocation).
    pub device: Option<Uuid>,
    pub action: Action,
    pub record: Option<Uuid>,
    /// None also for a kind this hub does not know (a newer app's).
    pub record_kind: Option<RecordKind>,
    /// The org units the entry concerns: who may read it.
    pub scope: Vec<String>,
    pub detail: Detail,
}

impl Entry {
    fn new(actor: Actor, action: Action, scope: Vec<String>) -> Self {
        Self {
            device: actor.device,
            actor,
            action,
            record: None,
            record_kind: None,
            scope,
            detail: Detail::default(),
        }
    }

    /// A document a push (or the hub above) changed, with how many changes.
    pub fn record(
        actor: Actor,
        action: Action,
        id: Uuid,
        kind: &str,
        commune: &str,
        changes: usize,
    ) -> Self {
        Self {
            record: Some(id),
            record_kind: RecordKind::from_code(kind),
            detail: Detail {
                changes: Some(u32::try_from(changes).unwrap_or(u32::MAX)),
                ..Detail::default()
            },
            ..Self::new(actor, action, vec![commune.to_string()])
        }
    }

    /// The office merged person file `gone` into `kept` (both of
    /// `commune`); the record named is the one that stays.
    pub fn files_merged(by: &Actor, kept: Uuid, gone: Uuid, commune: &str) -> Self {
        Self {
            record: Some(kept),
            record_kind: Some(RecordKind::Person),
            detail: Detail {
                merged: Some(gone.to_string()),
                ..Detail::default()
            },
            ..Self::new(by.clone(), Action::FilesMerged, vec![commune.to_string()])
        }
    }

    pub fn code_issued(by: &Actor, communes: &[String], officer: &str) -> Self {
        Self {
            detail: Detail {
                officer: Some(officer.to_string()),
                ..Detail::default()
            },
            ..Self::new(by.clone(), Action::CodeIssued, communes.to_vec())
        }
    }

    /// A tablet traded a code for its token: the tablet is the actor, for
    /// the officer the code was issued to.
    pub fn enrolled(device: Uuid, officer: &str, communes_json: &str) -> Self {
        let actor = Actor {
            kind: ActorKind::Device,
            device: Some(device),
            name: Some(officer.to_string()),
        };
        Self::new(actor, Action::DeviceEnrolled, communes_of(communes_json))
    }

    /// The office withdrew a device: `DeviceRevoked` or `DeviceLost`.
    pub fn withdrawn(
        by: &Actor,
        action: Action,
        device: Uuid,
        officer: &str,
        communes_json: &str,
    ) -> Self {
        Self {
            device: Some(device),
            detail: Detail {
                officer: Some(officer.to_string()),
                ..Detail::default()
            },
            ..Self::new(by.clone(), action, communes_of(communes_json))
        }
    }

    /// The office restored the hub's database from a backup (`from`: the
    /// backup's file, or how a PostgreSQL restore was made) and the hub
    /// took a new epoch: it concerns every commune the hub serves.
    pub fn restored(communes: Vec<String>, from: &str, epoch: &str) -> Self {
        Self {
            detail: Detail {
                backup: Some(from.to_string()),
                epoch: Some(epoch.to_string()),
                ..Detail::default()
            },
            ..Self::new(Actor::office(), Action::HubRestored, communes)
        }
    }

    /// The office loaded a unit list, version `version`: it concerns the
    /// top units of the list it replaced and of the new one, so the
    /// province's staff read it.
    pub fn units_loaded(by: &Actor, version: u64, old: &OrgTree, new: &OrgTree) -> Self {
        let mut scope: Vec<String> = old
            .roots()
            .chain(new.roots())
            .map(|u| u.code.clone())
            .collect();
        scope.sort();
        scope.dedup();
        Self {
            detail: Detail {
                version: Some(version),
                units: Some(u32::try_from(new.units().count()).unwrap_or(u32::MAX)),
                ..Detail::default()
            },
            ..Self::new(by.clone(), Action::UnitsLoaded, scope)
        }
    }

    /// A tablet's file stored whole at the hub: it concerns the communes
    /// whose records refer to it.
    pub fn attachment_uploaded(actor: Actor, hash: &str, size: u64, communes: Vec<String>) -> Self {
        Self {
            detail: Detail {
                attachment: Some(hash.to_string()),
                bytes: Some(size),
                ..Detail::default()
            },
            ..Self::new(actor, Action::AttachmentUploaded, communes)
        }
    }

    /// A staff member opened a file of record `record` on the dashboard:
    /// it concerns the record's commune.
    pub fn attachment_opened(username: &str, hash: &str, record: Uuid, commune: &str) -> Self {
        Self {
            record: Some(record),
            detail: Detail {
                attachment: Some(hash.to_string()),
                ..Detail::default()
            },
            ..Self::new(
                Actor::staff(username),
                Action::AttachmentOpened,
                vec![commune.to_string()],
            )
        }
    }

    /// An administrator purged a file (its bytes gone, from the hub and
    /// the tablets), with why: it concerns the communes whose records
    /// referred to it.
    pub fn attachment_purged(
        username: &str,
        hash: &str,
        reason: &str,
        communes: Vec<String>,
    ) -> Self {
        Self {
            detail: Detail {
                attachment: Some(hash.to_string()),
                reason: Some(reason.to_string()),
                ..Detail::default()
            },
            ..Self::new(Actor::staff(username), Action::AttachmentPurged, communes)
        }
    }

    pub fn signed_in(username: &str, unit: &str, address: Option<std::net::IpAddr>) -> Self {
        Self {
            detail: Detail {
                address: address.map(|a| a.to_string()),
                ..Detail::default()
            },
            ..Self::new(
                Actor::staff(username),
                Action::SignedIn,
                vec![unit.to_string()],
            )
        }
    }

    /// A wrong password for an account (its username and unit), or a name
    /// no account has: that name is not kept — people type passwords into
    /// the wrong field — and the entry concerns no unit.
    pub fn sign_in_failed(
        account: Option<(&str, &str)>,
        address: Option<std::net::IpAddr>,
    ) -> Self {
        let (actor, scope) = match account {
            Some((username, unit)) => (Actor::staff(username), vec![unit.to_string()]),
            None => (
                Actor {
                    kind: ActorKind::Staff,
                    device: None,
                    name: None,
                },
                Vec::new(),
            ),
        };
        Self {
            detail: Detail {
                address: address.map(|a| a.to_string()),
                ..Detail::default()
            },
            ..Self::new(actor, Action::SignInFailed, scope)
        }
    }

    /// A staff member classed `communes` for `year`, those in `drug_free`
    /// drug-free and the rest not.
    pub fn drug_free_classed(username: &str, year: i32, communes: &[(String, bool)]) -> Self {
        Self {
            detail: Detail {
                year: Some(year),
                drug_free: Some(
                    communes
                        .iter()
                        .filter(|(_, free)| *free)
                        .map(|(c, _)| c.clone())
                        .collect(),
                ),
                ..Detail::default()
            },
            ..Self::new(
                Actor::staff(username),
                Action::DrugFreeClassed,
                communes.iter().map(|(c, _)| c.clone()).collect(),
            )
        }
    }

    /// An administrator changed a staff account (`action`: one of the
    /// `Staff…` actions). It concerns the account's unit before and after,
    /// so that both units' staff read it.
    pub fn staff_changed(
        by: &str,
        action: Action,
        account: &str,
        units: Vec<String>,
        placed: Option<(&str, &str)>,
    ) -> Self {
        Self {
            detail: Detail {
                account: Some(account.to_string()),
                unit: placed.map(|(u, _)| u.to_string()),
                role: placed.map(|(_, r)| r.to_string()),
                ..Detail::default()
            },
            ..Self::new(Actor::staff(by), action, units)
        }
    }

    /// A staff member put a province plan in force; it concerns their
    /// unit (every commune the hub serves, as only such a unit may).
    pub fn plan_set(username: &str, unit: &str, plan: &pcmt_model::Plan) -> Self {
        let name = if plan.name.is_empty() {
            String::new()
        } else {
            format!("{}: ", plan.name)
        };
        Self {
            detail: Detail {
                plan: Some(format!(
                    "{name}{}",
                    plan.deadlines_text(pcmt_model::Lang::Vi)
                )),
                ..Detail::default()
            },
            ..Self::new(
                Actor::staff(username),
                Action::PlanSet,
                vec![unit.to_string()],
            )
        }
    }

    /// An administrator downloaded the register of `unit` (`people`
    /// listed): personal data leaving the hub, so always logged first.
    pub fn register_downloaded(username: &str, unit: &str, people: usize) -> Self {
        Self {
            detail: Detail {
                people: Some(u32::try_from(people).unwrap_or(u32::MAX)),
                ..Detail::default()
            },
            ..Self::new(
                Actor::staff(username),
                Action::RegisterDownloaded,
                vec![unit.to_string()],
            )
        }
    }

    /// An administrator imported the register into `unit`: `people` files
    /// created (each also logged as a record created by them).
    pub fn register_imported(username: &str, unit: &str, people: u32) -> Self {
        Self {
            detail: Detail {
                people: Some(people),
                ..Detail::default()
            },
            ..Self::new(
                Actor::staff(username),
                Action::RegisterImported,
                vec![unit.to_string()],
            )
        }
    }

    pub fn export(username: &str, unit: &str, format: ExportFormat, period: &Period) -> Self {
        Self {
            detail: Detail {
                format: Some(format),
                period: Some(*period),
                ..Detail::default()
            },
            ..Self::new(
                Actor::staff(username),
                Action::ExportDownloaded,
                vec![unit.to_string()],
            )
        }
    }
}

/// A device's communes as stored (a JSON list); an unreadable list
/// concerns no unit rather than refusing what is being recorded.
fn communes_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// An entry as read back, with its position and time (Unix seconds, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub id: i64,
    pub at: i64,
    pub entry: Entry,
}

/// Which entries to read: those concerning any of `units` (and, with
/// `unscoped`, those concerning none), narrowed by record, device and time
/// (`from` included, `until` excluded, Unix seconds), newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub units: Vec<String>,
    pub unscoped: bool,
    pub record: Option<Uuid>,
    pub device: Option<Uuid>,
    pub from: Option<i64>,
    pub until: Option<i64>,
    /// From 0.
    pub page: u32,
    pub per_page: u32,
}

impl Query {
    /// Everything a staff member of `unit` may read: see the module's comment.
    pub fn visible_to(tree: &OrgTree, unit: &str) -> Self {
        let units = OrgLevel::ALL
            .iter()
            .flat_map(|level| tree.units_within(unit, *level))
            .map(|u| u.code.clone())
            .collect();
        Self {
            units,
            unscoped: super::staff::covers_every_commune(tree, unit),
            record: None,
            device: None,
            from: None,
            until: None,
            page: 0,
            per_page: PAGE_ROWS,
        }
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page.max(1)) + 1
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page) * i64::from(self.per_page.max(1))
    }
}

/// One page of entries, and whether more (older) ones follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub entries: Vec<Logged>,
    pub more: bool,
}

impl Page {
    /// From `limit()` rows: the extra one only says more follow.
    pub fn of(mut entries: Vec<Logged>, q: &Query) -> Self {
        let more = entries.len() as i64 >= q.limit();
        entries.truncate(q.per_page.max(1) as usize);
        Self { entries, more }
    }
}

/// The columns of a row, as both stores write and read them (the scope is
/// JSON text on SQLite and a `text[]` on PostgreSQL).
pub struct Columns {
    pub actor_kind: &'static str,
    pub device: Option<String>,
    pub actor: Option<String>,
    pub action: &'static str,
    pub record: Option<String>,
    pub record_kind: Option<&'static str>,
    pub detail: String,
}

impl Columns {
    pub fn of(e: &Entry) -> Result<Self, HubError> {
        Ok(Self {
            actor_kind: e.actor.kind.code(),
            device: e.device.map(|d| d.to_string()),
            actor: e.actor.name.clone(),
            action: e.action.code(),
            record: e.record.map(|r| r.to_string()),
            record_kind: e.record_kind.map(Labelled::code),
            detail: serde_json::to_string(&e.detail)
                .map_err(|e| HubError::Malformed(e.to_string()))?,
        })
    }
}

/// A row read back (id, at, actor_kind, device_id, actor, action,
/// record_id, record_kind, scope, detail).
pub struct Read {
    pub id: i64,
    pub at: i64,
    pub actor_kind: String,
    pub device: Option<String>,
    pub actor: Option<String>,
    pub action: String,
    pub record: Option<String>,
    pub record_kind: Option<String>,
    pub scope: Vec<String>,
    pub detail: String,
}

impl TryFrom<Read> for Logged {
    type Error = HubError;

    fn try_from(r: Read) -> Result<Self, HubError> {
        let bad = |what: &str, value: &str| {
            HubError::Malformed(format!("audit entry {}: {what} {value}", r.id))
        };
        let uuid = |value: Option<&String>| {
            value
                .map(|v| Uuid::parse_str(v).map_err(|_| bad("id", v)))
                .transpose()
        };
        let kind =
            ActorKind::from_code(&r.actor_kind).ok_or_else(|| bad("actor", &r.actor_kind))?;
        let device = uuid(r.device.as_ref())?;
        Ok(Self {
            id: r.id,
            at: r.at,
            entry: Entry {
                actor: Actor {
                    kind,
                    device: if kind == ActorKind::Device {
                        device
                    } else {
                        None
                    },
                    name: r.actor,
                },
                device,
                action: Action::from_code(&r.action).ok_or_else(|| bad("action", &r.action))?,
                record: uuid(r.record.as_ref())?,
                record_kind: r.record_kind.as_deref().and_then(RecordKind::from_code),
                scope: r.scope,
                detail: serde_json::from_str(&r.detail).map_err(|_| bad("detail", &r.detail))?,
            },
        })
    }
}

/// A list of units as the SQLite store keeps it (JSON text).
pub fn json(list: &[String]) -> Result<String, HubError> {
    serde_json::to_string(list).map_err(|e| HubError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_district_reads_its_communes_and_unscoped_entries_a_commune_only_its_own() {
        let tree = OrgTree::demo();
        let district = Query::visible_to(&tree, "62-610");
        assert!(district.unscoped);
        for unit in ["62-610", "62-610-23284", "62-610-23290", "62-610-23284-01"] {
            assert!(district.units.iter().any(|u| u == unit), "{unit}");
        }
        assert!(
            !district.units.iter().any(|u| u == "62"),
            "not the province above"
        );
        let commune = Query::visible_to(&tree, "62-610-23284");
        assert!(!commune.unscoped);
        assert!(commune.units.iter().all(|u| u.starts_with("62-610-23284")));
        assert!(Query::visible_to(&tree, "62").unscoped);
    }
}
