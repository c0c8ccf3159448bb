//! One module per screen.

pub mod attachments;
pub mod checkin_form;
pub mod first_start;
pub mod hot_spot_detail;
pub mod hot_spot_form;
pub mod hot_spots;
pub mod hub_certificate;
pub mod lock;
pub mod people;
pub mod person_file;
pub mod person_form;
pub mod record_panel;
pub mod reports;
pub mod session_detail;
pub mod session_form;
pub mod sessions;
pub mod settings;
pub mod survey_detail;
pub mod survey_form;
pub mod surveys;
pub mod today;
