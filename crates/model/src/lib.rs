//! The one vocabulary of Sổ tay PCMT, shared by the Yew UI (wasm32) and the
//! device core and hub (native).
//!
//! Nothing here does I/O or reads a clock: "today" is always passed in, so the
//! same validation gives the same answer on the tablet, in the core and in
//! tests.

pub mod api;
pub mod attachment;
mod check;
pub mod checkin;
pub mod enrol;
pub mod file_marks;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod geometry;
pub mod hotspot;
pub mod hub_address;
pub mod lang;
pub mod org;
pub mod org_sheet;
pub mod person;
pub mod person_sheet;
pub mod pin;
pub mod plan;
pub mod plot;
pub mod record;
pub mod report;
pub mod residence;
pub mod session;
pub mod sheet;
pub mod site;
pub mod status;
pub mod status_rules;
pub mod survey;
pub mod text;
pub mod validation;
pub mod visit;

pub use attachment::{AttachmentKind, AttachmentRef, ContentHash, MAX_ATTACHMENT_BYTES};
pub use check::{EARLIEST_DATE, MAX_NAME_CHARS, MAX_NOTE_CHARS};
pub use checkin::{CheckInInput, CheckInPlace, DrugTest, SupportKind, TestKind, TestResult};
pub use enrol::{enrol_code, MAX_ENROL_CODE_CHARS};
pub use file_marks::{Absorbed, FileMarks, SharedWith};
pub use geometry::{closed_ring, polygon_area_m2, GeoPoint, LatLonBox, VIETNAM_BOX};
pub use hotspot::{HotSpotActivity, HotSpotInput, HotSpotSpan, HotSpotStage};
pub use hub_address::check_hub_address;
pub use lang::{Labelled, Lang};
pub use org::{OrgLevel, OrgTree, OrgUnit};
pub use person::{PersonInput, Sex, Substance};
pub use pin::{check_new_pin, MIN_PASSPHRASE_CHARS, MIN_PIN_DIGITS};
pub use plan::{DayMonth, Plan, PlanError, PlanTarget};
pub use record::{RecordKind, SCHEMA_VERSION};
pub use residence::{Move, MoveInput};
pub use session::{
    AudienceCount, AudienceGroup, Campaign, Organiser, SessionDetails, SessionForm, SessionInput,
    SessionLanguage, SessionRow, Topic, VenueKind,
};
pub use site::{ActionKind, GrowthStage, LandKind, PlantSpecies, SiteAction, SiteInput};
pub use status::{ClosedReason, LegalStatus, StatusSpan};
pub use status_rules::{MonthRange, StatusRule, StatusRules, StatusRulesError};
pub use survey::{SurveyInput, SurveyKind};
pub use validation::{Field, FieldError, Problem};
pub use visit::{next_due, visit_due, visit_state, LastVisit, VisitDue, VisitState, DUE_SOON_DAYS};
