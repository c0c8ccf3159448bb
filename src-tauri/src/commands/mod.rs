//! Commands the screens invoke. Each translates: arguments in, one call to
//! the core, the answer or a `CommandError` out (field errors for inline
//! display and a message in each language). No rules live here.

pub mod frame;
pub mod lock;
pub mod records;
pub mod reports;
pub mod sync;

use pcmt_core::CoreError;
use pcmt_model::api::CommandError;

/// The tablet's calendar day, which validation measures "in the future" against.
fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn answer<T>(result: Result<T, CoreError>) -> Result<T, CommandError> {
    result.map_err(CommandError::from)
}
