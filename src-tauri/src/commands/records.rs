//! Record commands: save (new or edit), read, list, history and conflicts.

use super::{answer, today};
use crate::state::AppState;
use pcmt_core::{Author, CoreError, Store};
use pcmt_model::api::{
    CheckInRow, CommandError, DueVisit, FieldConflict, HistoryEntry, KeptRecord, ListFilter,
    PersonRow, SurveyRow,
};
use pcmt_model::{CheckInInput, PersonInput, SessionInput, SessionRow, SurveyInput};
use tauri::State;
use uuid::Uuid;

/// Longest page a list may ask for: screens page through the rest.
const MAX_PAGE: u32 = 500;

/// One save command (new when `id` is None, else an edit) and one read
/// command per kind that lives in a commune.
macro_rules! record_commands {
    ($($save:ident, $get:ident: $input:ty => $row:ty, $create:ident, $update:ident;)+) => {$(
        #[tauri::command]
        pub fn $save(
            state: State<'_, AppState>,
            input: $input,
            id: Option<Uuid>,
        ) -> Result<$row, CommandError> {
            save(&state, |store, author| match id {
                None => store.$create(&input, author, today()),
                Some(id) => store.$update(id, &input, author, today()),
            })
        }

        #[tauri::command]
        pub fn $get(state: State<'_, AppState>, id: Uuid) -> Result<$input, CommandError> {
            answer(state.store()?.record(id))
        }
    )+};
}

record_commands! {
    save_session, get_session: SessionInput => SessionRow, create_session, update_session;
    save_person, get_person: PersonInput => PersonRow, create_person, update_person;
    save_survey, get_survey: SurveyInput => SurveyRow, create_survey, update_survey;
}

#[tauri::command]
pub fn save_checkin(
    state: State<'_, AppState>,
    input: CheckInInput,
) -> Result<CheckInRow, CommandError> {
    save(&state, |store, author| {
        store.create_checkin(&input, author, today())
    })
}

/// One page of sessions, newest first; no filter lists them all.
#[tauri::command]
pub fn list_sessions(
    state: State<'_, AppState>,
    filter: Option<ListFilter>,
    offset: u32,
    limit: u32,
) -> Result<Vec<SessionRow>, CommandError> {
    answer(
        state
            .store()?
            .list_sessions(&filter.unwrap_or_default(), limit.min(MAX_PAGE), offset),
    )
}

#[tauri::command]
pub fn list_surveys(
    state: State<'_, AppState>,
    filter: Option<ListFilter>,
    offset: u32,
    limit: u32,
) -> Result<Vec<SurveyRow>, CommandError> {
    answer(
        state
            .store()?
            .list_surveys(&filter.unwrap_or_default(), limit.min(MAX_PAGE), offset),
    )
}

/// Records kept here that this version of the app cannot show.
#[tauri::command]
pub fn unreadable_records(
    state: State<'_, AppState>,
    offset: u32,
    limit: u32,
) -> Result<Vec<KeptRecord>, CommandError> {
    answer(
        state
            .store()?
            .unreadable_records(limit.min(MAX_PAGE), offset),
    )
}

/// The register, by name (with or without diacritics) or citizen ID prefix.
#[tauri::command]
pub fn search_people(
    state: State<'_, AppState>,
    query: String,
    offset: u32,
    limit: u32,
) -> Result<Vec<PersonRow>, CommandError> {
    answer(
        state
            .store()?
            .search_people(&query, limit.min(MAX_PAGE), offset),
    )
}

#[tauri::command]
pub fn person_row(state: State<'_, AppState>, id: Uuid) -> Result<PersonRow, CommandError> {
    answer(state.store()?.person(id))
}

#[tauri::command]
pub fn due_visits(state: State<'_, AppState>) -> Result<Vec<DueVisit>, CommandError> {
    answer(state.store()?.due_visits(today(), MAX_PAGE))
}

#[tauri::command]
pub fn checkins_of(
    state: State<'_, AppState>,
    person: Uuid,
) -> Result<Vec<CheckInRow>, CommandError> {
    answer(state.store()?.checkins_of(person))
}

#[tauri::command]
pub fn record_history(
    state: State<'_, AppState>,
    id: Uuid,
) -> Result<Vec<HistoryEntry>, CommandError> {
    answer(state.store()?.history(id))
}

#[tauri::command]
pub fn record_conflicts(
    state: State<'_, AppState>,
    id: Uuid,
) -> Result<Vec<FieldConflict>, CommandError> {
    answer(state.store()?.conflicts(id))
}

/// The officer picks one of the values, or types a new one.
#[tauri::command]
pub fn resolve_conflict(
    state: State<'_, AppState>,
    id: Uuid,
    field: String,
    value: String,
) -> Result<(), CommandError> {
    save(&state, |store, author| {
        store.resolve_conflict(id, &field, &value, author, today())
    })
}

/// A change the officer made: it waits to be sent, so the tablet syncs
/// soon; a sync that comes due meanwhile waits for it.
fn save<T>(
    state: &AppState,
    change: impl FnOnce(&mut Store, &Author) -> Result<T, CoreError>,
) -> Result<T, CommandError> {
    let _saving = state.syncing.saving();
    let author = state.author()?;
    let done = answer(change(&mut *state.store()?, &author))?;
    state.syncing.saved();
    Ok(done)
}
