//! The dashboard's addresses, which pages link to and routes serve.

pub const HOME: &str = "/dashboard";
pub const LOGIN: &str = "/dashboard/login";
pub(super) const LOGOUT: &str = "/dashboard/logout";
pub(super) const AUDIT: &str = "/dashboard/audit";
pub(super) const DRUG_FREE: &str = "/dashboard/drug-free";
pub(super) const EXPORT: &str = "/dashboard/export/{format}";
pub(super) const TABLETS: &str = "/dashboard/admin/tablets";
pub(super) const ISSUE_CODE: &str = "/dashboard/admin/tablets/code";
pub(super) const WITHDRAW: &str = "/dashboard/admin/tablets/{device}/{how}";
pub(super) const STAFF: &str = "/dashboard/admin/staff";
pub(super) const STAFF_ACTION: &str = "/dashboard/admin/staff/{username}/{what}";
pub(super) const PLAN: &str = "/dashboard/admin/plan";
pub(super) const REGISTER: &str = "/dashboard/admin/register.xlsx";
pub(super) const DUPLICATES: &str = "/dashboard/duplicates";
pub(super) const UNITS: &str = "/dashboard/admin/units";
pub(super) const UNITS_PREVIEW: &str = "/dashboard/admin/units/preview";
pub(super) const UNITS_LOAD: &str = "/dashboard/admin/units/load";
pub(super) const UNITS_TEMPLATE: &str = "/dashboard/admin/units/mau-don-vi.xlsx";
pub(super) const IMPORT: &str = "/dashboard/admin/import";
pub(super) const IMPORT_PREVIEW: &str = "/dashboard/admin/import/preview";
pub(super) const IMPORT_CONFIRM: &str = "/dashboard/admin/import/confirm";
pub(super) const IMPORT_TEMPLATE: &str = "/dashboard/admin/import/mau-so-theo-doi.xlsx";
pub(super) const ATTACHMENT: &str = "/dashboard/attachment/{hash}";
pub(super) const THUMBNAIL: &str = "/dashboard/thumbnail/{hash}";
pub(super) const PURGE: &str = "/dashboard/attachment/{hash}/purge";
