//! The one vocabulary of Sổ tay PCMT, shared by the Yew UI (wasm32) and the
//! device core and hub (native).
//!
//! Nothing here does I/O or reads a clock: "today" is always passed in, so the
//! same validation gives the same answer on the tablet, in the core and in
//! tests.

pub mod api;
pub mod lang;
pub mod org;
pub mod record;
pub mod session;
pub mod validation;

pub use lang::{Labelled, Lang};
pub use org::{OrgLevel, OrgTree, OrgUnit};
pub use record::{RecordKind, SCHEMA_VERSION};
pub use session::{SessionForm, SessionInput, SessionRow, Topic, VenueKind};
pub use validation::{Field, FieldError, Problem};
