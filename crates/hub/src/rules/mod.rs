//! The hub's rules, pure: what the protocol allows ([`protocol`]), how
//! devices enrol and are withdrawn ([`devices`]), what the audit log
//! records and who may read it ([`audit`]), and what a staff account and
//! its password must be ([`staff`]), how an office's unit list is read
//! from a spreadsheet ([`units`]), and how a backup is sealed with the
//! office's key ([`sealed`], over any reader and writer). No SQL and no
//! I/O of its own here: the stores
//! (`crate::sqlite`, `crate::pg`) only say how rows are kept, and the
//! scripts in `crate::storage` apply these rules in one order for both.

pub mod attachments;
pub mod audit;
pub mod devices;
pub mod duplicates;
pub mod protocol;
pub mod register;
pub mod sealed;
pub mod staff;
pub mod units;
